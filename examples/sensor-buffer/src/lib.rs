//! `sensor-buffer` — seed app 1: buffer ADC samples and send them over the mesh.
//!
//! Reads `hal://adc/0` every [`SAMPLE_PERIOD_TICKS`], collects 64 samples in a
//! [`SampleBuffer`], and when it is full hands the 128 bytes to the
//! mesh gateway (`write svc://mesh/tx`), logging one line per transmission (the logger
//! stamps it with the component's name; it keeps 80 bytes of text). After
//! [`BUFFERS`] buffers it returns, so a deployment that runs it comes to an end.
//!
//! Routes: `read hal://adc/0` → `AdcSample`; `write svc://mesh/tx` `Transmit` → `Sent`;
//! `log://` (write notifications).
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod buffer;

use fireball_guests_sdk::{
    device, entry,
    hal::Adc,
    log, no_heap,
    route::{Client, Error},
};
use mesh_messages::{Sent, TransmitRef};

use buffer::{BYTES, SAMPLES, SampleBuffer};

/// The ADC channel sampled.
pub const CHANNEL: u8 = 0;
/// Buffers sent before the app returns.
pub const BUFFERS: u32 = 2;
/// Ticks (µs on the host) between two samples.
pub const SAMPLE_PERIOD_TICKS: u64 = 10_000;
/// Where full buffers go.
pub const TX_ROUTE: &str = mesh_messages::TRANSMIT.pattern();

// Nothing here allocates: the window goes out borrowed (`TransmitRef`). No heap.
no_heap!();
entry!(main);

fn main() {
    match run() {
        Ok(()) => log::say!(Info: "done: ", BUFFERS, " buffers sent"),
        Err(error) => log::say!(Error: "stopped: ", error),
    }
}

/// Sample, buffer and transmit [`BUFFERS`] buffers.
pub fn run() -> Result<(), Error> {
    let adc = Adc::open(CHANNEL)?;
    let mesh = Client::bind(TX_ROUTE)?;
    let mut buffer = SampleBuffer::new();
    let mut sent_buffers = 0;
    for taken in 0..BUFFERS as usize * SAMPLES {
        if taken > 0 {
            device::sleep_ticks(SAMPLE_PERIOD_TICKS);
        }
        let Some(bytes) = buffer.push(adc.read()?.raw) else {
            continue;
        };
        let sent: Sent = mesh.send(mesh_messages::TRANSMIT, &TransmitRef { data: &bytes })?;
        sent_buffers += 1;
        log::say!(Info:
            "buffer ", sent_buffers, "/", BUFFERS, ": ", SAMPLES, " samples, ", BYTES,
            " B in ", sent.frames, " frames (", sent.bytes, " B on air)",
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
