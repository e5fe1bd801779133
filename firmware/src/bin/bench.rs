//! The `bench` image: every benchmark workload the crates export, counted in
//! instructions under QEMU `-icount shift=0`.
//!
//! For each workload the cost of one operation is `(run(2N) - run(N)) / N`,
//! so whatever a workload sets up once (an executor, a channel, an arena)
//! cancels out. Output, one line each, for `cargo xtask bench` to read:
//!
//! ```text
//! calibration,<instructions per tick × 1000>
//! bench,<name>,<baseline name or empty>,<instructions per op × 1000>
//! bench-failed,<name>          (the workload returned a zero checksum)
//! ```
//!
//! The image exits with failure if any workload failed. wasm3 (`fireball-peer-wasm3`,
//! C) runs the vSoC's compute and host-call modules beside bare wasmi as a peer.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use fireball_firmware::{clock, exit, heap};

/// Iterations per measurement (N above); `FIREBALL_BENCH_ITERS` at build time changes it
/// (`cargo xtask profile` builds with few iterations).
const ITERS: u32 = match option_env!("FIREBALL_BENCH_ITERS") {
    Some(text) => match u32::from_str_radix(text, 10) {
        Ok(n) if n > 0 => n,
        _ => panic!("FIREBALL_BENCH_ITERS: a positive number"),
    },
    None => 2_000,
};

/// Only this workload (`FIREBALL_BENCH_ONLY` at build time; a trailing `*` takes every
/// workload with that prefix), or every one.
const ONLY: Option<&str> = option_env!("FIREBALL_BENCH_ONLY");

fn selected(name: &str) -> bool {
    match ONLY {
        None => true,
        Some(only) => match only.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == only,
        },
    }
}

/// Ticks for `run(iters)`, or `None` if it returned the zero checksum that
/// means it could not do its work (every workload's checksum is non-zero
/// for a non-zero iteration count).
fn ticks_for(run: fn(u32) -> u64, iters: u32) -> Option<u64> {
    let start = clock::ticks();
    let checksum = core::hint::black_box(run(core::hint::black_box(iters)));
    let ticks = clock::ticks() - start;
    (checksum != 0).then_some(ticks)
}

/// Measure one workload and print its line; `false` if it failed.
fn measure(name: &str, baseline: Option<&str>, run: fn(u32) -> u64, per_tick_milli: u64) -> bool {
    let (Some(once), Some(twice)) = (ticks_for(run, ITERS), ticks_for(run, 2 * ITERS)) else {
        hprintln!("bench-failed,{}", name);
        return false;
    };
    let per_op_milli = twice.saturating_sub(once) * per_tick_milli / u64::from(ITERS);
    hprintln!("bench,{},{},{}", name, baseline.unwrap_or(""), per_op_milli);
    true
}

#[entry]
fn main() -> ! {
    heap::init();
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        exit(false)
    };
    clock::start(peripherals.SYST);
    let per_tick_milli = clock::instructions_per_tick_milli();
    hprintln!("calibration,{}", per_tick_milli);
    let mut ok = true;
    for workloads in [
        fireball_kernel::bench::workloads(),
        fireball_subsystems::bench::workloads(),
        fireball_vsoc::bench::workloads(),
        fireball_router::bench::workloads(),
        fireball_peer_wasm3::workloads(),
    ] {
        for w in workloads {
            if !selected(w.name) {
                continue;
            }
            ok &= measure(w.name, w.baseline, w.run, per_tick_milli);
        }
    }
    hprintln!("fireball: bench done, heap peak {} bytes", heap::peak());
    exit(ok)
}
