//! The demo's timeline (`fireball run … --timeline`): the JSON is Chrome's trace-event
//! format as Perfetto reads it — the fields every event needs, flows that pair up, and
//! timestamps that never go back on a track — and it holds what the run did: a track per
//! component with its slices, every request and reply as a flow, the logs, the partitions.
//! The HTML rendering draws the same events.

use std::{cell::RefCell, collections::BTreeMap, collections::BTreeSet, rc::Rc};

use fireball::{
    deploy::{self, Output, RunOptions},
    timeline::Timeline,
};
use fireball_subsystems::host::BufferConsole;
use fireball_tests::{modules_dir, repo_root};
use serde_json::Value;

fn demo_timeline() -> (Timeline, String) {
    let timeline = Rc::new(RefCell::new(Timeline::new("sensor-hub")));
    let options = RunOptions {
        output: Output::Buffer(BufferConsole::new()),
        timeline: Some(timeline.clone()),
        ..RunOptions::default()
    };
    let manifest = repo_root().join("examples/sensor-hub/fireball.toml");
    let system = deploy::boot_file(&manifest, &modules_dir(), options)
        .unwrap_or_else(|e| panic!("the demo does not boot: {e}"));
    let report = system.run();
    assert!(report.all_guests_finished(), "{report}");
    let trace = report.trace.clone();
    drop(report);
    let timeline = Rc::try_unwrap(timeline)
        .map(RefCell::into_inner)
        .unwrap_or_else(|_| panic!("the run still holds the timeline"));
    (timeline, trace)
}

#[test]
fn the_demo_timeline_is_valid_trace_event_json_holding_the_run() {
    let (timeline, trace) = demo_timeline();
    let json: Value = serde_json::from_str(&timeline.to_json().to_string()).unwrap();
    let events = json["traceEvents"].as_array().expect("traceEvents");
    assert!(!events.is_empty());
    let mut tracks = BTreeMap::new();
    let mut flows: BTreeMap<u64, (Option<&Value>, Option<&Value>)> = BTreeMap::new();
    let mut last_ts: BTreeMap<(u64, u64), u64> = BTreeMap::new();
    for e in events {
        let ph = e["ph"].as_str().unwrap_or_else(|| panic!("no ph: {e}"));
        assert!(e["name"].is_string(), "no name: {e}");
        assert!(e["pid"].is_u64(), "no pid: {e}");
        if ph == "M" {
            if e["name"] == "thread_name" {
                tracks.insert(
                    e["tid"].as_u64().unwrap(),
                    e["args"]["name"].as_str().unwrap(),
                );
            }
            continue;
        }
        let ts = e["ts"].as_u64().unwrap_or_else(|| panic!("no ts: {e}"));
        let tid = e["tid"].as_u64().unwrap_or_else(|| panic!("no tid: {e}"));
        let key = (e["pid"].as_u64().unwrap(), tid);
        assert!(
            last_ts.get(&key).is_none_or(|&last| ts >= last),
            "time goes back on track {tid}: {e}"
        );
        last_ts.insert(key, ts);
        match ph {
            "X" => assert!(e["dur"].is_u64(), "a complete event needs dur: {e}"),
            "i" => assert!(matches!(e["s"].as_str(), Some("t" | "p" | "g")), "{e}"),
            "C" => assert!(e["args"].as_object().is_some_and(|a| !a.is_empty()), "{e}"),
            "s" | "f" => {
                let id = e["id"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("a flow needs an id: {e}"));
                assert!(e["cat"].is_string(), "a flow needs a category: {e}");
                let pair = flows.entry(id).or_default();
                let end = if ph == "s" { &mut pair.0 } else { &mut pair.1 };
                assert!(end.replace(e).is_none(), "flow {id} has two {ph} events");
            }
            other => panic!("an event type the timeline does not write: {other}"),
        }
    }
    for (id, pair) in &flows {
        let (Some(start), Some(end)) = pair else {
            panic!("flow {id} does not pair up: {pair:?}");
        };
        assert_eq!(start["name"], end["name"], "flow {id}");
        assert_eq!(start["cat"], end["cat"], "flow {id}");
        assert!(
            end["ts"].as_u64() >= start["ts"].as_u64(),
            "flow {id} goes back in time"
        );
    }
    // A track per task that ran: every component, and the native subsystems.
    let names: BTreeSet<&str> = tracks.values().copied().collect();
    for component in [
        "hal",
        "filter",
        "mesh",
        "stats",
        "sensor-buffer",
        "aggregator",
        "inference",
    ] {
        assert!(
            names.contains(component),
            "no track for {component}: {names:?}"
        );
    }
    // Every request and every reply of the run's trace is a flow.
    let count = |what: &str| {
        trace
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(what))
            .count()
    };
    let flows_of = |cat: &str| {
        events
            .iter()
            .filter(|e| e["ph"] == "s" && e["cat"] == cat)
            .count()
    };
    assert_eq!(flows_of("request"), count("request"));
    assert_eq!(flows_of("reply"), count("reply"));
    // What the guests said, as instants.
    assert!(events.iter().any(|e| {
        e["ph"] == "i"
            && e["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("done: 2 windows sent"))
    }));
    // Slices say what their component did next.
    assert!(events.iter().any(|e| {
        e["ph"] == "X"
            && e["args"]["then"]
                .as_str()
                .is_some_and(|s| s.starts_with("blocked"))
    }));
}

#[test]
fn the_html_timeline_draws_every_track_and_flow() {
    let (timeline, _) = demo_timeline();
    let html = timeline.to_html();
    assert!(html.starts_with("<!doctype html>") && html.contains("<svg"));
    let json = timeline.to_json();
    let events = json["traceEvents"].as_array().unwrap();
    let flows = events.iter().filter(|e| e["ph"] == "f").count();
    assert_eq!(html.matches("<line ").count(), flows);
    for name in ["sensor-buffer", "aggregator", "inference", "filter"] {
        assert!(html.contains(&format!(">{name}</text>")), "{name}");
    }
}
