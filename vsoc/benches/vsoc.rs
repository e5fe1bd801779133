//! Host benchmark of the vSoC workloads (`fireball_vsoc::bench`), with ratios
//! against their baselines measured in the same run.
//!
//! `cargo bench -p fireball-vsoc --features bench` — for each workload, pick N
//! so that `run(N)` takes ~20 ms, then time `run(2N) - run(N)` (fixed costs
//! cancel) seven times and keep the median, in ns per operation.

use std::{hint::black_box, time::Instant};

use fireball_vsoc::bench::{Workload, workloads};

fn time(workload: &Workload, iters: u32) -> f64 {
    let start = Instant::now();
    black_box((workload.run)(black_box(iters)));
    start.elapsed().as_secs_f64() * 1e9
}

fn ns_per_op(workload: &Workload) -> f64 {
    let mut n = 64u32;
    while time(workload, n) < 20e6 && n < (1 << 28) {
        n *= 2;
    }
    let mut samples: Vec<f64> = (0..7)
        .map(|_| (time(workload, 2 * n) - time(workload, n)) / f64::from(n))
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let results: Vec<(&Workload, f64)> = workloads().iter().map(|w| (w, ns_per_op(w))).collect();
    println!("{:<20} {:>10}  vs baseline", "workload", "ns/op");
    for (workload, ns) in &results {
        let ratio = workload.baseline.and_then(|base| {
            let (_, base_ns) = results.iter().find(|(w, _)| w.name == base)?;
            Some(format!("{:.3}x {base}", ns / base_ns))
        });
        println!(
            "{:<20} {:>10.2}  {}",
            workload.name,
            ns,
            ratio.unwrap_or_default()
        );
    }
}
