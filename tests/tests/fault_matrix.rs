//! The fault matrix on the host simulator (issue 20; `docs/reliability.md` lists its rows).
//!
//! Each row boots the sensor hub (`examples/sensor-hub/fireball.toml`: three services and
//! three guests doing real work) with one faulty party beside it, on the partitioned heap
//! a board runs it on (this binary's global allocator is `HostHeap`, as `fireball run`'s
//! is), and checks what Fireball promises:
//!
//! - the hypervisor never panics (the run ends with a report; the row's process exits 0);
//! - the faulty party is stopped, restarted or refused per its policy, and the reason is
//!   reported;
//! - the healthy components finish their work with the results of the fault-free run: each
//!   guest's closing line, and the requests each healthy caller made, by route, counted;
//! - every request of the run is answered exactly once, by a reply, a typed failure or a
//!   timeout (requests = replies + failures, from the router's trace).
//!
//! The heap is laid out once per process, so each row runs in a process of its own: the
//! test re-runs this binary for just that row (`in_own_process`).

use std::collections::BTreeMap;

use fireball::deploy::{self, Kind, Output, RunOptions, RunReport, State, System};
use fireball_abi::{builtin, status};
use fireball_kernel::mem::HostHeap;
use fireball_manifest::{Manifest, ModuleDirs};
use fireball_package::{Contents, SigningKey, Version, sign};
use fireball_subsystems::host::BufferConsole;
use fireball_tests::{modules_dir, repo_root, trace::each_request_answered_once};

#[global_allocator]
static HEAP: HostHeap = HostHeap::new();

/// The environment variable that tells a re-run of this binary which row to run itself.
const ROW: &str = "FIREBALL_FAULT_ROW";

/// Run `row` in a process of its own (the heap is laid out once per process): this binary
/// again, filtered to the one test, with [`ROW`] set; its output is passed on.
fn in_own_process(name: &str, row: impl FnOnce()) {
    if std::env::var(ROW).as_deref() == Ok(name) {
        row();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(ROW, name)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "row {name} failed:\n{text}");
    assert!(text.contains("1 passed"), "row {name} did not run:\n{text}");
    print!("{text}");
}

/// The healthy deployment: the sensor hub, with room beside it for the faulty parties (the
/// partitions are larger than the board's, the rows add components the board's plan does
/// not hold) and the key runtime installs are signed with.
fn base_manifest() -> String {
    let hub =
        std::fs::read_to_string(repo_root().join("examples/sensor-hub/fireball.toml")).unwrap();
    let (head, rest) = hub.split_once("[partitions]").unwrap();
    let (_, components) = rest.split_once("\n[[service]]").unwrap();
    let head = head.replace(
        "[deployment]\n",
        "[deployment]\nram = 67108864\nkeys = [\"board.pub\"]\ncall_timeout_ms = 2000\n",
    );
    format!(
        "{head}[partitions]\n\
         kernel = 65536\nruntime = 2097152\nsubsystems = 131072\n\
         services = 524288\nguests = 8388608\nreserve = 65536\n\
         \n[[service]]{components}"
    )
}

/// The sensor hub's components, which must finish as they do without the fault.
const HEALTHY: [&str; 6] = [
    "filter",
    "mesh",
    "stats",
    "sensor-buffer",
    "aggregator",
    "inference",
];

/// The key runtime installs are signed with (its public half is the manifest's `board.pub`).
fn key() -> SigningKey {
    SigningKey::from_seed(&[7; 32])
}

/// Done to the booted system before it runs.
type Before = Box<dyn FnOnce(&mut System)>;

/// Done to the system when its guests have stopped; what it says.
type After = Box<dyn FnOnce(&mut System) -> String>;

/// One row: what is added to the sensor hub, and what is done while it runs.
struct Row {
    /// Manifest text appended (the faulty components' entries).
    manifest: String,
    /// Module files written beside the manifest: name → bytes.
    modules: Vec<(String, Vec<u8>)>,
    /// Virtual time after which a run still going is ended (µs).
    max_time_us: u64,
    /// Partition sizes other than the matrix's: `[partitions]` key → bytes.
    partitions: Vec<(&'static str, u64)>,
    /// Done to the booted system before it runs (starting a runtime install).
    before: Option<Before>,
    /// Done to the system when its guests have stopped, before the report (an install's
    /// outcome); what it returns is [`Run::after`].
    after: Option<After>,
}

impl Row {
    fn new(manifest: &str) -> Self {
        Self {
            manifest: manifest.to_string(),
            modules: Vec::new(),
            max_time_us: 10_000_000,
            partitions: Vec::new(),
            before: None,
            after: None,
        }
    }

    fn wat(mut self, name: &str, wat: &str) -> Self {
        let bytes = wat::parse_str(wat).unwrap_or_else(|e| panic!("{name}: {e}"));
        self.modules.push((format!("{name}.wasm"), bytes));
        self
    }

    fn bytes(mut self, name: &str, bytes: Vec<u8>) -> Self {
        self.modules.push((format!("{name}.wasm"), bytes));
        self
    }

    fn partition(mut self, name: &'static str, bytes: u64) -> Self {
        self.partitions.push((name, bytes));
        self
    }

    /// Service `name`'s quota instead of the 64 KiB [`service_entry`] gives.
    fn quota(mut self, name: &str, bytes: u64) -> Self {
        let entry = format!("name = \"{name}\"\nmodule = \"{name}.wasm\"\nquota = 65536");
        assert!(self.manifest.contains(&entry), "no service {name}");
        self.manifest = self.manifest.replace(
            &entry,
            &entry.replace("quota = 65536", &format!("quota = {bytes}")),
        );
        self
    }

    fn max_time_us(mut self, us: u64) -> Self {
        self.max_time_us = us;
        self
    }

