//! Host benchmark of the router's shared workloads (`fireball_router::bench`), with ratios
//! against their baselines measured in the same run.
//!
//! ```sh
//! cargo bench -p fireball-router --bench router            # every workload
//! cargo bench -p fireball-router --bench router -- lookup  # names containing "lookup"
//! ```
//!
//! The harness and its options (`FIREBALL_BENCH_ITERS`, `FIREBALL_BENCH_REPS`,
//! `FIREBALL_BENCH_PROFILE`) are in `fireball_tests::bench`. What counts is the
//! ratio `router/bound_call` : `router/resolve_every_call` and the shape of the
//! lookup curve (16 → 256 → 1024 routes), printed last.

fn main() {
    let medians = fireball_tests::bench::run("router", fireball_router::bench::workloads(), 50_000);
    // The lookup curve: `O(log N)` shows as small steps from 16 to 1024 routes (64× more
    // routes; log2 grows 4 → 10), a linear scan as ~64×.
    let median_of = |name: &str| medians.iter().find(|(n, _)| *n == name).map(|(_, ns)| *ns);
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
