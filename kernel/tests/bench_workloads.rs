//! Every shared benchmark workload (`fireball_kernel::bench`) runs and produces the checksum
//! its operation must produce, so the workloads the host bench and the firmware harness measure
//! cannot silently rot.

use fireball_kernel::bench::{Workload, workloads};

/// The workloads' checksum: `acc.rotate_left(5) ^ value` over the values seen, in order.
fn fold(values: impl IntoIterator<Item = u32>) -> u64 {
    u64::from(
        values
            .into_iter()
            .fold(0u32, |acc, value| acc.rotate_left(5) ^ value),
    )
}

/// What workload `name` must return after `iters` operations.
fn expected(name: &str, iters: u32) -> u64 {
    match name {
        // Task 1 resumes first, then they alternate; task 1 takes the odd one out.
        "kernel/task_switch" => {
            let (ones, twos) = (iters - iters / 2, iters / 2);
            let mut tags = Vec::new();
            for round in 0..ones {
                tags.push(1);
                if round < twos {
                    tags.push(2);
                }
            }
            fold(tags) | u64::from(iters) << 32
        }
        // Every channel workload delivers 0..iters, in order, exactly once.
        "kernel/rendezvous_send_recv"
        | "kernel/buffered_send_recv"
        | "embassy/buffered_send_recv"
        | "kernel/async_send_recv"
        | "embassy/async_send_recv" => fold(0..iters),
        // Every allocation succeeds and holds the byte written into it.
        "kernel/partition_alloc_free_8"
        | "talc/alloc_free_8"
        | "kernel/partition_alloc_free_256"
        | "talc/alloc_free_256" => fold((0..iters).map(|i| u32::from(i as u8))),
        other => panic!("no expected checksum for workload {other}: add one here"),
    }
}

fn find(name: &str) -> &'static Workload {
    workloads()
        .iter()
        .find(|w| w.name == name)
        .unwrap_or_else(|| panic!("no workload {name}"))
}

#[test]
fn every_workload_produces_its_checksum() {
    for workload in workloads() {
        // 0 and 1 catch off-by-one setups; 257 wraps the u8 pattern and runs buffers around.
        for iters in [0, 1, 2, 7, 64, 257] {
            assert_eq!(
                (workload.run)(iters),
                expected(workload.name, iters),
                "{} with {iters} iterations",
                workload.name
            );
        }
        // Running again finds the same state (the harness calls each workload many times).
        assert_eq!((workload.run)(64), expected(workload.name, 64));
    }
}

#[test]
fn the_issue_s_workloads_exist_with_their_baselines() {
    let pairs = [
        ("kernel/task_switch", None),
        ("kernel/rendezvous_send_recv", None),
        (
            "kernel/buffered_send_recv",
            Some("embassy/buffered_send_recv"),
        ),
        ("kernel/async_send_recv", Some("embassy/async_send_recv")),
        ("kernel/partition_alloc_free_8", Some("talc/alloc_free_8")),
        (
            "kernel/partition_alloc_free_256",
            Some("talc/alloc_free_256"),
        ),
    ];
    for (name, baseline) in pairs {
        assert_eq!(find(name).baseline, baseline, "{name}");
        if let Some(baseline) = baseline {
            assert_eq!(find(baseline).baseline, None, "{baseline} is a baseline");
        }
    }
    let mut names: Vec<_> = workloads().iter().map(|w| w.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), workloads().len(), "workload names are unique");
}
