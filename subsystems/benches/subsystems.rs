//! Host benchmark of the subsystems' workloads (the logger enqueue) against their
//! baselines, same run; the harness is `fireball_tests::bench`.
//!
//! `cargo bench -p fireball-subsystems --bench subsystems [-- <name filter>]`

fn main() {
    fireball_tests::bench::run(
        "subsystems",
        fireball_subsystems::bench::workloads(),
        100_000,
    );
}
