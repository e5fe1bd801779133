//! `{{name}}` — a Fireball guest: it reads ADC channel [`CHANNEL`] through the `hal`
//! subsystem [`SAMPLES`] times, [`PERIOD_TICKS`] apart, logs each reading and their mean, and
//! returns. A failed request stops it with an error, so `fireball run` exits with status 1.
//!
//! Routes: `read hal://adc/{channel}` → `AdcSample`; `write log://` (the logger).
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use fireball_guests_sdk::{abort, device, entry, hal::Adc, log, no_heap, route::Error};

/// The ADC channel read.
pub const CHANNEL: u8 = 0;
/// Readings taken.
pub const SAMPLES: u32 = 3;
/// Ticks (microseconds) between two readings.
pub const PERIOD_TICKS: u64 = 10_000;

// Nothing here allocates: no heap.
no_heap!();
entry!(main);

fn main() {
    match run() {
        Ok(mean) => log::say!(Info: "mean of ", SAMPLES, " readings: ", mean),
        Err(error) => {
            log::say!(Error: "stopped: ", error);
            abort("a request failed");
        }
    }
}

/// Take [`SAMPLES`] readings, logging each; their mean (raw converter units).
pub fn run() -> Result<u32, Error> {
    let adc = Adc::open(CHANNEL)?;
    let mut sum = 0u32;
    for n in 0..SAMPLES {
        if n > 0 {
            device::sleep_ticks(PERIOD_TICKS);
        }
        let sample = adc.read()?;
        log::say!(Info: "reading ", n, ": ", sample.raw, " (", sample.millivolts, " mV)");
        sum += u32::from(sample.raw);
    }
    Ok(sum / SAMPLES)
}

#[cfg(test)]
mod tests {
    use fireball_guests_sdk::{hal::AdcSample, route::Method, stub::router};

    use super::*;

    #[test]
    fn the_mean_of_the_readings() {
        let mut next = 100u16;
        router::serve_typed("hal://adc/0", move |method, (): ()| {
            assert_eq!(method, Method::Read);
            next += 10;
            Ok(AdcSample {
                channel: 0,
                raw: next,
                bits: 12,
                millivolts: 0,
            })
        });
        assert_eq!(run(), Ok(120));
    }

    #[test]
    fn without_an_adc_it_is_an_error() {
        assert_eq!(run(), Err(Error::NoRoute));
    }
}
