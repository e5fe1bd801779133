//! The host benchmark harness every crate's `benches/<crate>.rs` calls with its
//! `bench::workloads()`.
//!
//! ```sh
//! cargo bench -p <crate> --bench <crate>               # every workload
//! cargo bench -p <crate> --bench <crate> -- send_recv  # these, with their baselines
//! ```
//!
//! Wall clock on the host: these machines are shared and noisy, so what counts is
//! the ratio to the baseline, not the nanoseconds. Each repetition times `run(N)`
//! and `run(2N)` (each the fastest of three runs) for every workload,
//! interleaved, and takes `(t(2N) - t(N)) / N` as the cost of one operation
//! (set-up cancels out). The figures printed are medians over the repetitions,
//! with their range; a ratio is the workload's median over its baseline's, both
//! from the same run. Cortex-M33 instruction counts come from the firmware's
//! `bench` image, which runs the same workloads under QEMU.
//!
//! Environment: `FIREBALL_BENCH_ITERS` (N), `FIREBALL_BENCH_REPS` (default 11).
//! `FIREBALL_BENCH_PROFILE=N` runs each named workload (not its baseline) once
//! with N iterations and prints its checksum, for `valgrind --tool=callgrind`:
//! the difference between two N, divided by their difference, is instructions
//! per operation.

use std::{hint::black_box, time::Instant};

pub use fireball_kernel::workload::Workload;

fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Nanoseconds of `run(iters)`: the fastest of three runs, which sheds most of
/// what other processes on a shared machine add.
fn time(workload: &Workload, iters: u32) -> f64 {
    (0..3)
        .map(|_| {
            let start = Instant::now();
            black_box((workload.run)(black_box(iters)));
            start.elapsed().as_nanos() as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Measure `workloads` (filtered by the command-line arguments) and print the
/// table under `title`, N defaulting to `default_iters`. Returns each measured
/// workload's median ns/op, for crate-specific summaries.
pub fn run(title: &str, workloads: &[Workload], default_iters: u32) -> Vec<(&'static str, f64)> {
    // `cargo bench` passes `--bench`; any other argument filters workloads by name.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let selected: Vec<&Workload> = workloads
        .iter()
        .filter(|w| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    w.name.contains(f.as_str())
                        || workloads
                            .iter()
                            .any(|k| k.baseline == Some(w.name) && k.name.contains(f.as_str()))
                })
        })
        .collect();

    if let Ok(iters) = std::env::var("FIREBALL_BENCH_PROFILE") {
        // Only the workloads named, not their baselines.
        let iters = iters.replace('_', "").parse().unwrap_or(100_000);
        let named = selected
            .iter()
            .filter(|w| filters.iter().any(|f| w.name.contains(f.as_str())));
        for w in named {
            println!("{} x{iters}: checksum {}", w.name, (w.run)(iters));
        }
        return Vec::new();
    }

    let n = env_u32("FIREBALL_BENCH_ITERS", default_iters).max(1);
    let reps = env_u32("FIREBALL_BENCH_REPS", 11).max(1) as usize;
    println!("{title} benchmark: N = {n}, {reps} repetitions, ns/op = (t(2N) - t(N)) / N");

    // Warm up caches, the allocator and the branch predictors.
    for w in &selected {
        black_box((w.run)(n));
    }
    let mut per_op: Vec<Vec<f64>> = vec![Vec::with_capacity(reps); selected.len()];
    for _ in 0..reps {
        for (i, w) in selected.iter().enumerate() {
            let one = time(w, n);
            let two = time(w, 2 * n);
            per_op[i].push((two - one) / f64::from(n));
        }
    }

    println!(
        "{:<34} {:>9} {:>19}  ratio to baseline (of the medians)",
        "workload", "ns/op", "[min .. max]"
    );
    let medians: Vec<f64> = per_op.iter().map(|v| median(&mut v.clone())).collect();
    for (i, w) in selected.iter().enumerate() {
        let ns = medians[i];
        let (lo, hi) = per_op[i]
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let spread = format!("[{lo:.2} .. {hi:.2}]");
        let ratio = w.baseline.and_then(|b| {
            let j = selected.iter().position(|s| s.name == b)?;
            Some((b, ns / medians[j]))
        });
        match ratio {
            Some((b, r)) => println!("{:<34} {ns:>9.2} {spread:>19}  {r:.2}x {b}", w.name),
            None => println!("{:<34} {ns:>9.2} {spread:>19}", w.name),
        }
    }
    selected.iter().map(|w| w.name).zip(medians).collect()
}
