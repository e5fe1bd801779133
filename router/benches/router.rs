//! Host benchmark of the router's shared workloads (`fireball_router::bench`), with ratios
//! against their baselines measured in the same run.
//!
//! ```sh
//! cargo bench -p fireball-router --bench router            # every workload
//! cargo bench -p fireball-router --bench router -- lookup  # names containing "lookup"
//! ```
//!
//! Wall clock on the host: these machines are shared and noisy, so what counts is the ratio
//! to the baseline (`router/bound_call` against `router/resolve_every_call`) and the shape of
//! the lookup curve (16 → 256 → 1024 routes), not the nanoseconds. Each repetition times
//! `run(N)` and `run(2N)` for every workload, interleaved, and takes `(t(2N) - t(N)) / N` as
//! the cost of one operation (setup cancels out); the figures printed are medians over the
//! repetitions, and a ratio is the median of the per-repetition ratios. Cortex-M33
//! instruction counts come from the firmware harness, which runs the same workloads under
//! QEMU.
//!
//! Environment: `FIREBALL_BENCH_ITERS` (N, default 50 000), `FIREBALL_BENCH_REPS` (default
//! 11). `FIREBALL_BENCH_PROFILE=N` runs each selected workload once with N iterations and
//! prints its checksum, for `valgrind --tool=callgrind`.

use std::hint::black_box;
use std::time::Instant;

use fireball_router::bench::{Workload, workloads};

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

/// Nanoseconds of one `run(iters)`.
fn time(workload: &Workload, iters: u32) -> f64 {
    let start = Instant::now();
    black_box((workload.run)(black_box(iters)));
    start.elapsed().as_nanos() as f64
}

fn main() {
    // `cargo bench` passes `--bench`; any other argument filters workloads by name.
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let all = workloads();
    let selected: Vec<&Workload> = all
        .iter()
        .filter(|w| {
            filters.is_empty()
                || filters.iter().any(|f| {
                    w.name.contains(f.as_str())
                        || all
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
        return;
    }

    let n = env_u32("FIREBALL_BENCH_ITERS", 50_000).max(1);
    let reps = env_u32("FIREBALL_BENCH_REPS", 11).max(1) as usize;
    println!("router benchmark: N = {n}, {reps} repetitions, ns/op = (t(2N) - t(N)) / N");

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

    println!("{:<34} {:>9}  ratio to baseline", "workload", "ns/op");
    for (i, w) in selected.iter().enumerate() {
        let ns = median(&mut per_op[i].clone());
        let ratio = w.baseline.and_then(|b| {
            let j = selected.iter().position(|s| s.name == b)?;
            let mut ratios: Vec<f64> = per_op[i]
                .iter()
                .zip(&per_op[j])
                .map(|(ours, theirs)| ours / theirs)
                .collect();
            Some((b, median(&mut ratios)))
        });
        match ratio {
            Some((b, r)) => println!("{:<34} {ns:>9.2}  {r:.2}x {b}", w.name),
            None => println!("{:<34} {ns:>9.2}", w.name),
        }
    }

    // The lookup curve: `O(log N)` shows as small steps from 16 to 1024 routes (64× more
    // routes; log2 grows 4 → 10), a linear scan as ~64×.
    let median_of = |name: &str| {
        selected
            .iter()
            .position(|w| w.name == name)
            .map(|i| median(&mut per_op[i].clone()))
    };
    if let (Some(l16), Some(l256), Some(l1024)) = (
        median_of("router/lookup_16"),
        median_of("router/lookup_256"),
        median_of("router/lookup_1024"),
    ) {
        println!(
            "lookup scaling: 256 routes {:.2}x, 1024 routes {:.2}x the cost at 16",
            l256 / l16,
            l1024 / l16
        );
    }
}
