//! `inference` — seed app 3: per-sensor windows and histograms, a linear model, and its
//! result sent over the mesh.
//!
//! Each iteration reads `hal://adc/1..=3` and feeds every sensor's
//! [`SensorWindow`] (a sliding window of 128 stamped samples, a
//! 32-bin histogram, running min / max / sum / count). Every [`PERIOD`] iterations it runs
//! the seed's [`Model`] over min / mean / max of each sensor (the dot product
//! on the vOffloader, `matmul_f32`), sends the seed's 27-byte [`packet`](model::packet)
//! through `write svc://mesh/tx`, logs a line (the logger stamps it with the component's
//! name and keeps 80 bytes of text) and restarts the period. After
//! [`INFERENCES`] inferences it returns.
//!
//! Routes: `read hal://adc/{1,2,3}` → `AdcSample`; `write svc://mesh/tx` `Transmit` →
//! `Sent`; `log://` (write notifications). Builtins: `time_ticks`, `sleep_ticks`,
//! `matmul_f32`.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod model;
pub mod window;

use core::fmt;

use fireball_guests_sdk::{
    buffer::Static,
    device, entry,
    hal::Adc,
    log, no_heap,
    route::{Client, Error},
    text::{Show, Text},
};
use mesh_messages::{Sent, TransmitRef};

use model::{Model, SENSORS};
use window::{SensorWindow, saturate};

/// The ADC channels read, one per sensor.
pub const CHANNELS: [u8; SENSORS] = [1, 2, 3];
/// Iterations between inferences. The seed infers every 256 (about once a minute at 4 Hz);
/// 64 keeps a demo run short.
pub const PERIOD: u32 = 64;
/// Inferences before the app returns.
pub const INFERENCES: u32 = 2;
/// Ticks (µs on the host) between two iterations.
pub const ITERATION_TICKS: u64 = 2_000;
/// Where packets go.
pub const TX_ROUTE: &str = mesh_messages::TRANSMIT.pattern();

// Nothing here allocates: the sensors' windows (3 × 1 KiB) are a `static`, the packet goes
// out borrowed (`TransmitRef`). No heap.
no_heap!();

/// The sensors' statistics, for the module's life (taken once by `run`).
static WINDOWS: Static<[SensorWindow; SENSORS]> = Static::new([
    SensorWindow::new(),
    SensorWindow::new(),
    SensorWindow::new(),
]);
entry!(main);

fn main() {
    match run() {
        Ok(()) => log::say!(Info: "done: ", INFERENCES, " inferences sent"),
        Err(error) => log::say!(Error: "stopped: ", error),
    }
}

/// Sample, infer every [`PERIOD`] iterations, and send [`INFERENCES`] packets.
pub fn run() -> Result<(), Error> {
    let adcs = [
        Adc::open(CHANNELS[0])?,
        Adc::open(CHANNELS[1])?,
        Adc::open(CHANNELS[2])?,
    ];
    let mesh = Client::bind(TX_ROUTE)?;
    let model = Model::seed();
    let sensors = match WINDOWS.take() {
        Some(sensors) => sensors,
        None => fresh_windows(),
    };
    for iteration in 1..=PERIOD * INFERENCES {
        if iteration > 1 {
            device::sleep_ticks(ITERATION_TICKS);
        }
        for (sensor, adc) in sensors.iter_mut().zip(&adcs) {
            let raw = adc.read()?.raw;
            // The low 32 bits of the clock, as the seed's `uint32_t` timestamp.
            sensor.update(saturate(i32::from(raw)), device::now_ticks() as u32);
        }
        if iteration % PERIOD != 0 {
            continue;
        }
        let result = model.infer(&model::features(sensors));
        let packet = model::packet(sensors, result, iteration);
        let _: Sent = mesh.send(mesh_messages::TRANSMIT, &TransmitRef { data: &packet })?;
        log::say!(Info:
            iteration / PERIOD, "/", INFERENCES, " at iteration ", iteration,
            ": result ", Tenths(result),
            ", means ", sensors[0].mean_i16(), " ", sensors[1].mean_i16(), " ",
            sensors[2].mean_i16(),
            ", peak bin ", sensors[0].peak_bin(),
        );
        for sensor in sensors.iter_mut() {
            sensor.restart_period();
        }
    }
    Ok(())
}

/// Windows for a second `run` in one process: only host tests run the app twice.
#[cfg(not(target_arch = "wasm32"))]
fn fresh_windows() -> &'static mut [SensorWindow; SENSORS] {
    Box::leak(Box::new([
        SensorWindow::new(),
        SensorWindow::new(),
        SensorWindow::new(),
    ]))
}

/// A module runs its entry point once.
#[cfg(target_arch = "wasm32")]
fn fresh_windows() -> &'static mut [SensorWindow; SENSORS] {
    fireball_guests_sdk::abort("inference: run twice")
}

/// An `f32` shown with one decimal, through integer formatting: `{:.1}` would link core's
/// float printing, whose buffers need kilobytes of stack.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tenths(pub f32);

impl Tenths {
    /// The sign and the value in whole tenths, rounded half away from zero; `None` for a
    /// value that is not finite.
    fn parts(self) -> Result<(&'static str, u64), &'static str> {
        if !self.0.is_finite() {
            return Err(match self.0 {
                x if x.is_nan() => "NaN",
                x if x > 0.0 => "inf",
                _ => "-inf",
            });
        }
        let scaled = self.0 * 10.0;
        // Round half away from zero; `as` saturates beyond i64.
        let tenths = if scaled < 0.0 {
            scaled - 0.5
        } else {
            scaled + 0.5
        } as i64;
        let sign = if tenths < 0 { "-" } else { "" };
        Ok((sign, tenths.unsigned_abs()))
    }
}

impl fmt::Display for Tenths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.parts() {
            Ok((sign, tenths)) => write!(f, "{sign}{}.{}", tenths / 10, tenths % 10),
            Err(text) => f.write_str(text),
        }
    }
}

/// The `Display` text without `core::fmt` (what the log line uses).
impl Show for Tenths {
    fn show(&self, out: &mut Text<'_>) {
        match self.parts() {
            Ok((sign, tenths)) => out.push_all(&[&sign, &(tenths / 10), &".", &(tenths % 10)]),
            Err(text) => out.push_all(&[&text]),
        };
    }
}

#[cfg(test)]
mod tests;
