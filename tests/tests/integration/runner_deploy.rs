//! `fireball run <manifest>` on the host simulator, with small WAT modules: the manifest's
//! policies are the router's, services serve their routes from their P4 quota, guests run
//! to the end, and the report says how each component ended. (The demo deployment built
//! from the SDKs is `demo_sensor_hub.rs`.)

use std::path::Path;

use fireball::deploy::{self, BootError, Kind, Output, RunOptions, State, System};
use fireball_manifest::{Manifest, ModuleDirs};
use fireball_subsystems::host::BufferConsole;
use fireball_tests::wat::ECHO;

/// Calls `uri` with an empty record `times` times, sleeping 1 ms between calls; prints `ok`
/// per reply and `E` per refusal.
fn caller(uri: &str, times: u32) -> String {
    format!(
        r#"(module
            (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
            (import "fb" "route_call" (func $call (param i32 i32 i32 i32) (result i32)))
            (import "fb" "sleep_ticks" (func $sleep (param i64)))
            (import "fb" "print" (func $print (param i32 i32)))
            (memory (export "memory") 8192 8192 (pagesize 1))
            (data (i32.const 0) "{uri}")
            (data (i32.const 200) "\00")
            (data (i32.const 300) "ok\nE\n")
            (func (export "fb_main") (local $b i32) (local $i i32)
                (local.set $b (call $bind (i32.const 0) (i32.const {len})))
                (loop $again
                    (if (i32.ge_s (call $call (local.get $b) (i32.const 0) (i32.const 200) (i32.const 1))
                            (i32.const 0))
                        (then (call $print (i32.const 300) (i32.const 3)))
                        (else (call $print (i32.const 303) (i32.const 2))))
                    (call $sleep (i64.const 1000))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $again (i32.lt_u (local.get $i) (i32.const {times}))))))"#,
        len = uri.len()
    )
}

fn write_modules(dir: &Path) {
    std::fs::write(dir.join("echo.wasm"), wat::parse_str(ECHO).unwrap()).unwrap();
    std::fs::write(
        dir.join("app.wasm"),
        wat::parse_str(caller("svc://echo/1", 3)).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.join("rogue.wasm"),
        wat::parse_str(caller("svc://echo/2", 1)).unwrap(),
    )
    .unwrap();
}

const MANIFEST: &str = r#"
[deployment]
name = "echo-test"
yield_interval = 10000

[[service]]
name = "echo"
module = "echo.wasm"
quota = 32768
routes = ["svc://echo/{x}"]

[[guest]]
name = "app"
module = "app.wasm"
reach = [{ route = "svc://echo/{x}", methods = ["read"] }]

[[guest]]
name = "rogue"
module = "rogue.wasm"
"#;

fn boot(manifest: &str) -> (Result<System, BootError>, BufferConsole, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    write_modules(dir.path());
    let parsed = Manifest::parse(manifest).unwrap();
    let out = BufferConsole::new();
    let options = RunOptions {
        output: Output::Buffer(out.clone()),
        ..RunOptions::default()
    };
    let dirs = ModuleDirs {
        manifest_dir: dir.path().to_path_buf(),
        modules_dir: dir.path().to_path_buf(),
    };
    (deploy::boot(&parsed, &dirs, options), out, dir)
}

#[test]
fn a_manifest_boots_its_services_and_guests_and_its_policies_hold() {
    let (system, out, _dir) = boot(MANIFEST);
    let report = system.unwrap().run();
    let output = out.contents();
    assert!(!report.timed_out);
    let state = |name: &str| {
        report
            .components
            .iter()
            .find(|c| c.name == name)
            .unwrap()
            .clone()
    };
    assert_eq!(state("app").state, State::Finished);
    assert_eq!(state("rogue").state, State::Finished);
    assert_eq!(state("echo").kind, Kind::Service);
    assert!(matches!(state("echo").state, State::Running(_)), "{report}");
    assert_eq!(state("echo").placement, "P4/1");
    assert_eq!(state("echo").quota, Some(32768));
    assert_eq!(output.matches("[app] ok\n").count(), 3, "{output}");
    assert!(output.contains("[rogue] E\n"), "{output}");
    // Three requests from app answered by echo; rogue's refused before delivery.
    assert_eq!(
        report.trace.matches(" request ").count(),
        3,
        "{}",
        report.trace
    );
    assert_eq!(
        report.trace.matches(" denied ").count(),
        1,
        "{}",
        report.trace
    );
    assert!(report.trace.contains("rogue#1 -> echo#1 read svc://echo/2"));
    // Three 1 ms sleeps: virtual time reached at least 3 ms and stayed far below a second.
    assert!(
        (3_000..1_000_000).contains(&report.time_us),
        "{}",
        report.time_us
    );
    let text = report.to_string();
    // No partition table without the partitioned heap (this process allocates from the
    // system; `partition_table.rs` runs on the heap); the vSoC's admission ledger still has
    // the service's quota.
    assert!(
        report.partitions.is_none() && !text.contains("partitions ("),
        "{text}"
    );
    let echo = &report.components[0];
    assert!(echo.quota.is_some() && echo.pool.is_some(), "{echo:?}");
    assert!(text.contains("coroutine dump"), "{text}");
}

