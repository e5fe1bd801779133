//! A host benchmark harness for the crates' shared `bench::workloads()`.
//!
//! For each workload: pick N so that `run(N)` takes about 20 ms, then time
//! `run(2N) - run(N)` (fixed costs cancel) eleven times and keep the median,
//! in ns per operation; print it with the ratio to the workload's baseline,
//! measured in the same run.

use std::{hint::black_box, time::Instant};

pub use fireball_kernel::workload::Workload;

fn time(run: fn(u32) -> u64, iters: u32) -> f64 {
    let start = Instant::now();
    black_box(run(black_box(iters)));
    start.elapsed().as_secs_f64() * 1e9
}

fn ns_per_op(run: fn(u32) -> u64) -> f64 {
    let mut n = 64u32;
    while time(run, n) < 20e6 && n < (1 << 28) {
        n *= 2;
    }
    let mut samples: Vec<f64> = (0..11)
        .map(|_| (time(run, 2 * n) - time(run, n)) / f64::from(n))
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Measure every workload and render the table.
pub fn report(workloads: &[Workload]) -> String {
    let results: Vec<(Workload, f64)> = workloads.iter().map(|w| (*w, ns_per_op(w.run))).collect();
    let mut out = format!(
        "{:<32} {:>10}  vs baseline (same run)\n",
        "workload", "ns/op"
    );
    for (workload, ns) in &results {
        let ratio = workload.baseline.and_then(|base| {
            let (_, base_ns) = results.iter().find(|(w, _)| w.name == base)?;
            Some(format!("{:.3}x {base}", ns / base_ns))
        });
        out += &format!(
            "{:<32} {:>10.2}  {}\n",
            workload.name,
            ns,
            ratio.unwrap_or_default()
        );
    }
    out
}
