//! Host benchmark of the subsystems' workloads (the logger enqueue) against
//! their baselines, same run: `cargo bench -p fireball-subsystems --bench subsystems`.

use fireball_subsystems::bench::workloads;
use fireball_tests::bench::report;

fn main() {
    print!("{}", report(workloads()));
}
