//! `latency-spin` — a CPU-bound guest: an endless integer loop that never calls a builtin,
//! so only the fuel slices take the core away from it (`examples/latency/fireball.toml`).
#![cfg_attr(target_arch = "wasm32", no_std)]

use core::sync::atomic::{AtomicU32, Ordering};

use fireball_guests_sdk::entry;

entry!(main);

/// Where each round's value goes, so the loop is not optimised away.
static LAST: AtomicU32 = AtomicU32::new(0);

/// One round: a 32-bit xorshift step.
fn step(x: u32) -> u32 {
    let x = x ^ (x << 13);
    let x = x ^ (x >> 17);
    x ^ (x << 5)
}

fn main() {
    let mut x = 0x2545_f491;
    loop {
        x = step(x);
        LAST.store(x, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn xorshift_never_reaches_zero() {
        let mut x = 0x2545_f491;
        for _ in 0..10_000 {
            x = super::step(x);
            assert_ne!(x, 0);
        }
    }
}
