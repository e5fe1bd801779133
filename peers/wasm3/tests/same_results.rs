//! The wasm3 workloads do the same work as the bare-wasmi baselines they are measured
//! against: same modules, same checksums, for the same iteration counts.

use fireball_peer_wasm3::workloads;

#[test]
fn wasm3_agrees_with_wasmi() {
    let wasmi = fireball_vsoc::bench::workloads();
    for workload in workloads() {
        let baseline = workload.baseline.expect("every wasm3 row has a baseline");
        let base = wasmi
            .iter()
            .find(|w| w.name == baseline)
            .unwrap_or_else(|| panic!("{baseline} is not a vSoC workload"));
        // 20 000 rounds: the count the host bench uses.
        for iters in [1, 2, 10, 1_000, 20_000] {
            let checksum = (workload.run)(iters);
            assert_ne!(checksum, 0, "{} failed at {iters}", workload.name);
            assert_eq!(
                checksum,
                (base.run)(iters),
                "{} vs {baseline} at {iters}",
                workload.name
            );
        }
    }
}

#[test]
fn host_call_checksum_counts_the_toggles() {
    // Pin 0 toggles 0 → 1 → 0 …: n calls return 1 on every other call.
    let host_call = workloads()[1];
    for iters in [1, 2, 7, 100] {
        assert_eq!((host_call.run)(iters), u64::from(iters.div_ceil(2)));
    }
}
