//! Host benchmark of the vSoC's workloads (`fireball_vsoc::bench`) against bare
//! wasmi, same run; the harness and its options are in `fireball_tests::bench`.
//!
//! `cargo bench -p fireball-vsoc --features bench --bench vsoc [-- <name filter>]`

fn main() {
    fireball_tests::bench::run("vsoc", fireball_vsoc::bench::workloads(), 20_000);
}
