//! `mesh-messages` — the mesh gateway's route messages, shared by the `mesh` service and the guests
//! that call it, so both ends agree on every field name. Plain structs that derive `Message` (what
//! modules encode) and serde (what native code maps); the router maps them to records.
//!
//! | route | method | request | reply |
//! | --- | --- | --- | --- |
//! | `svc://mesh/tx` | write | [`Transmit`] | [`Sent`] |
//! | `svc://mesh/nodes` | read | — | [`Nodes`] |
//! | `svc://mesh/stats` | read | — | [`Stats`] |
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::vec::Vec;

use serde::{Deserialize, Serialize, Serializer};

use fireball_guests_sdk::route::Route;
use fireball_record::{Encode, Message};

// The routes, described once: the service registers its handlers with these, and
// callers send with them (`Client::send`).
/// `write svc://mesh/tx`: broadcast a message.
pub const TRANSMIT: Route<Transmit, Sent> = Route::write("svc://mesh/tx");
/// `read svc://mesh/nodes`: the nodes heard.
pub const NODES: Route<(), Nodes> = Route::read("svc://mesh/nodes");
/// `read svc://mesh/stats`: the gateway's counters.
pub const STATS: Route<(), Stats> = Route::read("svc://mesh/stats");

fn as_bytes<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

/// `svc://mesh/tx` — `write` request: one message to broadcast to the mesh.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Transmit {
    /// The message (1 to 31 110 bytes: 255 fragments of 122; the router's message limit,
    /// 512 bytes by default, is usually the tighter bound).
    #[serde(serialize_with = "as_bytes")]
    #[message(bytes)]
    pub data: Vec<u8>,
}

/// `svc://mesh/tx` — `write` request borrowing its bytes: what a module without a heap sends
/// (`Client::send(TRANSMIT, &TransmitRef { data })`). It encodes exactly as a [`Transmit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode)]
#[message(as = Transmit)]
pub struct TransmitRef<'a> {
    /// The message (as [`Transmit::data`]).
    #[message(bytes)]
    pub data: &'a [u8],
}

/// `svc://mesh/tx` — reply: what went on the air.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Sent {
    /// Frames transmitted.
    pub frames: u32,
    /// Bytes transmitted, fragment headers included.
    pub bytes: u32,
}

/// A neighbour node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Node {
    /// The id it announced.
    pub id: u8,
    /// When it was last heard (µs of the platform clock).
    pub last_seen_us: u64,
}

/// `svc://mesh/nodes` — reply to `read`: the node table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Nodes {
    /// The nodes, in the order first heard (at most 8).
    pub nodes: Vec<Node>,
}

/// `svc://mesh/stats` — reply to `read`: the gateway's counters since it started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Stats {
    /// Messages sent whole.
    pub messages: u64,
    /// Frames transmitted.
    pub frames: u64,
    /// Bytes transmitted, fragment headers included.
    pub bytes: u64,
    /// Frames received (announcements and anything else heard).
    pub received: u64,
    /// Messages the radio failed part-way (their frames sent so far are counted above).
    pub failed: u64,
}

#[cfg(test)]
mod tests {
    use alloc::vec;

    use fireball_record::{Limits, message};

    use super::*;

    #[test]
    fn a_borrowed_transmit_encodes_as_a_transmit() {
        for len in [0, 1, 127, 128, 400] {
            let data = vec![0xA5u8; len];
            let owned = message::to_vec(&Transmit { data: data.clone() }, &Limits::DEFAULT);
            let borrowed = message::to_vec(&TransmitRef { data: &data }, &Limits::DEFAULT);
            assert_eq!(owned, borrowed, "{len} bytes");
        }
    }
}
