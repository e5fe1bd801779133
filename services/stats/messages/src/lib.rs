//! `stats-messages` — the `stats` service's route messages, shared by the service and the guests
//! that call it, so both ends agree on every field name. Plain structs that derive `Message` (what
//! modules encode) and serde (what native code maps); the router maps them to records.
//!
//! | route | method | request | reply |
//! | --- | --- | --- | --- |
//! | `svc://stats/{key}` | write | [`Sample`] | [`Summary`] (after adding the sample) |
//! | | read | — | [`Summary`] |
//! | `svc://stats/{key}/remove` | call | — | [`Summary`] (the key's last) |
//! | `svc://stats` | read | — | [`Keys`] |
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::{string::String, vec::Vec};

use serde::{Deserialize, Serialize};

use fireball_guests_sdk::route::Route;
use fireball_record::Message;

// The routes, described once: the service registers its handlers with these, and
// callers send with them (`Client::send`).
/// `write svc://stats/{key}`: add a sample; the summary after it.
pub const ADD: Route<Sample, Summary> = Route::write("svc://stats/{key}");
/// `read svc://stats/{key}`: a key's summary.
pub const SUMMARY: Route<(), Summary> = Route::read("svc://stats/{key}");
/// `call svc://stats/{key}/remove`: forget a key; its last summary.
pub const REMOVE: Route<(), Summary> = Route::call("svc://stats/{key}/remove");
/// `read svc://stats`: the keys.
pub const KEYS: Route<(), Keys> = Route::read("svc://stats");

/// Most keys the service keeps at once; a sample for a new key beyond them fails with 507.
pub const MAX_KEYS: usize = 16;

/// Longest key, in bytes (a longer one fails with 400). With [`MAX_KEYS`] keys, the listing
/// stays within the router's default 512-byte message.
pub const MAX_KEY_LEN: usize = 24;

/// Request of `write` on `svc://stats/{key}`: one sample.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Message)]
pub struct Sample {
    /// The value (finite: NaN and infinities fail with 422).
    pub value: f64,
}

/// A key's statistics so far.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Message)]
pub struct Summary {
    /// Samples added.
    pub count: u64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
    /// Their mean.
    pub mean: f64,
}

/// Reply of `read` on `svc://stats`: the keys, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, Message)]
pub struct Keys {
    /// The keys.
    pub keys: Vec<String>,
}
