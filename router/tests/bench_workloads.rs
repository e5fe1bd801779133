//! Every benchmark workload runs, with tiny iteration counts, and produces the checksum a
//! working router gives: the workloads cannot rot, and a broken router shows up here too.

use fireball_router::bench::workloads;

#[test]
fn every_workload_runs_and_checksums_match() {
    let mut table = String::new();
    for w in workloads() {
        let one = (w.run)(1);
        let five = (w.run)(5);
        assert_eq!((w.run)(5), five, "{} is deterministic", w.name);
        assert_ne!(one, five, "{} depends on iters", w.name);
        assert!(
            one != 0 && five != 0,
            "{}: zero means failure to the firmware",
            w.name
        );
        table += &format!("{:<28} x1 {one:>10}  x5 {five:>10}\n", w.name);
    }
    insta::assert_snapshot!(table);
}

#[test]
fn baselines_exist_and_names_are_unique() {
    let all = workloads();
    let names: Vec<&str> = all.iter().map(|w| w.name).collect();
    for w in all {
        assert_eq!(names.iter().filter(|n| **n == w.name).count(), 1);
        if let Some(b) = w.baseline {
            assert!(names.contains(&b), "{} has no baseline {b}", w.name);
        }
    }
    for required in [
        "router/request_reply",
        "router/request_reply_fresh",
        "router/bound_call",
        "router/resolve_every_call",
        "router/policy_check",
        "router/record_encode",
        "router/record_decode",
        "router/record_decode_owned",
        "router/lookup_16",
        "router/lookup_256",
        "router/lookup_1024",
    ] {
        assert!(names.contains(&required), "{required}");
    }
}

#[test]
fn round_trip_workloads_agree_with_each_other() {
    // Three ways to do the same round trip: same replies, same checksum.
    let by_name = |n: &str| workloads().iter().find(|w| w.name == n).unwrap().run;
    for iters in [1, 7, 64] {
        let executor = by_name("router/request_reply")(iters);
        assert_eq!(by_name("router/request_reply_fresh")(iters), executor);
        assert_eq!(by_name("router/bound_call")(iters), executor);
        assert_eq!(by_name("router/resolve_every_call")(iters), executor);
        // The in-place reader and the owned decoder read the same fields.
        assert_eq!(
            by_name("router/record_decode")(iters),
            by_name("router/record_decode_owned")(iters)
        );
    }
}

#[test]
fn checksums_are_non_zero_at_the_firmware_harness_sizes() {
    // The QEMU harness runs N = 2000 and 2N and reads a zero checksum as a failure.
    for w in workloads() {
        for iters in [2000, 4000] {
            assert_ne!((w.run)(iters), 0, "{} x{iters}", w.name);
        }
    }
}