#[test]
fn the_same_manifest_runs_the_same_way_twice() {
    let run = || {
        let (system, out, _dir) = boot(MANIFEST);
        let report = system.unwrap().run();
        // Task ids carry their wake board's slot generation, which a later executor in the
        // same process (this run's second, or another test's) continues from: compare the
        // dump without them, and without the column padding their width sets.
        let text: Vec<String> = report
            .to_string()
            .lines()
            .map(|line| {
                let line = match line.trim_start().strip_prefix('#') {
                    Some(rest) => rest.split_once(' ').map_or("", |(_, r)| r),
                    None => line,
                };
                line.split_whitespace().collect::<Vec<_>>().join(" ")
            })
            .collect();
        (text, report.trace, out.contents())
    };
    assert_eq!(run(), run());
}

#[test]
fn a_wrong_manifest_is_refused_with_every_problem_named() {
    let broken = MANIFEST
        .replace(r#"module = "app.wasm""#, r#"module = "missing.wasm""#)
        .replace("quota = 32768", "quota = 999999999");
    let (system, _, _dir) = boot(&broken);
    let Err(BootError::Manifest(errors)) = system else {
        panic!("booted a broken manifest");
    };
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(errors.len(), 2, "{text:?}");
    assert!(text.iter().any(|e| e.contains("missing.wasm")), "{text:?}");
    assert!(text.iter().any(|e| e.contains("quotas add up")), "{text:?}");
}

/// A board's wall clock that moves only while the deployment waits on it.
struct Hands<'a>(&'a std::cell::Cell<u64>);

impl fireball_subsystems::hal::Clock for Hands<'_> {
    fn now_us(&self) -> u64 {
        self.0.get()
    }
}

#[test]
fn a_paced_run_waits_for_the_wall_and_runs_as_an_unpaced_one() {
    use std::cell::Cell;

    use fireball_deploy::{Turn, Wall};

    let time = Cell::new(1_000_000);
    let wall = Wall::start(Hands(&time));
    let (waits, idles) = (Cell::new(0u32), Cell::new(0u32));
    let (system, out, _dir) = boot(MANIFEST);
    let report = system.unwrap().run_paced(&mut |system, turn| {
        if turn == Turn::Idle {
            idles.set(idles.get() + 1);
        }
        // What the nRF5340-DK's image does: wait until its clock reads `until`, however far.
        wall.hold(system, turn, u64::MAX, |until| {
            waits.set(waits.get() + 1);
            time.set(1_000_000 + until);
        });
        assert!(
            system.now() <= wall.now(),
            "the deployment's clock ran ahead of the wall: {} > {}",
            system.now(),
            wall.now()
        );
    });
    let (unpaced, unpaced_out, _dir) = boot(MANIFEST);
    let unpaced = unpaced.unwrap().run();
    assert!(!report.timed_out);
    // The guests' three 1 ms sleeps were waited for, on the wall.
    assert!(waits.get() >= 3, "{}", waits.get());
    assert!(wall.now() >= 3_000, "{}", wall.now());
    assert_eq!(
        idles.get(),
        0,
        "the guests always had something to wait for"
    );
    assert_eq!(out.contents(), unpaced_out.contents());
    assert_eq!(report.trace, unpaced.trace);
    assert_eq!(report.time_us, unpaced.time_us);
}

#[test]
fn an_idle_deployment_is_moved_on_to_the_wall_and_runs_to_its_time_limit() {
    use std::cell::Cell;

    use fireball_deploy::{Turn, Wall};

    // A guest waiting for an ISR flag nobody raises: every turn is idle.
    let dir = tempfile::tempdir().unwrap();
    let waiter = r#"(module
        (import "fb" "irq_subscribe" (func $subscribe (param i32) (result i32)))
        (import "fb" "wait_irq" (func $wait (param i32) (result i32)))
        (memory (export "memory") 4096 4096 (pagesize 1))
        (func (export "fb_main")
            (drop (call $subscribe (i32.const 16)))
            (drop (call $wait (i32.const 16)))))"#;
    std::fs::write(
        dir.path().join("waiter.wasm"),
        wat::parse_str(waiter).unwrap(),
    )
    .unwrap();
    let manifest = Manifest::parse(
        r#"
[deployment]
name = "idle"

[[guest]]
name = "waiter"
module = "waiter.wasm"
"#,
    )
    .unwrap();
    let dirs = ModuleDirs {
        manifest_dir: dir.path().to_path_buf(),
        modules_dir: dir.path().to_path_buf(),
    };
    let options = RunOptions {
        output: Output::Buffer(BufferConsole::new()),
        max_time_us: 50_000,
        ..RunOptions::default()
    };
    let system = deploy::boot(&manifest, &dirs, options).unwrap();
    let time = Cell::new(0);
    let wall = Wall::start(Hands(&time));
    let idles = Cell::new(0u32);
    let report = system.run_paced(&mut |system, turn| {
        if turn == Turn::Idle {
            idles.set(idles.get() + 1);
        }
        wall.hold(system, turn, 2_000, |until| time.set(until));
    });
    // Unpaced, an idle deployment ends the run at once; paced, it waits for the wall (an
    // interrupt may still come), as little as the wall allows at a time (here 1 µs), and
    // its clock follows the wall's to the time limit.
    assert!(report.timed_out, "{report}");
    assert!(idles.get() >= 1_000, "{}", idles.get());
    assert!(
        (50_000..50_100).contains(&report.time_us),
        "{}",
        report.time_us
    );
    assert_eq!(wall.now(), report.time_us);
}