    fn before(mut self, f: impl FnOnce(&mut System) + 'static) -> Self {
        self.before = Some(Box::new(f));
        self
    }

    fn after(mut self, f: impl FnOnce(&mut System) -> String + 'static) -> Self {
        self.after = Some(Box::new(f));
        self
    }
}

/// What a run left.
struct Run {
    report: RunReport,
    /// Everything printed: consoles, the log, Fireball's own lines.
    output: String,
    /// What [`Row::after`] returned.
    after: String,
}

impl Run {
    fn component(&self, name: &str) -> &deploy::ComponentReport {
        self.report
            .components
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no component {name}: {}", self.report))
    }

    /// What `name` printed, line by line (its console, not the log).
    fn said(&self, name: &str) -> Vec<&str> {
        let prefix = format!("[{name}] ");
        self.output
            .lines()
            .filter_map(|l| l.strip_prefix(prefix.as_str()))
            .collect()
    }

    fn stopped(&self, name: &str) -> &str {
        match &self.component(name).state {
            State::Stopped(why) => why,
            other => panic!("{name} should be stopped: {other:?}\n{}", self.output),
        }
    }
}

/// `row`'s deployment on disk: its modules and the key beside the manifest (the sensor hub
/// with the row added, its partition sizes applied), in a scratch directory kept while the
/// returned handle lives.
fn lay_down(row: &Row) -> (tempfile::TempDir, Manifest, ModuleDirs) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("board.pub"), key().public_key().to_bytes()).unwrap();
    for (name, bytes) in &row.modules {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let mut text = format!("{}\n{}", base_manifest(), row.manifest);
    for (name, bytes) in &row.partitions {
        let start = text.find(&format!("\n{name} = ")).unwrap() + 1;
        let end = start + text[start..].find('\n').unwrap();
        text.replace_range(start..end, &format!("{name} = {bytes}"));
    }
    let manifest = Manifest::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let dirs = ModuleDirs {
        manifest_dir: dir.path().to_path_buf(),
        modules_dir: modules_dir(),
    };
    (dir, manifest, dirs)
}

/// Boot `manifest` (the sensor hub with `row` added) and run it; `heap`: on the partitioned
/// heap (once per process).
fn boot_and_run(row: Row, heap: bool) -> Run {
    let (_dir, manifest, dirs) = lay_down(&row);
    let out = BufferConsole::new();
    let options = RunOptions {
        output: Output::Buffer(out.clone()),
        max_time_us: row.max_time_us,
        trace_bodies: false,
        heap: heap.then_some(&HEAP),
        ..RunOptions::default()
    };
    let mut system = deploy::boot(&manifest, &dirs, options)
        .unwrap_or_else(|e| panic!("the deployment does not boot: {e}"));
    if let Some(before) = row.before {
        before(&mut system);
    }
    system.run_guests();
    let after = row.after.map(|f| f(&mut system)).unwrap_or_default();
    let report = system.finish();
    Run {
        report,
        output: out.contents(),
        after,
    }
}

/// The fault-free run every row is compared with, run in this process before the row's own
/// (off the partitioned heap, which is laid out once: the results do not depend on where
/// the bytes are).
fn fault_free() -> Run {
    boot_and_run(Row::new(""), false)
}

/// Requests made by healthy callers, counted by caller, callee, method and route pattern
/// (generations dropped): `(caller, callee, method, pattern) → count`.
fn healthy_traffic(trace: &str) -> BTreeMap<(String, String, String, String), usize> {
    let name = |who: &str| who.split('#').next().unwrap_or(who).to_string();
    let mut patterns = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for line in trace.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            [_, "bind", _, uri, "->", pattern, ..] => {
                patterns.insert(uri.to_string(), pattern.to_string());
            }
            [_, "request", _, caller, "->", callee, method, uri, ..] => {
                let (caller, callee) = (name(caller), name(callee));
                if !HEALTHY.contains(&caller.as_str())
                    || !HEALTHY.contains(&callee.as_str()) && callee != "hal"
                {
                    continue;
                }
                let pattern = patterns.get(*uri).cloned().unwrap_or(uri.to_string());
                *counts
                    .entry((caller, callee, method.to_string(), pattern))
                    .or_default() += 1;
            }
            _ => {}
        }
    }
    counts
}

/// Requests by healthy callers that failed or timed out, and refusals of their calls.
fn healthy_failures(trace: &str) -> usize {
    let healthy = |who: &str| HEALTHY.contains(&who.split('#').next().unwrap_or(who));
    let mut theirs = std::collections::BTreeSet::new();
    let mut failures = 0;
    for line in trace.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        match f.as_slice() {
            [_, "request", id, caller, ..] if healthy(caller) => {
                theirs.insert(id.to_string());
            }
            [_, "reply", id, outcome, ..] if *outcome != "ok" && theirs.contains(*id) => {
                failures += 1;
            }
            [_, "timeout", id, ..] if theirs.contains(*id) => failures += 1,
            [_, "failed" | "denied", caller, ..] if healthy(caller) => failures += 1,
            _ => {}
        }
    }
    failures
}

