//! `latency-probe` — the guest whose wake-up is measured (`examples/latency/fireball.toml`):
//! it subscribes to ISR flag [`IRQ`] and loops on `wait_irq`; the first thing it does after
//! each return is write the probe register, which the `latency` firmware image stamps with
//! the time (the raise was stamped by the interrupt handler).
#![cfg_attr(target_arch = "wasm32", no_std)]

use fireball_guests_sdk::{
    abort,
    device::{irq_subscribe, mmio_write32, wait_irq},
    entry,
};

entry!(main);

/// The ISR flag the board's timer raises (the CMSDK timer 0's interrupt number).
pub const IRQ: u32 = 3;

/// The probe register in the vOffloader window: a write stamps the time.
pub const PROBE: u32 = 0xC000_F000;

fn main() {
    let mask = 1 << IRQ;
    if irq_subscribe(mask).is_err() {
        abort("ISR flag 3 is taken");
    }
    loop {
        if wait_irq(mask).is_ok() {
            mmio_write32(PROBE, 1);
        }
    }
}
