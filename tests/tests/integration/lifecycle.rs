//! A component's lifecycle in a deployment (issue 16): restart policies from the manifest
//! (`restart`, `max_restarts`, `restart_window_ms`, `restart_backoff_ms`), giving up on a
//! crash loop, and a service's watchdog (`watchdog_ms`), on the host simulator with small
//! WAT modules; every stop, restart and give-up is in the output and the report.

use fireball::deploy::{self, Output, RunOptions, RunReport, State};
use fireball_manifest::{Manifest, ModuleDirs};
use fireball_subsystems::host::BufferConsole;
use fireball_tests::{
    trace::each_request_answered_once,
    wat::{caller, service},
};

/// A service that spins before it ever takes a request.
const SPINNER: &str = r#"(module
    (memory (export "memory") 1024 1024 (pagesize 1))
    (func (export "fb_main") (loop $spin (br $spin))))"#;

/// A guest that only waits `us`.
fn waiter(us: u64) -> String {
    format!(
        r#"(module
            (import "fb" "sleep_ticks" (func $sleep (param i64)))
            (memory (export "memory") 1024 1024 (pagesize 1))
            (func (export "fb_main") (call $sleep (i64.const {us}))))"#
    )
}

/// `manifest` run with `modules` (name, WAT) written beside it: the report and the output.
fn run(manifest: &str, modules: &[(&str, String)]) -> (RunReport, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, wat) in modules {
        let path = dir.path().join(format!("{name}.wasm"));
        std::fs::write(path, wat::parse_str(wat).unwrap()).unwrap();
    }
    let out = BufferConsole::new();
    let options = RunOptions {
        output: Output::Buffer(out.clone()),
        ..RunOptions::default()
    };
    let dirs = ModuleDirs {
        manifest_dir: dir.path().to_path_buf(),
        modules_dir: dir.path().to_path_buf(),
    };
    let manifest = Manifest::parse(manifest).unwrap();
    let report = deploy::boot(&manifest, &dirs, options).unwrap().run();
    (report, out.contents())
}

fn component<'r>(report: &'r RunReport, name: &str) -> &'r fireball::deploy::ComponentReport {
    report.components.iter().find(|c| c.name == name).unwrap()
}

const FLAKY: &str = r#"
[deployment]
name = "lifecycle"
yield_interval = 10000

[[service]]
name = "flaky"
module = "flaky.wasm"
quota = 32768
routes = ["svc://flaky/{x}"]
restart = "on-failure"
max_restarts = 3
restart_window_ms = 10000
restart_backoff_ms = 20

[[guest]]
name = "app"
module = "app.wasm"
reach = [{ route = "svc://flaky/{x}", methods = ["read"] }]
"#;

/// Five calls 30 ms apart to a service that traps on its third request: two replies, the
/// third call refused as the service stops, then (restarted 20 ms later, a new instance)
/// two replies again.
fn flaky() -> (RunReport, String) {
    run(
        FLAKY,
        &[
            ("flaky", service(3, "")),
            ("app", caller("svc://flaky/1", 5, 30_000)),
        ],
    )
}

#[test]
fn a_service_that_traps_is_restarted_after_its_back_off_and_serves_again() {
    let (report, output) = flaky();
    assert!(report.all_guests_finished(), "{report}\n{output}");
    let app: Vec<&str> = output
        .lines()
        .filter_map(|l| l.strip_prefix("[app] "))
        .collect();
    assert_eq!(app.len(), 5, "{output}");
    assert_eq!(&app[..2], ["ok", "ok"], "{output}");
    assert_ne!(
        app[2], "ok",
        "the third request trapped the service: {output}"
    );
    assert_eq!(&app[3..], ["ok", "ok"], "the new instance serves: {output}");
    assert!(
        output.contains("[fireball] flaky stopped: flaky::fb_main trapped"),
        "{output}"
    );
    assert!(
        output.contains("[fireball] flaky restarted (restart 1 of 3 in 10 s, after 20 ms)"),
        "{output}"
    );
    let flaky = component(&report, "flaky");
    assert_eq!(flaky.restarts, 1);
    assert!(matches!(flaky.state, State::Running(_)), "{report}");
    // The quota the old instance used is free again: the new one is all there is.
    let (used, _) = flaky.pool.unwrap();
    assert!(used > 0 && used <= 32768, "{used}");
    let text = report.to_string();
    assert!(text.contains("; restarted once"), "{text}");
    // Four requests answered (two by each instance), one trapped.
    assert_eq!(
        report.trace.matches(" request ").count(),
        5,
        "{}",
        report.trace
    );
}

#[test]
fn the_caller_of_a_service_that_will_be_restarted_sees_restarted_exactly_once() {
    let (report, output) = flaky();
    // The request the instance held when it trapped is answered `RESTARTED`, once; the
    // calls before and after are served.
    assert_eq!(output.matches("[app] R\n").count(), 1, "{output}");
    assert_eq!(output.matches("[app] E\n").count(), 0, "{output}");
    assert_eq!(output.matches("[app] ok\n").count(), 4, "{output}");
    each_request_answered_once(&report.trace);
}

