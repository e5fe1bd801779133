//! The debugger on a running sensor hub (`examples/sensor-hub/debug.toml`, the aggregator
//! from its instrumented debug build), below LLDB: `cargo xtask debugger` drives the same
//! deployment with a stock lldb-22.
//!
//! While the debug port holds the aggregator stopped, the services serve the dashboard on
//! (their request counts rise in the router's trace), `sys://debugger` reports the stop to
//! any component the policy lets ask, and once let go the aggregator finishes its work.

use std::{cell::RefCell, rc::Rc};

use fireball::deploy::{self, DebugBuilds, Output, RunOptions, System};
use fireball_router::{Method, Methods, Record, Registration};
use fireball_subsystems::{
    debugger::{Debuggee, Event},
    host::BufferConsole,
};
use fireball_tests::{modules_dir, repo_root};

fn boot() -> (System, BufferConsole) {
    let out = BufferConsole::new();
    let debug_dir = modules_dir().with_file_name("modules-debug");
    let options = RunOptions {
        output: Output::Buffer(out.clone()),
        debug: DebugBuilds {
            dir: debug_dir,
            components: vec!["aggregator".into()],
        },
        ..RunOptions::default()
    };
    let manifest = repo_root().join("examples/sensor-hub/debug.toml");
    let system = deploy::boot_file(&manifest, &modules_dir(), options)
        .unwrap_or_else(|e| panic!("the debug session's deployment does not boot: {e}"));
    (system, out)
}

/// Requests the router traced to `service` so far.
fn served(system: &System, service: &str) -> usize {
    let to = format!("-> {service}#");
    system
        .trace()
        .lines()
        .filter(|l| l.contains(" request ") && l.contains(&to))
        .count()
}

#[test]
fn a_stopped_aggregator_stops_alone_and_sys_debugger_says_so() {
    let (mut system, out) = boot();
    let mut port = system.debug_port();
    let mut ids = Vec::new();
    port.instances(&mut |id| ids.push(id));
    assert_eq!(ids.len(), 1, "only the aggregator is a debug build");
    let id = ids[0];
    port.interrupt(id).unwrap();
    while !port.is_paused(id).unwrap() {
        system.turn();
    }
    assert!(matches!(port.poll_event(), Some(Event::Stopped(i, _)) if i == id));

    // Half a second (virtual) with the aggregator stopped: the others serve on.
    let before: Vec<usize> = ["filter", "mesh", "stats"]
        .iter()
        .map(|s| served(&system, s))
        .collect();
    let until = system.now() + 500_000;
    system.run_until(until);
    let after: Vec<usize> = ["filter", "mesh", "stats"]
        .iter()
        .map(|s| served(&system, s))
        .collect();
    for ((service, b), a) in ["filter", "mesh", "stats"].iter().zip(&before).zip(&after) {
        assert!(a > b, "{service} served {b} then {a} requests");
    }
    assert!(port.is_paused(id).unwrap());

    // `sys://debugger`, asked by a native probe the policy lets read it.
    system
        .router_authority()
        .allow("probe", "sys://debugger", Methods::READ)
        .unwrap();
    let mut probe = system
        .router()
        .register(Registration::new("probe", &[]))
        .unwrap();
    let status: Rc<RefCell<Option<Record>>> = Rc::default();
    let got = status.clone();
    system
        .spawn_native("probe", async move {
            let reply = probe
                .call_uri("sys://debugger", Method::Read, Record::new())
                .await;
            *got.borrow_mut() = reply.ok();
            let refused = probe
                .call_uri("sys://debugger", Method::Write, Record::new())
                .await;
            assert!(refused.is_err(), "only read is served");
        })
        .unwrap();
    system.run_until(system.now() + 10_000);
    let status = status.borrow_mut().take().expect("sys://debugger answered");
    let text = format!("{status:?}");
    assert!(text.contains("aggregator"), "{text}");
    assert!(text.contains("stopped"), "{text}");
    assert_eq!(status.bool("attached"), Some(false));

    // Let go (a debugger detaching): the aggregator finishes its two windows.
    port.attach(false);
    let report = system.run();
    assert!(report.all_guests_finished(), "{report}");
    assert!(out.contents().contains("aggregator: done: 2 windows sent"));
}
