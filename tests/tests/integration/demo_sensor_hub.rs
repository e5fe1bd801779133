//! The demo deployment (`examples/sensor-hub/fireball.toml`, what `cargo xtask demo` runs):
//! three service plugins and the seed's three guest apps on the host simulator. The data
//! path ADC → filter service → aggregating guest → mesh transmit is asserted on the router's
//! trace, and the traffic is snapshot-tested with insta.

use std::collections::BTreeMap;

use fireball::deploy::{self, Kind, Output, RunOptions, RunReport, State};
use fireball_subsystems::host::BufferConsole;
use fireball_tests::{modules_dir, repo_root};

fn run_demo() -> (RunReport, String) {
    let out = BufferConsole::new();
    let options = RunOptions {
        output: Output::Buffer(out.clone()),
        ..RunOptions::default()
    };
    let manifest = repo_root().join("examples/sensor-hub/fireball.toml");
    let system = deploy::boot_file(&manifest, &modules_dir(), options)
        .unwrap_or_else(|e| panic!("the demo does not boot: {e}"));
    (system.run(), out.contents())
}

/// One request line of the trace: `(caller, callee, method, uri)`, generations dropped.
fn requests(trace: &str) -> Vec<(String, String, String, String)> {
    let name = |who: &str| who.split('#').next().unwrap_or(who).to_string();
    trace
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f.get(1) == Some(&"request"))
                .then(|| (name(f[3]), name(f[5]), f[6].to_string(), f[7].to_string()))
        })
        .collect()
}

/// Bound URI → route pattern, from the trace's `bind` lines.
fn patterns(trace: &str) -> BTreeMap<String, String> {
    trace
        .lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            (f.get(1) == Some(&"bind") && f.get(4) == Some(&"->"))
                .then(|| (f[3].to_string(), f[5].to_string()))
        })
        .collect()
}

/// Requests counted by caller, callee, method and route pattern.
fn traffic(trace: &str) -> String {
    let patterns = patterns(trace);
    let mut counts: BTreeMap<(String, String, String, String), usize> = BTreeMap::new();
    for (caller, callee, method, uri) in requests(trace) {
        let pattern = patterns.get(&uri).cloned().unwrap_or(uri);
        *counts.entry((caller, callee, method, pattern)).or_default() += 1;
    }
    counts
        .iter()
        .map(|((caller, callee, method, pattern), n)| {
            format!("{caller:>13} -> {callee:<6} {method:<5} {pattern:<26} x{n}\n")
        })
        .collect()
}

#[test]
fn the_sensor_hub_runs_every_guest_to_the_end_and_keeps_its_services_up() {
    let (report, _) = run_demo();
    assert!(!report.timed_out, "{report}");
    for c in &report.components {
        match c.kind {
            Kind::Guest => assert_eq!(c.state, State::Finished, "{report}"),
            Kind::Service => assert!(matches!(c.state, State::Running(_)), "{report}"),
        }
    }
    assert_eq!(
        report.trace.matches(" denied ").count(),
        0,
        "the manifest allows exactly what the demo does"
    );
}

#[test]
fn samples_flow_from_the_adc_through_the_filter_and_the_aggregator_to_the_radio() {
    let (report, _) = run_demo();
    let requests = requests(&report.trace);
    let count = |caller: &str, callee: &str, method: &str, prefix: &str| {
        requests
            .iter()
            .filter(|(c, s, m, u)| {
                c == caller && s == callee && m == method && u.starts_with(prefix)
            })
            .count()
    };
    // The aggregator reads 4 filtered channels, 32 samples each, for 2 windows; every one
    // of them makes the filter read the ADC.
    let filtered = count("aggregator", "filter", "read", "svc://filter/");
    assert_eq!(filtered, 4 * 32 * 2);
    assert!(count("filter", "hal", "read", "hal://adc/") >= filtered);
    // Each full window goes to the mesh gateway, which puts it on the air.
    assert_eq!(count("aggregator", "mesh", "write", "svc://mesh/tx"), 2);
    assert!(count("mesh", "hal", "write", "hal://radio/0") >= 2);
    // In that order: the first filtered sample precedes the first transmit.
    let first = |caller: &str, prefix: &str| {
        requests
            .iter()
            .position(|(c, _, _, u)| c == caller && u.starts_with(prefix))
            .unwrap()
    };
    assert!(first("aggregator", "svc://filter/") < first("aggregator", "svc://mesh/tx"));
    // While the aggregator's first window is in flight (between its request and the
    // reply), the gateway writes it to the radio.
    let lines: Vec<&str> = report.trace.lines().collect();
    let sent = lines
        .iter()
        .position(|l| {
            l.contains(" request ") && l.contains("aggregator#") && l.contains("svc://mesh/tx")
        })
        .unwrap();
    let id = lines[sent].split_whitespace().nth(2).unwrap().to_string();
    let replied = sent
        + lines[sent..]
            .iter()
            .position(|l| {
                l.split_whitespace().nth(1) == Some("reply")
                    && l.split_whitespace().nth(2) == Some(&id)
            })
            .unwrap();
    assert!(
        lines[sent..replied].iter().any(|l| l.contains(" request ")
            && l.contains("mesh#")
            && l.contains("write hal://radio/0")),
        "{}",
        lines[sent..=replied].join("\n")
    );
    // And the remote nodes heard it.
    for node in &report.radio {
        assert!(node.frames > 0, "{report}");
    }
}

#[test]
fn the_sensor_hub_traffic_snapshot() {
    let (report, output) = run_demo();
    insta::assert_snapshot!("traffic", traffic(&report.trace));
    let boot: String = report
        .trace
        .lines()
        .take_while(|l| !l.contains(" request "))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("boot", boot);
    let said: String = output
        .lines()
        // The scheduler's own events are in the ring for debugging; the rest is what the
        // components said and when.
        .filter(|l| !l.contains(" sched: "))
        .map(|l| format!("{l}\n"))
        .collect();
    insta::assert_snapshot!("consoles", said);
}
