//! `dashboard` — a guest that watches the sensor hub's services, as a status display would:
//! every [`PERIOD_TICKS`] it reads the filtered value of each channel (`svc://filter/{ch}`),
//! the statistics of channel 0 (`svc://stats/sensor0`) and the mesh's counters
//! (`svc://mesh/stats`), and every [`REPORT_EVERY`] rounds it logs what it saw. After
//! [`ROUNDS`] rounds it returns.
//!
//! It is the sensor hub's second client of `filter` and `stats` (`examples/sensor-hub/
//! debug.toml`): while a debugger holds the aggregator, the services keep serving it.
//!
//! Routes: `read svc://filter/{ch}` → `Filtered`; `read svc://stats/{key}` → `Summary`
//! (`NoRoute`-free: a key with no samples yet fails with 404, which is counted, not fatal);
//! `read svc://mesh/stats` → `Stats`; `log://` (write notifications).
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use fireball_guests_sdk::{
    device, entry, log, no_heap,
    route::{Client, Error},
};

/// Rounds before the guest returns.
pub const ROUNDS: u32 = 1_000;
/// Ticks (µs on the host) between two rounds.
pub const PERIOD_TICKS: u64 = 20_000;
/// A log line every this many rounds.
pub const REPORT_EVERY: u32 = 100;

/// What one round saw.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Seen {
    /// The filtered value of each channel.
    pub filtered: [f32; 4],
    /// Samples the statistics service holds for channel 0 (0 before the first).
    pub samples: u64,
    /// Frames the mesh has transmitted.
    pub frames: u64,
}

no_heap!();
entry!(main);

fn main() {
    match run() {
        Ok(rounds) => log::say!(Info: "done: ", rounds, " rounds"),
        Err(error) => log::say!(Error: "stopped: ", error),
    }
}

/// Poll the services for [`ROUNDS`] rounds; the rounds done.
pub fn run() -> Result<u32, Error> {
    let filters = [
        Client::bind("svc://filter/0")?,
        Client::bind("svc://filter/1")?,
        Client::bind("svc://filter/2")?,
        Client::bind("svc://filter/3")?,
    ];
    let stats = Client::bind("svc://stats/sensor0")?;
    let mesh = Client::bind(mesh_messages::STATS.pattern())?;
    let mut seen = Seen::default();
    for round in 1..=ROUNDS {
        for (value, filter) in seen.filtered.iter_mut().zip(&filters) {
            *value = filter.send(filter_messages::READ, &())?.filtered;
        }
        seen.samples = match stats.send(stats_messages::SUMMARY, &()) {
            Ok(summary) => summary.count,
            // No sample for the key yet.
            Err(Error::Failed(404)) => 0,
            Err(e) => return Err(e),
        };
        seen.frames = mesh.send(mesh_messages::STATS, &())?.frames;
        if round % REPORT_EVERY == 0 {
            log::say!(Info:
                "round ", round, ": channel 0 at ", seen.filtered[0] as i32, ", ",
                seen.samples, " samples, ", seen.frames, " mesh frames"
            );
        }
        device::sleep_ticks(PERIOD_TICKS);
    }
    Ok(ROUNDS)
}
