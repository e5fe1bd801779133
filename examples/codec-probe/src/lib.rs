//! `codec-probe` — what the SDK's record codec costs inside a module, in fuel.
//!
//! `fb_main` runs four phases of [`ROUNDS`] rounds each, calling the `yield` builtin after
//! each: decode an [`AdcSample`] (a 4-field record, as `hal://adc/{ch}` replies), twice,
//! then encode one, twice. `tests/tests/integration/codec_fuel.rs` reads the fuel the instance has
//! burnt at each yield: the difference between two identical phases, over [`ROUNDS`], is
//! the fuel of one round (the loop's own few instructions included). The two phases of
//! each kind must agree, which checks that nothing else ran in between.
#![cfg_attr(target_arch = "wasm32", no_std)]
#![allow(unsafe_code)]
#![warn(missing_docs)]

use core::hint::black_box;

use fireball_guests_sdk::{codec, device, entry, hal::AdcSample, no_heap};

/// Rounds per phase.
pub const ROUNDS: u32 = 50;

/// The record decoded: what `hal` answers for a 12-bit sample.
pub const SAMPLE: AdcSample = AdcSample {
    channel: 2,
    raw: 3071,
    bits: 12,
    millivolts: 2474,
};

no_heap!();
entry!(main);

fn main() {
    let mut bytes = [0u8; 64];
    let len = codec::encode_into(&SAMPLE, &mut bytes).unwrap_or_default();
    let bytes = bytes.get(..len).unwrap_or_default();
    let mut checked = 0u32;
    for _ in 0..2 {
        for _ in 0..ROUNDS {
            let sample: Option<AdcSample> = codec::decode(black_box(bytes));
            checked += u32::from(sample.is_some_and(|s| s.millivolts == SAMPLE.millivolts));
        }
        device::yield_now();
    }
    for _ in 0..2 {
        for _ in 0..ROUNDS {
            let mut out = [0u8; 64];
            checked += u32::from(codec::encode_into(black_box(&SAMPLE), &mut out) == Some(len));
            black_box(&out);
        }
        device::yield_now();
    }
    if checked != 4 * ROUNDS {
        fireball_guests_sdk::abort("codec-probe: a round did not round-trip");
    }
}

/// One decode (for tracing the probe outside the hypervisor).
#[unsafe(no_mangle)]
pub extern "C" fn probe_decode() -> u32 {
    let mut bytes = [0u8; 64];
    let len = codec::encode_into(&SAMPLE, &mut bytes).unwrap_or_default();
    let bytes = bytes.get(..len).unwrap_or_default();
    let sample: Option<AdcSample> = codec::decode(black_box(bytes));
    sample.map_or(0, |s| s.millivolts)
}
