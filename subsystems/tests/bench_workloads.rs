//! The benchmark workloads do the work they claim (so they cannot rot).

use fireball_subsystems::bench::workloads;

fn run(name: &str, iters: u32) -> u64 {
    let workload = workloads().iter().find(|w| w.name == name).unwrap();
    (workload.run)(iters)
}

#[test]
fn logger_enqueue_pushes_every_event_and_counts_overwrites() {
    assert_eq!(run("logger/enqueue", 1000), 1000 + (1000 - 256));
}

#[test]
fn the_baseline_keeps_the_last_256_events() {
    assert_eq!(run("heapless/history_buffer_write", 1000), 256 + 999);
}

#[test]
fn every_baseline_named_exists() {
    for w in workloads() {
        if let Some(b) = w.baseline {
            assert!(workloads().iter().any(|x| x.name == b), "{b}");
        }
    }
}
