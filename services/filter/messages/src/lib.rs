//! `filter-messages` — the `filter` service's route messages, shared by the service and the guests
//! that call it, so both ends agree on every field name. Plain structs that derive `Message` (what
//! modules encode) and serde (what native code maps); the router maps them to records.
//!
//! | route | method | request | reply |
//! | --- | --- | --- | --- |
//! | `svc://filter/{ch}` | read | — | [`Filtered`] (the service samples `hal://adc/{ch}`) |
//! | | call | [`Sample`] | [`Filtered`] (a sample the caller brings) |
//! | `svc://filter/{ch}/alpha` | write | [`Alphas`] | [`ChannelState`] |
//! | `svc://filter/{ch}/state` | read | — | [`ChannelState`] |
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use serde::{Deserialize, Serialize};

use fireball_guests_sdk::route::Route;
use fireball_record::Message;

// The routes, described once: the service registers its handlers with these, and
// callers send with them (`Client::send`).
/// `read svc://filter/{ch}`: the service samples `hal://adc/{ch}` and filters the sample.
pub const READ: Route<(), Filtered> = Route::read("svc://filter/{ch}");
/// `call svc://filter/{ch}`: filters a sample the caller brings.
pub const FILTER: Route<Sample, Filtered> = Route::call("svc://filter/{ch}");
/// `write svc://filter/{ch}/alpha`: new coefficients.
pub const TUNE: Route<Alphas, ChannelState> = Route::write("svc://filter/{ch}/alpha");
/// `read svc://filter/{ch}/state`: a channel's cascade.
pub const STATE: Route<(), ChannelState> = Route::read("svc://filter/{ch}/state");

/// Stages in each channel's cascade.
pub const STAGES: usize = 3;

/// Reply of `read` / `call` on `svc://filter/{ch}`: one sample, raw and filtered.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Message)]
pub struct Filtered {
    /// The channel.
    pub channel: u8,
    /// The sample in.
    pub raw: i32,
    /// The cascade's output.
    pub filtered: f32,
}

/// Request of `call` on `svc://filter/{ch}`: a sample to filter.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Message)]
pub struct Sample {
    /// The sample.
    pub raw: i32,
}

/// Request of `write` on `svc://filter/{ch}/alpha`: new coefficients, first stage first.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Message)]
pub struct Alphas {
    /// Each in `(0, 1]`; smaller smooths more.
    pub alphas: [f32; STAGES],
}

/// Reply of `svc://filter/{ch}/state` and `…/alpha`: a channel's cascade.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Message)]
pub struct ChannelState {
    /// The channel.
    pub channel: u8,
    /// The coefficients.
    pub alphas: [f32; STAGES],
    /// Each stage's last output.
    pub prev: [f32; STAGES],
    /// Samples filtered so far.
    pub samples: u32,
}
