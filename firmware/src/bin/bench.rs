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
//! ```
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use fireball_firmware::{clock, exit, heap};

/// Iterations per measurement (N above).
const ITERS: u32 = 2_000;

/// A workload as every crate's `bench` module describes it.
struct Workload {
    name: &'static str,
    baseline: Option<&'static str>,
    run: fn(u32) -> u64,
}

macro_rules! collect {
    ($($krate:ident),*) => {
        [$($krate::bench::workloads().iter().map(|w| Workload {
            name: w.name,
            baseline: w.baseline,
            run: w.run,
        })),*]
    };
}

fn ticks_for(run: fn(u32) -> u64, iters: u32) -> u64 {
    let start = clock::ticks();
    core::hint::black_box(run(core::hint::black_box(iters)));
    clock::ticks() - start
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
    for workload in collect!(fireball_kernel, fireball_subsystems).into_iter().flatten() {
        let once = ticks_for(workload.run, ITERS);
        let twice = ticks_for(workload.run, 2 * ITERS);
        let per_op_milli = twice.saturating_sub(once) * per_tick_milli / u64::from(ITERS);
        hprintln!(
            "bench,{},{},{}",
            workload.name,
            workload.baseline.unwrap_or(""),
            per_op_milli
        );
    }
    hprintln!("fireball: bench done, heap peak {} bytes", heap::peak());
    exit(true)
}