const HUNG: &str = r#"
[deployment]
name = "hung"
yield_interval = 10000
call_timeout_ms = 30

[[service]]
name = "hung"
module = "hung.wasm"
quota = 32768
routes = ["svc://hung/{x}"]
watchdog_ms = 50
restart = "on-failure"
max_restarts = 3
restart_window_ms = 10000
restart_backoff_ms = 10

[[guest]]
name = "app"
module = "app.wasm"
reach = [{ route = "svc://hung/{x}", methods = ["read"] }]

# Keeps the run going past the watchdog's limit.
[[guest]]
name = "waiter"
module = "waiter.wasm"
"#;

/// A service that takes requests and never answers (issue 16's new user's case): its
/// caller's call ends in `TIMEOUT` at the deployment's deadline, and the service's watchdog
/// stops it for holding the request, which its restart policy restarts.
#[test]
fn a_hung_service_times_its_caller_out_and_its_watchdog_restarts_it() {
    let (report, output) = run(
        HUNG,
        &[
            ("hung", service(0, "sleep")),
            ("app", caller("svc://hung/1", 1, 1_000)),
            ("waiter", waiter(200_000)),
        ],
    );
    assert!(report.all_guests_finished(), "{report}\n{output}");
    assert_eq!(output.matches("[app] T\n").count(), 1, "{output}");
    assert!(
        output.contains("[fireball] hung stopped: hung: watchdog: held request"),
        "{output}"
    );
    assert!(output.contains("[fireball] hung restarted"), "{output}");
    assert_eq!(component(&report, "hung").restarts, 1, "{report}");
    // The caller gave up at its deadline, long before the hung service would have answered.
    assert!(report.time_us < 1_000_000, "{}", report.time_us);
    each_request_answered_once(&report.trace);
}

#[test]
fn a_crash_loop_gives_up_and_the_service_stays_down_with_the_reason_logged() {
    let manifest = FLAKY
        .replace("max_restarts = 3", "max_restarts = 2")
        .replace("restart_backoff_ms = 20", "restart_backoff_ms = 5");
    let (report, output) = run(
        &manifest,
        &[
            // Traps on every request.
            ("flaky", service(1, "")),
            ("app", caller("svc://flaky/1", 6, 30_000)),
        ],
    );
    assert!(report.all_guests_finished(), "{report}\n{output}");
    assert_eq!(output.matches("[app] ok\n").count(), 0, "{output}");
    assert!(
        output.contains("[fireball] flaky restarted (restart 1 of 2 in 10 s, after 5 ms)"),
        "{output}"
    );
    assert!(
        output.contains("[fireball] flaky restarted (restart 2 of 2 in 10 s, after 10 ms)"),
        "the back-off doubles: {output}"
    );
    assert!(
        output
            .contains("[fireball] flaky gave up: 3 failures in 10 s (last: flaky::fb_main trapped"),
        "{output}"
    );
    assert_eq!(output.matches("restarted (").count(), 2, "{output}");
    let flaky = component(&report, "flaky");
    assert_eq!(flaky.restarts, 2);
    assert!(
        matches!(&flaky.state, State::Stopped(why) if why.contains("gave up after 3 failures")),
        "{report}"
    );
    // It stayed down: the three calls after the give-up reached no one.
    assert_eq!(
        report.trace.matches(" request ").count(),
        3,
        "{}",
        report.trace
    );
    // The first two deaths answer the open call `restarted`; the one it gives up on
    // `dead-peer`, as every later bind.
    assert_eq!(
        report.trace.matches(" err restarted").count(),
        2,
        "{}",
        report.trace
    );
    assert_eq!(
        report.trace.matches(" err dead-peer").count(),
        1,
        "{}",
        report.trace
    );
    assert_eq!(
        report
            .trace
            .matches("bind svc://flaky/1: dead-peer")
            .count(),
        3,
        "{}",
        report.trace
    );
    each_request_answered_once(&report.trace);
    assert!(
        report.to_string().contains("; restarted 2 times"),
        "{report}"
    );
}

// The same lines go to the logger (`EventLog::message`, component `lifecycle`); it writes them
// out when it next drains (on the next `log://` line), which these WAT modules never send:
// no test here reads them from the logger's console.

const WATCHED: &str = r#"
[deployment]
name = "watchdog"
yield_interval = 10000

[[service]]
name = "slow"
module = "slow.wasm"
quota = 32768
routes = ["svc://slow/{x}"]
watchdog_ms = 50

[[guest]]
name = "app"
module = "app.wasm"
reach = [{ route = "svc://slow/{x}", methods = ["read"] }]
"#;