/// The checks every row makes: the run ended with a report (no panic), the healthy
/// components did what they do without the fault, and every request was answered.
fn check_healthy(run: &Run, baseline: &Run) {
    let report = &run.report;

    assert!(report.halted.is_none(), "halted: {report}\n{}", run.output);
    for name in HEALTHY {
        let c = run.component(name);
        let expected = &baseline.component(name).state;
        match c.kind {
            Kind::Guest => assert_eq!(c.state, State::Finished, "{name}\n{}", run.output),
            Kind::Service => assert!(
                matches!(c.state, State::Running(_)),
                "{name}: {:?} (fault-free: {expected:?})\n{}",
                c.state,
                run.output
            ),
        }
        assert_eq!(c.restarts, 0, "{name} was restarted\n{}", run.output);
    }
    // Their results: each guest's closing line (what it sent) as in the fault-free run, and
    // the requests each healthy caller made, by route.
    let done = |run: &Run| -> Vec<String> {
        run.output
            .lines()
            .filter(|l| l.contains(": done: "))
            .map(|l| {
                l.split_once("INFO")
                    .map_or(l, |(_, t)| t)
                    .trim()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(done(run), done(baseline), "{}", run.output);
    assert_eq!(done(run).len(), 3, "{}", run.output);
    let (ours, theirs) = (
        healthy_traffic(&report.trace),
        healthy_traffic(&baseline.report.trace),
    );
    // The gateway polls the radio and the clock while it waits, as often as time allows:
    // those counts follow timing, the rest are the guests' work.
    let work = |t: &BTreeMap<(String, String, String, String), usize>| {
        t.iter()
            .filter(|((caller, ..), _)| caller != "mesh")
            .map(|(k, n)| (k.clone(), *n))
            .collect::<Vec<_>>()
    };
    assert_eq!(work(&ours), work(&theirs), "{}", run.output);
    assert_eq!(
        healthy_failures(&report.trace),
        healthy_failures(&baseline.report.trace),
        "a healthy caller's request failed:\n{}",
        run.output
    );
    each_request_answered_once(&report.trace);
}

/// Run `row` beside the sensor hub in its own process and check the healthy side; `check`
/// then checks the faulty party's side.
fn matrix(name: &str, row: impl FnOnce() -> Row, check: impl FnOnce(&Run)) {
    in_own_process(name, || {
        let baseline = fault_free();
        let run = boot_and_run(row(), true);
        check_healthy(&run, &baseline);
        check(&run);
        // The outcome, for `docs/reliability.md`'s table.
        for c in run
            .report
            .components
            .iter()
            .filter(|c| !HEALTHY.contains(&c.name.as_str()))
        {
            println!(
                "row {name}: {} {:?}, restarts {}",
                c.name, c.state, c.restarts
            );
        }
        if !run.after.is_empty() {
            println!("row {name}: {}", run.after);
        }
        let (requests, failures) = each_request_answered_once(&run.report.trace);
        println!("row {name}: {requests} requests, {failures} failed or timed out");
    });
}

// --- The faulty parties -------------------------------------------------------------------

/// A module whose `fb_main` is `body`, with the builtins the rows use imported, 8 KiB of
/// memory (`data` at 0), and `$show`, which prints an `i32` in decimal.
fn guest(body: &str, data: &str) -> String {
    format!(
        r#"(module
            (import "fb" "print" (func $print (param i32 i32)))
            (import "fb" "abort" (func $abort (param i32 i32)))
            (import "fb" "sleep_ticks" (func $sleep (param i64)))
            (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
            (import "fb" "route_unbind" (func $unbind (param i32) (result i32)))
            (import "fb" "route_call" (func $call (param i32 i32 i32 i32) (result i32)))
            (import "fb" "route_notify" (func $notify (param i32 i32 i32 i32) (result i32)))
            (import "fb" "route_timeout" (func $timeout (param i32 i32) (result i32)))
            (import "fb" "route_next" (func $next (result i32)))
            (import "fb" "route_take" (func $take (param i32 i32) (result i32)))
            (import "fb" "route_respond" (func $respond (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 8192 8192 (pagesize 1))
            (data (i32.const 0) "{data}")
            (type $takes_i32 (func (param i32)))
            (table 1 funcref)
            (elem (i32.const 0) $other)
            (func $other)
            (func $deep (call $deep))
            (func $show (param $v i32) (local $p i32) (local $u i32)
                (local.set $p (i32.const 8191))
                (i32.store8 (local.get $p) (i32.const 10))
                (local.set $u (local.get $v))
                (if (i32.lt_s (local.get $v) (i32.const 0))
                    (then (local.set $u (i32.sub (i32.const 0) (local.get $v)))))
                (loop $digit
                    (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                    (i32.store8 (local.get $p)
                        (i32.add (i32.const 48) (i32.rem_u (local.get $u) (i32.const 10))))
                    (local.set $u (i32.div_u (local.get $u) (i32.const 10)))
                    (br_if $digit (local.get $u)))
                (if (i32.lt_s (local.get $v) (i32.const 0))
                    (then
                        (local.set $p (i32.sub (local.get $p) (i32.const 1)))
                        (i32.store8 (local.get $p) (i32.const 45))))
                (call $print (local.get $p) (i32.sub (i32.const 8192) (local.get $p))))
            (func (export "fb_main") (local $b i32) (local $i i32) (local $n i32) (local $s i32)
                {body}))"#
    )
}

/// A guest entry for the manifest.
fn guest_entry(name: &str, extra: &str) -> String {
    format!("[[guest]]\nname = \"{name}\"\nmodule = \"{name}.wasm\"\n{extra}\n")
}

/// Works a while (so the sensor hub is mid-flight), then runs `fault`.
fn after_a_while(fault: &str) -> String {
    format!("(call $sleep (i64.const 200000)) {fault}")
}

fn trap_row(name: &str, fault: &str, reason: &str) {
    let reason = reason.to_string();
    let fault = after_a_while(fault);
    matrix(
        name,
        || {
            Row::new(&guest_entry("faulty", ""))
                .wat("faulty", &guest(&fault, "boom: sensor on fire"))
        },
        move |run| {
            let why = run.stopped("faulty");
            assert!(why.contains(&reason), "{why}");
            assert!(
                run.output
                    .contains(&format!("[fireball] faulty stopped: {why}")),
                "{}",
                run.output
            );
        },
    );
}

#[test]
fn trap_unreachable() {
    trap_row("trap_unreachable", "unreachable", "unreachable");
}

#[test]
fn trap_divide_by_zero() {
    trap_row(
        "trap_divide_by_zero",
        "(drop (i32.div_u (i32.const 1) (i32.load (i32.const 4000))))",
        "divi",
    );
}

#[test]
fn trap_out_of_bounds_access() {
    trap_row(
        "trap_out_of_bounds_access",
        "(drop (i32.load (i32.const 9000)))",
        "out of bounds",
    );
}

#[test]
fn trap_call_stack_exhausted() {
    trap_row("trap_call_stack_exhausted", "(call $deep)", "stack");
}

#[test]
fn trap_indirect_call_type_mismatch() {
    trap_row(
        "trap_indirect_call_type_mismatch",
        "(call_indirect (type $takes_i32) (i32.const 1) (i32.const 0))",
        "indirect call type mismatch",
    );
}

#[test]
fn panic_with_a_message() {
    trap_row(
        "panic_with_a_message",
        "(call $abort (i32.const 0) (i32.const 20))",
        "sensor on fire",
    );
}

/// Grows its memory 4 KiB at a time (up to 64 KiB) until refused, then gives up as a Rust
/// component does when its allocator gets null: the out-of-memory rows' guest and service.
const GROWS_UNTIL_REFUSED: &str = r#"(module
    (memory (export "memory") 1024 65536 (pagesize 1))
    (func (export "fb_main")
        (loop $l (br_if $l (i32.ne (memory.grow (i32.const 4096)) (i32.const -1))))
        unreachable))"#;

#[test]
fn guest_out_of_memory() {
    let hog = GROWS_UNTIL_REFUSED;
    matrix(
        "guest_out_of_memory",
        // P5 as on the board (the sensor hub's guests take 67 KiB of it), and room for the
        // hog's admission: it is charged 1 KiB of memory, it grows to 64 KiB.
        || {
            Row::new(&guest_entry("faulty", ""))
                .wat("faulty", hog)
                .partition("guests", 81920 + 16384)
        },
        |run| {
            let why = run.stopped("faulty");
            assert!(why.contains("P5") || why.contains("memory"), "{why}");
            assert!(
                run.output.contains("[fireball] faulty stopped: "),
                "{}",
                run.output
            );
        },
    );
}

/// A service entry for the manifest: `routes`, a 64 KiB quota, and `extra`.
fn service_entry(name: &str, routes: &str, extra: &str) -> String {
    format!(
        "[[service]]\nname = \"{name}\"\nmodule = \"{name}.wasm\"\nquota = 65536\n\
         routes = [{routes}]\n{extra}\n"
    )
}

#[test]
fn service_out_of_memory() {
    let hog = GROWS_UNTIL_REFUSED;
    matrix(
        "service_out_of_memory",
        || {
            Row::new(&service_entry(
                "faulty",
                "\"svc://faulty\"",
                "restart = \"never\"",
            ))
            .wat("faulty", hog)
            .quota("faulty", 32768)
        },
        |run| {
            let why = run.stopped("faulty");
            assert!(
                why.contains("P4 quota exhausted") || why.contains("memory"),
                "{why}"
            );
            let (used, peak) = run.component("faulty").pool.unwrap();
            assert!(peak <= 2 * 65536, "{peak}");
            assert!(used < peak, "its memory went back: {used} of {peak}");
        },
    );
}

#[test]
fn endless_loop_without_host_calls() {
    matrix(
        "endless_loop_without_host_calls",
        || {
            Row::new(&guest_entry("faulty", ""))
                .wat(
                    "faulty",
                    &guest(&after_a_while("(loop $spin (br $spin))"), ""),
                )
                .max_time_us(2_500_000)
        },
        |run| {
            // Its policy: preempted at the end of every slice, it keeps its share and no
            // more. It is still spinning when the run's time is up.
            let faulty = run.component("faulty");
            assert!(
                matches!(faulty.state, State::Running(_)),
                "{:?}",
                faulty.state
            );
            assert!(run.report.timed_out);
            assert!(faulty.slices > 100, "{}", faulty.slices);
            // The deployment's yield interval is 30,000 fuel a slice.
            assert!(
                faulty.fuel <= faulty.slices * 30_000,
                "{} / {}",
                faulty.fuel,
                faulty.slices
            );
        },
    );
}

#[test]
fn malformed_module_at_load() {
    in_own_process("malformed_module_at_load", || {
        for (what, bytes) in [
            ("not wasm", b"MZ\x90\x00 this is not a module".to_vec()),
            ("truncated", b"\0asm\x01\0\0\0\x01\x05\x01\x60".to_vec()),
            ("empty", Vec::new()),
        ] {
            let row = Row::new(&guest_entry("faulty", "")).bytes("faulty", bytes);
            let (_dir, manifest, dirs) = lay_down(&row);
            let options = RunOptions {
                output: Output::Buffer(BufferConsole::new()),
                ..RunOptions::default()
            };
            match deploy::boot(&manifest, &dirs, options) {
                Ok(_) => panic!("{what}: a malformed module booted"),
                Err(e) => {
                    let text = e.to_string();
                    assert!(text.contains("faulty"), "{what}: {text}");
                    println!("{what}: {text}");
                }
            }
        }
    });
}

/// A signed package of `module` for the sensor hub's `stats` service.
fn stats_package(module: &[u8]) -> Vec<u8> {
    let contents = Contents {
        name: "stats",
        version: Version::parse("9.9.9").unwrap(),
        routes: &["svc://stats", "svc://stats/{key}"],
        reach: &[fireball_package::Reach {
            route: "log://",
            methods: fireball_router::Methods::WRITE,
        }],
    };
    sign(&contents, module, &key()).unwrap()
}

/// The outcome of the runtime install started before the run.
fn installed(system: &mut System) -> String {
    let done = system.take_installed();
    assert_eq!(done.len(), 1, "{done:?}");
    format!("{:?}", done[0].result)
}

#[test]
fn malformed_module_at_runtime_install() {
    matrix(
        "malformed_module_at_runtime_install",
        || {
            Row::new("").before(|system| {
                for garbage in [
                    b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\x0f".to_vec(),
                    b"not a module".to_vec(),
                ] {
                    let refused = system.install_package(stats_package(&garbage));
                    assert!(refused.is_err(), "{refused:?}");
                }
                // Nor a package that is not one.
                assert!(system.install_package(b"FBPK garbage".to_vec()).is_err());
            })
        },
        |run| {
            assert!(!run.output.contains("stats restarted"), "{}", run.output);
        },
    );
}

#[test]
fn module_update_that_fails_to_start() {
    let bad = guest("unreachable", "");
    matrix(
        "module_update_that_fails_to_start",
        move || {
            let module = wat::parse_str(&bad).unwrap();
            Row::new("")
                .before(move |system| system.install_package(stats_package(&module)).unwrap())
                .after(installed)
        },
        |run| {
            assert!(run.after.contains("StartFailed"), "{}", run.after);
            assert!(run.output.contains("rolled back"), "{}", run.output);
        },
    );
}

/// A guest allowed to write `svc://stats/{key}` (and the log).
fn stats_writer(name: &str) -> String {
    guest_entry(
        name,
        "reach = [{ route = \"svc://stats/{key}\", methods = [\"write\"] }]",
    )
}

#[test]
fn malformed_record() {
    // Records that are not records: a map count with nothing after it, a key of invalid
    // UTF-8, an unknown value tag, and bytes after the end.
    let body = r#"
        (local.set $b (call $bind (i32.const 0) (i32.const 16)))
        (call $show (call $call (local.get $b) (i32.const 1) (i32.const 32) (i32.const 1)))
        (call $show (call $call (local.get $b) (i32.const 1) (i32.const 48) (i32.const 4)))
        (call $show (call $call (local.get $b) (i32.const 1) (i32.const 64) (i32.const 4)))
        (call $show (call $call (local.get $b) (i32.const 1) (i32.const 80) (i32.const 3)))
        (call $show (call $notify (local.get $b) (i32.const 1) (i32.const 32) (i32.const 1)))
        (call $show (call $call (local.get $b) (i32.const 1) (i32.const 96) (i32.const 1)))"#;
    let data = r#"svc://stats/junk\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\05\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\01\01\ff\00\00\00\00\00\00\00\00\00\00\00\00\00\01\01k\ee\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00\ff\ff\00\00\00\00\00\00\00\00\00\00\00\00\00\00\00"#;
    matrix(
        "malformed_record",
        move || Row::new(&stats_writer("faulty")).wat("faulty", &guest(body, data)),
        |run| {
            let said = run.said("faulty");
            let bad = status::BAD_MESSAGE.to_string();
            assert_eq!(said[..5], [bad.as_str(); 5], "{}", run.output);
            // And the service still serves a well-formed one (an empty record).
            assert!(
                said[5].parse::<i32>().unwrap() >= 0 || said[5] != bad,
                "{said:?}"
            );
        },
    );
}

/// The body of an `i32` builtin argument that is not the one under test: a pointer or a
/// length of 0, handle 0.
const NEUTRAL_I32: &str = "(i32.const 0)";

/// Bad values for an `i32` argument: -1 (every pointer past the end), the smallest
/// `i32`, the largest, just past the end of the 8 KiB memory, and a forged small handle.
const BAD_I32: [i32; 5] = [-1, i32::MIN, i32::MAX, 8192, 1];

/// Bad values for an `i64` argument.
const BAD_I64: [i64; 3] = [-1, i64::MIN, i64::MAX];

/// One guest per builtin, argument and bad value: the call, then its result printed (or 0
/// for a builtin without one).
fn abusers() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for sig in builtin::SIGNATURES {
        for (i, ty) in sig.params.iter().enumerate() {
            let values: Vec<String> = match ty {
                builtin::ValType::I32 => {
                    BAD_I32.iter().map(|v| format!("(i32.const {v})")).collect()
                }
                builtin::ValType::I64 => {
                    BAD_I64.iter().map(|v| format!("(i64.const {v})")).collect()
                }
            };
            for (k, bad) in values.iter().enumerate() {
                let args: String = sig
                    .params
                    .iter()
                    .enumerate()
                    .map(|(j, t)| match (j == i, t) {
                        (true, _) => bad.clone(),
                        (false, builtin::ValType::I32) => NEUTRAL_I32.into(),
                        (false, builtin::ValType::I64) => "(i64.const 0)".into(),
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                let call = format!("(call $b {args})");
                let call = if sig.results.is_empty() {
                    format!("{call} (call $show (i32.const 0))")
                } else if sig.results == [builtin::ValType::I64] {
                    format!("(drop {call}) (call $show (i32.const 0))")
                } else {
                    format!("(call $show {call})")
                };
                let ty = |ts: &[builtin::ValType]| {
                    ts.iter()
                        .map(|t| match t {
                            builtin::ValType::I32 => " i32",
                            builtin::ValType::I64 => " i64",
                        })
                        .collect::<String>()
                };
                let import = format!(
                    r#"(import "fb" "{}" (func $b (param{}) (result{})))"#,
                    sig.name,
                    ty(sig.params),
                    ty(sig.results)
                );
                let module = guest(&call, "").replacen("(memory", &format!("{import}\n(memory"), 1);
                out.push((format!("{}-{i}-{k}", sig.name.replace('_', "-")), module));
            }
        }
    }
    out
}

/// Abusers per row: the executor holds 32 tasks, the sensor hub and the subsystems take 9.
const PER_ROW: usize = 20;

/// A builtin given out-of-bounds pointers, huge lengths, negative values and forged
/// handles: every builtin, every argument, [`PER_ROW`] calls a row. Each call is a guest of
/// its own (one that traps ends there); what each did is snapshot-tested (`snapshots/`),
/// and each must be a typed status, a stop with a reason, or a wait (a sleep of `i64::MAX`
/// µs is one).
fn builtins_given_bad_arguments(batch: usize) {
    let name = format!("builtins_given_bad_arguments_{batch:02}");
    let mine = move || -> Vec<(String, String)> {
        abusers()
            .into_iter()
            .skip(batch * PER_ROW)
            .take(PER_ROW)
            .collect()
    };
    let snapshot = name.clone();
    matrix(
        &name,
        move || {
            let mut row = Row::new("").max_time_us(3_000_000);
            for (name, module) in mine() {
                row.manifest.push_str(&guest_entry(
                    &name,
                    "reach = [{ route = \"log://\", methods = [\"write\"] }]",
                ));
                row = row.wat(&name, &module);
            }
            row
        },
        move |run| {
            let mut table = String::new();
            for (name, _) in mine() {
                let c = run.component(&name);
                let outcome = match &c.state {
                    State::Finished => {
                        // What `print` printed, then the result.
                        let said = run.said(&name);
                        let printing = name.starts_with("print-");
                        assert!(said.len() == 1 || printing, "{name}: {said:?}");
                        // (Printed memory has no newline at its end: the result ends its line.)
                        let last = said.last().unwrap();
                        let value: i32 = last[last.rfind('\0').map_or(0, |i| i + 1)..]
                            .parse()
                            .unwrap_or_else(|_| panic!("{name}: {last:?}"));
                        assert!(value >= status::TIMEOUT, "{name}: {value} is not a status");
                        format!("returned {value}")
                    }
                    State::Stopped(why) => {
                        assert!(!why.is_empty());
                        format!("stopped: {why}")
                    }
                    State::Running(what) => format!("waiting: {what}"),
                    State::Removed => panic!("{name} removed"),
                };
                table.push_str(&format!("{name:<22} {outcome}\n"));
            }
            insta::assert_snapshot!(snapshot, table);
        },
    );
}

#[test]
fn every_builtin_argument_has_a_row() {
    let rows = 17;
    let calls = abusers().len();
    assert!(
        calls > (rows - 1) * PER_ROW && calls <= rows * PER_ROW,
        "{calls} calls"
    );
}

#[test]
fn builtins_given_bad_arguments_00() {
    builtins_given_bad_arguments(0);
}

#[test]
fn builtins_given_bad_arguments_01() {
    builtins_given_bad_arguments(1);
}

#[test]
fn builtins_given_bad_arguments_02() {
    builtins_given_bad_arguments(2);
}

#[test]
fn builtins_given_bad_arguments_03() {
    builtins_given_bad_arguments(3);
}

#[test]
fn builtins_given_bad_arguments_04() {
    builtins_given_bad_arguments(4);
}

#[test]
fn builtins_given_bad_arguments_05() {
    builtins_given_bad_arguments(5);
}

#[test]
fn builtins_given_bad_arguments_06() {
    builtins_given_bad_arguments(6);
}

#[test]
fn builtins_given_bad_arguments_07() {
    builtins_given_bad_arguments(7);
}

#[test]
fn builtins_given_bad_arguments_08() {
    builtins_given_bad_arguments(8);
}

#[test]
fn builtins_given_bad_arguments_09() {
    builtins_given_bad_arguments(9);
}

#[test]
fn builtins_given_bad_arguments_10() {
    builtins_given_bad_arguments(10);
}

#[test]
fn builtins_given_bad_arguments_11() {
    builtins_given_bad_arguments(11);
}

#[test]
fn builtins_given_bad_arguments_12() {
    builtins_given_bad_arguments(12);
}

#[test]
fn builtins_given_bad_arguments_13() {
    builtins_given_bad_arguments(13);
}

#[test]
fn builtins_given_bad_arguments_14() {
    builtins_given_bad_arguments(14);
}

#[test]
fn builtins_given_bad_arguments_15() {
    builtins_given_bad_arguments(15);
}

#[test]
fn builtins_given_bad_arguments_16() {
    builtins_given_bad_arguments(16);
}

#[test]
fn denied_route() {
    // Reaches only `svc://stats/{key}` (write): reading it, and calling routes it was never
    // given (another service, the module manager, the HAL), are refused. Binding resolves
    // a URI; the policy is checked at each call.
    let body = r#"
        (call $show (local.tee $b (call $bind (i32.const 0) (i32.const 16))))
        (call $show (call $call (local.get $b) (i32.const 0) (i32.const 100) (i32.const 1)))
        (local.set $b (call $bind (i32.const 20) (i32.const 14)))
        (call $show (call $call (local.get $b) (i32.const 0) (i32.const 100) (i32.const 1)))
        (local.set $b (call $bind (i32.const 40) (i32.const 19)))
        (call $show (call $call (local.get $b) (i32.const 1) (i32.const 100) (i32.const 1)))
        (local.set $b (call $bind (i32.const 60) (i32.const 11)))
        (call $show (call $call (local.get $b) (i32.const 0) (i32.const 100) (i32.const 1)))"#;
    let data = r#"svc://stats/junk\00\00\00\00svc://filter/0\00\00\00\00\00\00sys://modules/stats\00hal://adc/0"#;
    matrix(
        "denied_route",
        move || Row::new(&stats_writer("faulty")).wat("faulty", &guest(body, data)),
        |run| {
            let denied = status::DENIED.to_string();
            let said = run.said("faulty");
            assert!(said[0].parse::<i32>().unwrap() >= 0, "bound: {said:?}");
            assert_eq!(said[1..], [denied.as_str(); 4], "{said:?}");
            assert!(run.report.denied >= 1, "{}", run.report);
        },
    );
}

/// Answers with token `t` for `t` in `0..1024` (a reply, then a failure), 200 times 1 ms
/// apart, then prints how many answers were accepted (`OK`: none should be, these
/// requests are not its own).
const FORGER: &str = r#"
    (loop $round
        (local.set $i (i32.const 0))
        (loop $token
            (local.set $s (call $respond (local.get $i) (i32.const 0) (i32.const 100) (i32.const 1)))
            (if (i32.eqz (local.get $s)) (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
            (local.set $s (call $respond (local.get $i) (i32.const 500) (i32.const 0) (i32.const 0)))
            (if (i32.eqz (local.get $s)) (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $token (i32.lt_u (local.get $i) (i32.const 1024))))
        (call $sleep (i64.const 1000))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br_if $round (i32.lt_u (local.get $b) (i32.const 200))))
    (call $show (local.get $n))
    (call $show (call $take (i32.const 0) (i32.const 100)))"#;

/// A guest and a service answering requests that are not theirs (every token, while the
/// sensor hub's requests are open), and a guest acting as a service: all refused, every
/// request answered once, by the party it was for (the healthy results are unchanged).
#[test]
fn speaking_as_another_component() {
    let service = format!("{} (call $show (call $next))", FORGER);
    matrix(
        "speaking_as_another_component",
        move || {
            Row::new(&format!(
                "{}{}",
                guest_entry("faulty", ""),
                service_entry("forger", "\"svc://forger\"", "")
            ))
            .wat("faulty", &guest(FORGER, ""))
            .wat("forger", &guest(&service, ""))
        },
        |run| {
            let no_reply = status::NO_REPLY.to_string();
            assert_eq!(
                run.said("faulty"),
                ["0", no_reply.as_str()],
                "{}",
                run.output
            );
            // The service, too, is refused every token; then it waits for its own requests.
            assert_eq!(
                run.said("forger"),
                ["0", no_reply.as_str()],
                "{}",
                run.output
            );
            assert_eq!(run.component("faulty").state, State::Finished);
        },
    );
}

/// Sends `n` one-way messages (an empty record) to `svc://stats/flood` back to back, then
/// prints how many were taken and how many refused `QUEUE_FULL`.
fn notifier(n: u32) -> String {
    let body = format!(
        r#"(local.set $b (call $bind (i32.const 0) (i32.const 17)))
        (loop $again
            (local.set $s (call $notify (local.get $b) (i32.const 1) (i32.const 100) (i32.const 1)))
            (if (i32.eqz (local.get $s)) (then (local.set $n (i32.add (local.get $n) (i32.const 1)))))
            (if (i32.eq (local.get $s) (i32.const {full}))
                (then (local.set $i (i32.add (local.get $i) (i32.const 1)))))
            (br_if $again (i32.lt_u (i32.add (local.get $n) (local.get $i)) (i32.const {n}))))
        (call $show (local.get $n))
        (call $show (local.get $i))"#,
        full = status::QUEUE_FULL
    );
    guest(&body, "svc://stats/flood")
}

/// Calls `svc://stats/flood` `n` times back to back, from 300 ms on (when the notifications
/// have drained and the aggregator is at work); prints the replies and the failures.
fn requester(n: u32) -> String {
    let body = format!(
        r#"(call $sleep (i64.const 300000))
        (local.set $b (call $bind (i32.const 0) (i32.const 17)))
        (loop $again
            (local.set $s (call $call (local.get $b) (i32.const 1) (i32.const 100) (i32.const 1)))
            (if (i32.ge_s (local.get $s) (i32.const 0))
                (then (local.set $n (i32.add (local.get $n) (i32.const 1))))
                (else (local.set $i (i32.add (local.get $i) (i32.const 1)))))
            (br_if $again (i32.lt_u (i32.add (local.get $n) (local.get $i)) (i32.const {n}))))
        (call $show (local.get $n))
        (call $show (local.get $i))"#
    );
    guest(&body, "svc://stats/flood")
}

/// A queue flood: one guest sends 20,000 notifications back to back, six others 300
/// requests each, all to the service the aggregator writes its statistics to.
#[test]
fn queue_flood() {
    const CALLERS: usize = 6;
    matrix(
        "queue_flood",
        || {
            let mut row = Row::new(&stats_writer("notifier")).wat("notifier", &notifier(20_000));
            for i in 0..CALLERS {
                let name = format!("caller-{i}");
                row.manifest.push_str(&stats_writer(&name));
                row = row.wat(&name, &requester(300));
            }
            row
        },
        |run| {
            let said = run.said("notifier");
            let [taken, full] = [0, 1].map(|i| said[i].parse::<u32>().unwrap());
            assert_eq!(taken + full, 20_000, "{said:?}");
            assert!(full > 0, "the inbox filled: {said:?}");
            // Every notification taken is in the trace, and the refusals, counted.
            let trace = &run.report.trace;
            let notified = trace
                .lines()
                .filter(|l| {
                    l.split_whitespace().nth(1) == Some("notify") && l.contains("notifier#")
                })
                .count();
            assert_eq!(notified as u32, taken, "{said:?}");
            let refused: u32 = trace
                .lines()
                .filter(|l| {
                    l.contains("failed") && l.contains("notifier#") && l.contains("queue-full")
                })
                .map(|l| {
                    1 + l
                        .rsplit_once("(+")
                        .map_or(0, |(_, n)| n.trim_end_matches(" more)").parse().unwrap())
                })
                .sum();
            assert_eq!(refused, full, "{said:?}");
            for i in 0..CALLERS {
                let said = run.said(&format!("caller-{i}"));
                let [ok, failed] = [0, 1].map(|i| said[i].parse::<u32>().unwrap());
                assert_eq!(ok + failed, 300, "{said:?}");
            }
        },
    );
}

/// A service entry that fails and is restarted: `extra` says how.
fn restarted(name: &str, extra: &str) -> String {
    service_entry(
        name,
        &format!("\"svc://{name}/{{x}}\""),
        &format!("restart = \"on-failure\"\n{extra}"),
    )
}

/// A guest calling `uri` (reach: read).
fn calling(name: &str, uri: &str, timeout_ms: Option<u32>) -> String {
    let timeout = timeout_ms.map_or(String::new(), |ms| format!(", timeout_ms = {ms}"));
    guest_entry(
        name,
        &format!("reach = [{{ route = \"{uri}\", methods = [\"read\"]{timeout} }}]"),
    )
}

#[test]
fn a_service_that_never_answers() {
    matrix(
        "a_service_that_never_answers",
        || {
            Row::new(&format!(
                "{}{}",
                restarted(
                    "hung",
                    "watchdog_ms = 50\nmax_restarts = 5\nrestart_window_ms = 10000\nrestart_backoff_ms = 10"
                ),
                calling("app", "svc://hung/{x}", Some(30)),
            ))
            .wat("hung", &fireball_tests::wat::service(0, "sleep"))
            .wat("app", &fireball_tests::wat::caller("svc://hung/1", 3, 100_000))
        },
        |run| {
            assert_eq!(run.said("app"), ["T", "T", "T"], "{}", run.output);
            assert!(
                run.output
                    .contains("[fireball] hung stopped: hung: watchdog: held request"),
                "{}",
                run.output
            );
            assert!(run.component("hung").restarts >= 1);
        },
    );
}

#[test]
fn a_service_that_dies_holding_open_requests() {
    const CALLERS: usize = 4;
    matrix(
        "a_service_that_dies_holding_open_requests",
        || {
            let mut row = Row::new(&restarted(
                "flaky",
                "max_restarts = 3\nrestart_window_ms = 10000\nrestart_backoff_ms = 20",
            ))
            // It takes its sixth request, holds it a while, then traps with the others
            // queued behind it.
            .wat("flaky", &fireball_tests::wat::service(6, ""));
            for i in 0..CALLERS {
                let name = format!("app-{i}");
                row.manifest
                    .push_str(&calling(&name, "svc://flaky/{x}", None));
                row = row.wat(
                    &name,
                    &fireball_tests::wat::caller("svc://flaky/1", 5, 1_000),
                );
            }
            row
        },
        |run| {
            let mut restarted = 0;
            for i in 0..CALLERS {
                let said = run.said(&format!("app-{i}"));
                assert_eq!(said.len(), 5, "{}", run.output);
                // A reply, `RESTARTED` for a request queued or held when it died, or a typed
                // refusal (`E`: `DEAD_PEER` while it waits for its restart).
                assert!(
                    said.iter().all(|s| ["ok", "R", "E"].contains(s)),
                    "{said:?}"
                );
                restarted += said.iter().filter(|s| **s == "R").count();
            }
            assert!(restarted >= 1, "{}", run.output);
            assert_eq!(run.component("flaky").restarts, 1, "{}", run.output);
            assert!(
                run.output
                    .contains("[fireball] flaky stopped: flaky::fb_main trapped"),
                "{}",
                run.output
            );
        },
    );
}

#[test]
fn a_restart_loop() {
    matrix(
        "a_restart_loop",
        || {
            Row::new(&format!(
                "{}{}",
                restarted(
                    "flaky",
                    "max_restarts = 2\nrestart_window_ms = 10000\nrestart_backoff_ms = 5"
                ),
                calling("app", "svc://flaky/{x}", None),
            ))
            // Traps on every request.
            .wat("flaky", &fireball_tests::wat::service(1, ""))
            .wat(
                "app",
                &fireball_tests::wat::caller("svc://flaky/1", 6, 30_000),
            )
        },
        |run| {
            let why = run.stopped("flaky");
            assert!(why.contains("gave up after 3 failures"), "{why}");
            assert!(
                run.output
                    .contains("[fireball] flaky gave up: 3 failures in 10 s"),
                "{}",
                run.output
            );
            assert_eq!(run.component("flaky").restarts, 2);
            assert!(!run.said("app").contains(&"ok"), "{}", run.output);
        },
    );
}

/// Binds a route 100,000 times without unbinding, then binds and unbinds it 100,000 times:
/// the binding table is bounded (8 a guest), refusals cost nothing, and a loop of bindings
/// is one trace event with a count.
#[test]
fn a_binding_flood() {
    let body = r#"
        (loop $again
            (local.set $s (call $bind (i32.const 0) (i32.const 17)))
            (if (i32.lt_s (local.get $s) (i32.const 0))
                (then (local.set $n (i32.add (local.get $n) (i32.const 1))))
                (else (local.set $b (i32.add (local.get $b) (i32.const 1)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.lt_u (local.get $i) (i32.const 100000))))
        (call $show (local.get $b))
        (call $show (local.get $n))
        (drop (call $unbind (i32.const 0)))
        (local.set $i (i32.const 0))
        (loop $again
            (drop (call $unbind (call $bind (i32.const 0) (i32.const 17))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.lt_u (local.get $i) (i32.const 100000))))"#;
    matrix(
        "a_binding_flood",
        move || Row::new(&stats_writer("faulty")).wat("faulty", &guest(body, "svc://stats/flood")),
        |run| {
            assert_eq!(run.said("faulty"), ["8", "99992"], "{}", run.output);
            assert_eq!(run.component("faulty").state, State::Finished);
            let bound = run
                .report
                .trace
                .lines()
                .filter(|l| l.contains(" bind ") && l.contains("faulty#"))
                .count();
            assert!(bound < 20, "{bound} bind events");
        },
    );
}
