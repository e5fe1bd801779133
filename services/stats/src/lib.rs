//! `stats` — a statistics service: a running count, min, max and mean per key, for any
//! component that wants to summarise a stream of numbers without keeping it.
//!
//! | route | method | request | reply |
//! | --- | --- | --- | --- |
//! | `svc://stats/{key}` | write | [`Sample`] | [`Summary`] after adding the sample |
//! | | read | — | [`Summary`] |
//! | `svc://stats/{key}/remove` | call | — | [`Summary`], the key's last (its slot is freed) |
//! | `svc://stats` | read | — | [`Keys`], oldest first |
//!
//! The table is bounded: [`MAX_KEYS`] keys of at most [`MAX_KEY_LEN`] bytes. A sample for a
//! new key when it is full fails with 507, a key too long with 400, a value that is NaN or
//! infinite with 422, an unknown key with 404. Nothing a caller sends makes it panic. A
//! `write` notification adds its sample without an answer (a fire-and-forget feed).
//!
//! - [`table`] — the bounded table (pure logic, tested on the host).
//! - [`Stats`] — the service around it.
//! - [`stats_messages`] (re-exported here) — the routes' requests and replies, in their own
//!   crate so that guests calling the service can share them.
//!
//! The module reaches nothing: it only answers.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod table;

use fireball_services_sdk::prelude::*;

pub use stats_messages::{Keys, MAX_KEY_LEN, MAX_KEYS, Sample, Summary};

use table::{Refused, Table};

/// The service's state: the table.
#[derive(Debug, Default)]
pub struct Stats {
    table: Table,
}

impl Stats {
    /// `write svc://stats/{key}`: add a sample.
    pub fn add(&mut self, request: &Request<'_>, sample: Sample) -> Result<Summary, Failure> {
        let key = request.param("key").ok_or(Failure::BAD_REQUEST)?;
        self.table
            .add(key, sample.value)
            .map_err(|refused| match refused {
                Refused::Full => Failure::INSUFFICIENT_STORAGE,
                Refused::BadKey => Failure::BAD_REQUEST,
                Refused::NotFinite => Failure::UNPROCESSABLE,
            })
    }

    /// `read svc://stats/{key}`.
    pub fn summary(&mut self, request: &Request<'_>, (): ()) -> Result<Summary, Failure> {
        let key = request.param("key").ok_or(Failure::BAD_REQUEST)?;
        self.table.get(key).ok_or(Failure::NOT_FOUND)
    }

    /// `call svc://stats/{key}/remove`: forget a key.
    pub fn remove(&mut self, request: &Request<'_>, (): ()) -> Result<Summary, Failure> {
        let key = request.param("key").ok_or(Failure::BAD_REQUEST)?;
        self.table.remove(key).ok_or(Failure::NOT_FOUND)
    }

    /// `read svc://stats`: the keys.
    pub fn keys(&mut self, _: &Request<'_>, (): ()) -> Result<Keys, Failure> {
        Ok(Keys {
            keys: self.table.keys().map(String::from).collect(),
        })
    }
}

impl Service for Stats {
    fn init() -> Self {
        Self::default()
    }

    fn routes(routes: Routes<Self>) -> Routes<Self> {
        routes
            .serve(stats_messages::ADD, Stats::add)
            .serve(stats_messages::SUMMARY, Stats::summary)
            .serve(stats_messages::REMOVE, Stats::remove)
            .serve(stats_messages::KEYS, Stats::keys)
    }
}

// The heap holds the table (16 keys of 24 bytes: about 1.5 KiB) and, at its peak, the key
// listing being encoded; on the simulator a full table's listing needs 4 KiB (3 KiB fails).
service!(Stats, heap = 6144);

#[cfg(test)]
mod tests;
