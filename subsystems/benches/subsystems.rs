//! Host benchmark of the subsystems' workloads (the logger enqueue) against
//! their baselines, same run: `cargo bench -p fireball-subsystems --bench subsystems`.

use fireball_subsystems::bench::workloads;
use fireball_tests::bench::{Workload, report};

fn main() {
    let list: Vec<Workload> = workloads()
        .iter()
        .map(|w| Workload {
            name: w.name,
            baseline: w.baseline,
            run: w.run,
        })
        .collect();
    print!("{}", report(&list));
}
