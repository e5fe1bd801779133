//! Update downtime (issue 16): a service updated through `sys://modules` while a guest calls
//! it back to back, measured from the router trace as the time between the last reply of
//! the old generation (`echo#1`) and the first reply of the new one (`echo#2`).
//!
//! Virtual time on the host simulator: each scheduler poll advances the clock by one fuel
//! slice (`yield_interval` instructions at `TARGET_MHZ`), so µs here are M33-equivalent
//! instructions by the deployment loop's model (× 100), not a measurement on the board. Work
//! the loop does outside a poll (the module manager: verify, compile, instantiate) takes
//! no virtual time, and every poll counts a whole slice whatever it ran. Trace lines are
//! stamped with the clock after the turn that produced them (one turn's resolution).
//!
//! `cargo test -p fireball-tests --test integration update_downtime -- --nocapture`
//! prints the figure (docs/perf.md, "Lifecycle figures").

use std::{cell::RefCell, rc::Rc};

use fireball::deploy::{self, System};
use fireball_deploy::{RunOptions, Sink, TARGET_MHZ};
use fireball_manifest::{Manifest, ModuleDirs};
use fireball_package::{Contents, SigningKey, Version, sign};
use fireball_router::{Methods, Record, Registration};

use crate::modules::upload;
use fireball_subsystems::hal::Console;

