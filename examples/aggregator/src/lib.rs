//! `aggregator` — seed app 2: four filtered sensors aggregated into windows, sent over the
//! mesh, their means kept by the statistics service. The demo's main data path:
//! ADC → filter service → this guest → mesh transmit.
//!
//! Each round reads `svc://filter/{ch}` for the four channels (the filter service samples
//! `hal://adc/{ch}` and runs its IIR cascade) and adds the filtered values to a [`Window`].
//! When it holds [`SAMPLES`] rounds, the window's 256 bytes go to `write svc://mesh/tx`,
//! each sensor's mean to `write svc://stats/sensor{ch}`, a line to the log, and the next
//! window starts. After [`WINDOWS`] windows it returns.
//!
//! Routes: `read svc://filter/{ch}` → `Filtered`; `write svc://mesh/tx` `Transmit` →
//! `Sent`; `write svc://stats/sensor{ch}` `Sample` → `Summary`; `log://` (write
//! notifications). The four filter channels and the mesh stay bound (5 of the module's 8
//! bindings); each statistics key is bound for its write only.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod window;

use fireball_guests_sdk::{
    device, entry, log, no_heap,
    route::{Client, Error},
};
use mesh_messages::{Sent, TransmitRef};
use stats_messages::{Sample, Summary};

use core::sync::atomic::{AtomicU32, Ordering};

use window::{SAMPLES, SENSORS, Window, to_sample};

/// Windows sent before the app returns.
pub const WINDOWS: u32 = 2;
/// Ticks (µs on the host) between two rounds.
pub const ROUND_TICKS: u64 = 5_000;
/// Where full windows go.
pub const TX_ROUTE: &str = mesh_messages::TRANSMIT.pattern();

/// Windows sent so far: where a debugger (`target variable WINDOWS_SENT`) or a memory dump
/// finds the app's progress.
pub static WINDOWS_SENT: AtomicU32 = AtomicU32::new(0);

// Nothing here allocates: the window goes out borrowed (`TransmitRef`). No heap.
no_heap!();
entry!(main);

fn main() {
    match run() {
        Ok(()) => log::say!(Info: "done: ", WINDOWS, " windows sent"),
        Err(error) => log::say!(Error: "stopped: ", error),
    }
}

/// Aggregate and send [`WINDOWS`] windows.
pub fn run() -> Result<(), Error> {
    let filters = [
        Client::bind("svc://filter/0")?,
        Client::bind("svc://filter/1")?,
        Client::bind("svc://filter/2")?,
        Client::bind("svc://filter/3")?,
    ];
    let mesh = Client::bind(TX_ROUTE)?;
    let mut window = Window::new();
    for round in 0..WINDOWS as usize * SAMPLES {
        if round > 0 {
            device::sleep_ticks(ROUND_TICKS);
        }
        let mut samples = [0i16; SENSORS];
        for (sample, filter) in samples.iter_mut().zip(&filters) {
            let reading = filter.send(filter_messages::READ, &())?;
            *sample = to_sample(reading.filtered);
        }
        if !window.push(samples) {
            continue;
        }
        let sent: Sent = mesh.send(
            mesh_messages::TRANSMIT,
            &TransmitRef {
                data: &window.bytes(),
            },
        )?;
        let mut means = [0i32; SENSORS];
        for (ch, (stats, mean)) in window.stats().iter().zip(&mut means).enumerate() {
            let value = stats.mean().unwrap_or_default();
            let stats_key = Client::bind_parts(&[&"svc://stats/sensor", &ch])?;
            let _: Summary = stats_key.send(stats_messages::ADD, &Sample { value })?;
            *mean = stats.sum() / stats.count().max(1) as i32;
        }
        let sent_windows = WINDOWS_SENT.fetch_add(1, Ordering::Relaxed) + 1;
        log::say!(Info:
            "window ", sent_windows, "/", WINDOWS, ": ", window::BYTES, " B in ", sent.frames,
            " frames, means ", means[0], " ", means[1], " ", means[2], " ", means[3]
        );
        window.restart();
    }
    Ok(())
}

#[cfg(test)]
mod tests;
