//! Host benchmark of wasm3 beside bare wasmi and the vSoC, same run: the vSoC's
//! compute and host-call workloads (`fireball_vsoc::bench`) and this crate's wasm3 ones
//! on the same modules. The harness and its options are in `fireball_tests::bench`.
//!
//! `cargo bench -p fireball-peer-wasm3 --bench wasm3 [-- <name filter>]`

fn main() {
    let workloads: Vec<_> = fireball_vsoc::bench::workloads()
        .iter()
        .filter(|w| w.name != "vsoc/task_switch")
        .chain(fireball_peer_wasm3::workloads())
        .copied()
        .collect();
    fireball_tests::bench::run("wasm3 peer", &workloads, 20_000);
}
