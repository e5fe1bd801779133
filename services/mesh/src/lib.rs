//! `mesh` — a BLE-mesh-style gateway service over the board's radio (`hal://radio/0`).
//!
//! Guests hand it messages on `svc://mesh/tx`; it first takes what the radio heard (node
//! announcements `[0xA5, node]` keep a bounded table of neighbours with their last-seen
//! time), then cuts the message into ≤ 127-byte frames with a small header (sequence
//! number, fragment index and count) and broadcasts them. `svc://mesh/nodes` and
//! `svc://mesh/stats` report the table and the counters.
//!
//! - [`frame`] — the bytes on the air: announcements, fragment headers, fragmentation.
//! - [`nodes`] — the bounded node table.
//! - [`gateway`] — the state machine over a [`Radio`](gateway::Radio) trait (no I/O).
//! - [`messages`] — the routes' request and reply types (crate `mesh-messages`, shared with
//!   the guests that call the service).
//! - [`service`] — the routes on the router (`services-sdk`), the radio and clock through
//!   `hal://`; [`service!`](fireball_services_sdk::service) makes it the module's entry.
//!
//! `frame`, `nodes` and `gateway` are plain `no_std` logic tested on the host without a
//! runtime; `service` is tested through the services SDK's host stub.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod frame;
pub mod gateway;
pub mod nodes;
pub mod service;

pub use mesh_messages as messages;

// 3 KiB: a delivery up to the router's 512-byte message limit, held while its body is decoded
// and its frames are encoded (a 128-byte message peaks under 1.5 KiB).
fireball_services_sdk::service!(service::Mesh, heap = 3072);
