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
//!
//! The `package/*` workloads check signed packages as a board does before installing one
//! (`Package::verify`). Their packages are written at build time by `cargo xtask bench`
//! into `$FIREBALL_BENCH_PACKAGES` (`fireball_package::sign` is host-only) and embedded
//! here with the key they verify against. An operation costs millions of instructions, so
//! they run [`HEAVY_ITERS`] times per measurement rather than [`ITERS`].
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

/// Iterations per measurement of the `package/*` workloads: one verification is millions
/// of instructions, and deterministic, so a few suffice (`FIREBALL_BENCH_ITERS` sets both).
const HEAVY_ITERS: u32 = match option_env!("FIREBALL_BENCH_ITERS") {
    Some(_) => ITERS,
    None => 4,
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

/// Measure one workload at `iters` iterations and print its line; `false` if it failed.
fn measure(
    name: &str,
    baseline: Option<&str>,
    run: fn(u32) -> u64,
    iters: u32,
    per_tick_milli: u64,
) -> bool {
    let (Some(once), Some(twice)) = (ticks_for(run, iters), ticks_for(run, 2 * iters)) else {
        hprintln!("bench-failed,{}", name);
        return false;
    };
    let per_op_milli = twice.saturating_sub(once) * per_tick_milli / u64::from(iters);
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
            ok &= measure(w.name, w.baseline, w.run, ITERS, per_tick_milli);
        }
    }
    for (name, baseline, run) in package::WORKLOADS {
        if selected(name) {
            ok &= measure(name, baseline, run, HEAVY_ITERS, per_tick_milli);
        }
    }
    hprintln!("fireball: bench done, heap peak {} bytes", heap::peak());
    exit(ok)
}

/// A board's check of a signed package before it installs it.
mod package {
    use fireball_package::{Package, PublicKey};
    use sha2::Digest as _;

    /// Name, baseline, run: as the crates' `bench::Workload`s.
    pub type Workload = (&'static str, Option<&'static str>, fn(u32) -> u64);

    pub const WORKLOADS: [Workload; 3] = [
        ("package/verify_stats", None, verify_stats),
        (
            "package/verify_empty",
            Some("package/verify_stats"),
            verify_empty,
        ),
        (
            "package/sha256_stats",
            Some("package/verify_stats"),
            sha256_stats,
        ),
    ];

    /// The sensor hub's `stats` service (~15 KB of WASM), signed as `cargo xtask package`
    /// signs it.
    static STATS: &[u8] = include_bytes!(concat!(env!("FIREBALL_BENCH_PACKAGES"), "/stats.fbpk"));
    /// The same header around an 8-byte module: the signature check with almost nothing to
    /// hash.
    static EMPTY: &[u8] = include_bytes!(concat!(env!("FIREBALL_BENCH_PACKAGES"), "/empty.fbpk"));
    /// The key both are signed with (a bench key, trusted by no deployment).
    static KEYS: [PublicKey; 1] = [PublicKey::from_bytes(*include_bytes!(concat!(
        env!("FIREBALL_BENCH_PACKAGES"),
        "/key.pub"
    )))];

    /// `iters` verifications of `bytes`; the module's length per success (0 if one failed).
    fn verify(bytes: &'static [u8], iters: u32) -> u64 {
        let mut sum = 0u64;
        for _ in 0..iters {
            match Package::verify(core::hint::black_box(bytes), &KEYS) {
                Ok(package) => sum += package.module().len() as u64,
                Err(_) => return 0,
            }
        }
        sum
    }

    /// The whole check of the `stats` package: ed25519 `verify_strict` over the package
    /// (SHA-512 of every byte, then the curve), the parse, the module's SHA-256.
    fn verify_stats(iters: u32) -> u64 {
        verify(STATS, iters)
    }

    /// The same check with an 8-byte module: the curve arithmetic, the fixed part.
    fn verify_empty(iters: u32) -> u64 {
        verify(EMPTY, iters)
    }

    /// The SHA-256 of the `stats` module alone (the digest `verify` compares).
    fn sha256_stats(iters: u32) -> u64 {
        let Ok(package) = Package::parse(STATS) else {
            return 0;
        };
        let mut sum = 0u64;
        for _ in 0..iters {
            let digest = sha2::Sha256::digest(core::hint::black_box(package.module()));
            sum += u64::from(digest[0]) + 1;
        }
        sum
    }
}