/// A guest calling `svc://echo/x` `times` times back to back, as the SDKs do: bound once,
/// bound again after a refusal (`RESTARTED` while the service is swapped).
fn caller(times: u32) -> String {
    let uri = "svc://echo/x";
    format!(
        r#"(module
            (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
            (import "fb" "route_unbind" (func $unbind (param i32) (result i32)))
            (import "fb" "route_call" (func $call (param i32 i32 i32 i32) (result i32)))
            (memory (export "memory") 8192 8192 (pagesize 1))
            (data (i32.const 0) "{uri}")
            (data (i32.const 200) "\00")
            (func (export "fb_main") (local $b i32) (local $i i32)
                (local.set $b (call $bind (i32.const 0) (i32.const {len})))
                (loop $again
                    (if (i32.lt_s (call $call (local.get $b) (i32.const 0) (i32.const 200) (i32.const 1))
                                  (i32.const 0))
                        (then
                            (drop (call $unbind (local.get $b)))
                            (local.set $b (call $bind (i32.const 0) (i32.const {len})))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $again (i32.lt_u (local.get $i) (i32.const {times}))))))"#,
        len = uri.len(),
    )
}

const MANIFEST: &str = r#"
[deployment]
name = "downtime"
yield_interval = 30000   # the sensor hub's: 300 µs slices at 100 MHz
keys = ["board.pub"]

[[service]]
name = "echo"
module = "echo.wasm"
quota = 32768
routes = ["svc://echo/{x}"]

[[guest]]
name = "app"
module = "app.wasm"
reach = [{ route = "svc://echo/{x}", methods = ["read"] }]
"#;

/// Trace lines as the deployment hands them over, for the loop to stamp after each turn.
#[derive(Default)]
struct TraceSink {
    pending: RefCell<String>,
}

struct Discard;

impl Console for Discard {
    fn write(&mut self, _: &[u8]) {}
}

impl Sink for TraceSink {
    fn console(&self, _: &str) -> Box<dyn Console> {
        Box::new(Discard)
    }

    fn line(&self, _: &str) {}

    fn trace(&self, lines: &str) {
        self.pending.borrow_mut().push_str(lines);
    }
}

/// Upload `package` to `sys://modules/echo` in 400-byte chunks from a native probe; the
/// outcome lands in the returned cell.
fn update(system: &mut System, package: Vec<u8>) -> Rc<RefCell<Option<Result<Record, String>>>> {
    let authority = system.router_authority();
    authority
        .allow("probe", "sys://modules/{name}", Methods::WRITE)
        .unwrap();
    let mut probe = system
        .router()
        .register(Registration::new("probe", &[]))
        .unwrap();
    let outcome = Rc::new(RefCell::new(None));
    let out = outcome.clone();
    system
        .spawn_native("probe", async move {
            let result = upload(&mut probe, "sys://modules/echo", &package, 400)
                .await
                .map_err(|e| format!("{e:?}"));
            *out.borrow_mut() = Some(result);
        })
        .unwrap();
    outcome
}

#[test]
fn update_downtime_from_the_last_old_reply_to_the_first_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let key = SigningKey::from_seed(&[1; 32]);
    std::fs::write(
        dir.path().join("echo.wasm"),
        wat::parse_str(fireball_tests::wat::ECHO).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.wasm"),
        wat::parse_str(caller(3000)).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.path().join("board.pub"), key.public_key().to_bytes()).unwrap();
    let dirs = ModuleDirs {
        manifest_dir: dir.path().to_path_buf(),
        modules_dir: dir.path().to_path_buf(),
    };
    let manifest = Manifest::parse(MANIFEST).unwrap();
    let plan = deploy::plan(&manifest, &dirs).unwrap();
    let sink = Rc::new(TraceSink::default());
    let mut options = RunOptions::new(sink.clone());
    options.keep_trace = false;
    options.trace_bodies = false;
    let mut system = System::boot(&plan, options).unwrap();

    // Every trace line, stamped with the clock after the turn that produced it.
    let mut stamped: Vec<(u64, String)> = Vec::new();
    let mut turn = |system: &mut System| {
        system.turn();
        let now = system.now();
        let text = std::mem::take(&mut *sink.pending.borrow_mut());
        stamped.extend(text.lines().map(|l| (now, l.to_owned())));
    };
    while system.now() < 50_000 {
        turn(&mut system);
    }
    let contents = Contents {
        name: "echo",
        version: Version::parse("1.1.0").unwrap(),
        routes: &["svc://echo/{x}"],
        reach: &[],
    };
    let package = sign(
        &contents,
        &wat::parse_str(fireball_tests::wat::ECHO).unwrap(),
        &key,
    )
    .unwrap();
    let outcome = update(&mut system, package);
    while outcome.borrow().is_none() && system.now() < 10_000_000 {
        turn(&mut system);
    }
    let updated = outcome.borrow().clone().expect("the update was answered");
    assert_eq!(
        updated.unwrap().str("version"),
        Some("1.1.0"),
        "the update succeeded"
    );
    // Let the new generation answer a few calls.
    let until = system.now() + 20_000;
    while system.now() < until {
        turn(&mut system);
    }

    // Requests to the echo service by generation, and the replies that answered them.
    let mut target = std::collections::HashMap::new();
    let (mut last_old, mut first_new, mut gap) = (None, None, 0);
    let (mut old_replies, mut refused) = (0, 0);
    for (at, line) in &stamped {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [_, "request", id, caller, "->", to, ..] if caller.starts_with("app#") => {
                target.insert(id.to_string(), to.to_string());
            }
            [_, "reply", id, outcome, ..] => {
                match (target.get(*id).map(String::as_str), *outcome) {
                    (Some("echo#1"), "ok") => {
                        gap = at - last_old.unwrap_or(0);
                        last_old = Some(*at);
                        old_replies += 1;
                    }
                    (Some("echo#2"), "ok") if first_new.is_none() => first_new = Some(*at),
                    (Some(_), "err") => refused += 1,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    let (last_old, first_new) = (
        last_old.expect("the old generation answered"),
        first_new.expect("the new generation answered"),
    );
    let downtime_us = first_new - last_old;
    let slice_us = 30_000 / TARGET_MHZ;
    println!(
        "update downtime: {downtime_us} µs of virtual time ({} slices of {slice_us} µs) = \
         {} M33-equivalent instructions by the loop's model ({TARGET_MHZ} MHz); between \
         replies before the update: {gap} µs ({} instructions); the old generation answered \
         {old_replies} calls, {refused} refused (RESTARTED, resent)",
        downtime_us / slice_us,
        downtime_us * TARGET_MHZ,
        gap * TARGET_MHZ,
    );
    // Today 4 slices, twice the gap between replies before the update: the call in flight
    // at the swap is refused `RESTARTED`, the caller binds again (now to `echo#2`) and
    // resends, and the new instance answers. More than twice that means the swap got slower.
    assert!(
        (1..=8).contains(&(downtime_us / slice_us)),
        "update downtime {downtime_us} µs is not within 1–8 slices of {slice_us} µs"
    );
}