#[test]
fn a_watchdog_stops_a_service_that_holds_a_request() {
    let (report, output) = run(
        WATCHED,
        &[
            ("slow", service(0, "sleep")),
            ("app", caller("svc://slow/1", 1, 1_000)),
        ],
    );
    assert!(report.all_guests_finished(), "{report}\n{output}");
    assert!(
        output.contains("[app] E\n"),
        "its caller is answered: {output}"
    );
    assert!(
        output.contains("[fireball] slow stopped: slow: watchdog: held request 1 for"),
        "{output}"
    );
    assert!(output.contains("(limit 50000 µs)"), "{output}");
    assert!(matches!(
        component(&report, "slow").state,
        State::Stopped(_)
    ));
    // Stopped at its limit, not when the run ended.
    assert!(report.time_us < 100_000, "{}", report.time_us);
}

#[test]
fn a_watchdog_stops_a_service_that_spins_and_the_stop_counts_as_a_failure() {
    let manifest = WATCHED
        .replace(
            "watchdog_ms = 50",
            "watchdog_ms = 50\nrestart = \"on-failure\"\nmax_restarts = 1",
        )
        .replace("module = \"app.wasm\"", "module = \"wait.wasm\"");
    let (report, output) = run(
        &manifest,
        &[("slow", SPINNER.into()), ("wait", waiter(400_000))],
    );
    assert!(
        output.contains("[fireball] slow stopped: slow: watchdog: ran for"),
        "{output}"
    );
    assert!(
        output.contains("without coming back to route_next"),
        "{output}"
    );
    assert!(
        output.contains("[fireball] slow restarted (restart 1 of 1"),
        "{output}"
    );
    assert!(
        output.contains("[fireball] slow gave up: 2 failures in 10 s"),
        "{output}"
    );
    assert_eq!(component(&report, "slow").restarts, 1, "{report}");
}

#[test]
fn manifests_without_the_new_keys_run_as_before() {
    let manifest = FLAKY.replace(
        "restart = \"on-failure\"\nmax_restarts = 3\nrestart_window_ms = 10000\nrestart_backoff_ms = 20\n",
        "",
    );
    let (report, output) = run(
        &manifest,
        &[
            ("flaky", service(3, "")),
            ("app", caller("svc://flaky/1", 5, 30_000)),
        ],
    );
    assert_eq!(
        output.matches("[app] ok\n").count(),
        2,
        "stays down: {output}"
    );
    assert!(!output.contains("restarted"), "{output}");
    assert!(!output.contains("gave up"), "{output}");
    assert_eq!(component(&report, "flaky").restarts, 0);
    assert!(!report.to_string().contains("restarted"));
}

/// A reach entry's own `timeout_ms` gives its calls a deadline where the deployment has none.
#[test]
fn a_reach_entrys_timeout_applies_where_the_deployment_sets_none() {
    let manifest = HUNG
        .replace("call_timeout_ms = 30\n", "")
        .replace("watchdog_ms = 50\n", "")
        .replace(
            r#"reach = [{ route = "svc://hung/{x}", methods = ["read"] }]"#,
            r#"reach = [{ route = "svc://hung/{x}", methods = ["read"], timeout_ms = 40 }]"#,
        );
    let (report, output) = run(
        &manifest,
        &[
            ("hung", service(0, "sleep")),
            ("app", caller("svc://hung/1", 1, 1_000)),
            ("waiter", waiter(200_000)),
        ],
    );
    assert!(report.all_guests_finished(), "{report}\n{output}");
    assert_eq!(output.matches("[app] T\n").count(), 1, "{output}");
    // The grant carries the deadline (the trace shows it) and the call failed at it.
    assert!(report.trace.contains("timeout=40000us"), "{}", report.trace);
    assert!(report.trace.contains("after 40000us"), "{}", report.trace);
    each_request_answered_once(&report.trace);
}

/// `caller`, giving each call a deadline of its own (`route_timeout`) of `ms`.
fn caller_within(uri: &str, times: u32, gap_us: u64, ms: u32) -> String {
    caller(uri, times, gap_us)
        .replace(
            r#"(import "fb" "sleep_ticks""#,
            r#"(import "fb" "route_timeout" (func $timeout (param i32 i32) (result i32)))
            (import "fb" "sleep_ticks""#,
        )
        .replace(
            "(local.set $s (call $call",
            &format!(
                "(drop (call $timeout (local.get $b) (i32.const {ms})))\n(local.set $s (call $call"
            ),
        )
}

#[test]
fn a_guests_own_deadline_overrides_the_deployments() {
    let manifest = HUNG
        .replace("call_timeout_ms = 30\n", "call_timeout_ms = 5000\n")
        .replace("watchdog_ms = 50\n", "");
    let (report, output) = run(
        &manifest,
        &[
            ("hung", service(0, "sleep")),
            ("app", caller_within("svc://hung/1", 1, 1_000, 20)),
            ("waiter", waiter(200_000)),
        ],
    );
    assert!(report.all_guests_finished(), "{report}\n{output}");
    assert_eq!(output.matches("[app] T\n").count(), 1, "{output}");
    // The call failed at the guest's 20 ms, not the deployment's 5 s.
    assert!(report.trace.contains("after 20000us"), "{}", report.trace);
    assert!(report.time_us < 1_000_000, "{}", report.time_us);
    each_request_answered_once(&report.trace);
}
