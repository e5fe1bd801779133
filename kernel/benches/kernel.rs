//! Host benchmark of the kernel's workloads (`fireball_kernel::bench`) against
//! their baselines (embassy-sync, bare talc), same run; the harness and its
//! options are in `fireball_tests::bench`.
//!
//! `cargo bench -p fireball-kernel --bench kernel [-- <name filter>]`

fn main() {
    fireball_tests::bench::run("kernel", fireball_kernel::bench::workloads(), 100_000);
}
