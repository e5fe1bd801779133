//! Runtime module management (issue 16, item 3): signed packages installed, updated and
//! removed through `sys://modules` on a running deployment, on the host simulator. A guest
//! calls the service the whole time: every call is answered (ok, or `RESTARTED` during the
//! swap, which the SDKs resend), none hangs; a refused package changes nothing; a module
//! that traps while it starts is rolled back; a removed service's routes answer `NO_ROUTE`.

use std::{cell::RefCell, rc::Rc};

use fireball::deploy::{self, Output, RunOptions, State, System};
use fireball_abi::status;
use fireball_deploy::modules::code;
use fireball_manifest::{Manifest, ModuleDirs};
use fireball_package::{Contents, SigningKey, Version, sign};
use fireball_router::{CallError, Endpoint, Method, Methods, Record, Registration, Value};
use fireball_subsystems::host::BufferConsole;

/// An echo service: answers each request with its body. `start` runs before it serves
/// (`unreachable` makes a module that traps while it starts).
pub(crate) fn echo(start: &str) -> String {
    echo_holding(start, 0)
}

/// An echo service that holds each request `hold_us` before it answers.
fn echo_holding(start: &str, hold_us: u64) -> String {
    format!(
        r#"(module
            (import "fb" "route_next" (func $next (result i32)))
            (import "fb" "route_take" (func $take (param i32 i32) (result i32)))
            (import "fb" "route_respond" (func $respond (param i32 i32 i32 i32) (result i32)))
            (import "fb" "sleep_ticks" (func $sleep (param i64)))
            (memory (export "memory") 8192 8192 (pagesize 1))
            (func (export "fb_main")
                {start}
                (loop $serve
                    (if (i32.lt_s (call $next) (i32.const 0)) (then (return)))
                    (drop (call $take (i32.const 0) (i32.const 4096)))
                    (if (i64.gt_u (i64.const {hold_us}) (i64.const 0))
                        (then (call $sleep (i64.const {hold_us}))))
                    (if (i32.eqz (i32.load8_u (i32.const 0)))
                        (then (drop (call $respond (i32.load (i32.const 4)) (i32.const 0)
                            (i32.add (i32.const 16)
                                (i32.add (i32.load16_u (i32.const 2)) (i32.load16_u (i32.const 8))))
                            (i32.load (i32.const 12))))))
                    (br $serve))))"#
    )
}

/// A guest calling `svc://echo/x` `times` times, 10 ms apart, binding afresh for each call
/// (as the SDK rebinds): prints `o` per reply, `R` per `RESTARTED`, `N` per `NO_ROUTE`, `E`
/// per other refusal.
pub(crate) fn caller(times: u32) -> String {
    let uri = "svc://echo/x";
    format!(
        r#"(module
            (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
            (import "fb" "route_unbind" (func $unbind (param i32) (result i32)))
            (import "fb" "route_call" (func $call (param i32 i32 i32 i32) (result i32)))
            (import "fb" "sleep_ticks" (func $sleep (param i64)))
            (import "fb" "print" (func $print (param i32 i32)))
            (memory (export "memory") 8192 8192 (pagesize 1))
            (data (i32.const 0) "{uri}")
            (data (i32.const 200) "\00")
            (data (i32.const 300) "oERN")
            (func (export "fb_main") (local $b i32) (local $i i32) (local $s i32)
                (loop $again
                    (call $sleep (i64.const 10000))
                    (local.set $b (call $bind (i32.const 0) (i32.const {len})))
                    (if (i32.lt_s (local.get $b) (i32.const 0))
                        (then (local.set $s (local.get $b)))
                        (else
                            (local.set $s (call $call (local.get $b) (i32.const 0) (i32.const 200) (i32.const 1)))
                            (drop (call $unbind (local.get $b)))))
                    (if (i32.ge_s (local.get $s) (i32.const 0))
                        (then (call $print (i32.const 300) (i32.const 1)))
                        (else (if (i32.eq (local.get $s) (i32.const {restarted}))
                            (then (call $print (i32.const 302) (i32.const 1)))
                            (else (if (i32.eq (local.get $s) (i32.const {no_route}))
                                (then (call $print (i32.const 303) (i32.const 1)))
                                (else (call $print (i32.const 301) (i32.const 1))))))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $again (i32.lt_u (local.get $i) (i32.const {times}))))))"#,
        len = uri.len(),
        restarted = status::RESTARTED,
        no_route = status::NO_ROUTE,
    )
}

pub(crate) const MANIFEST: &str = r#"
[deployment]
name = "modules"
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

/// The board's key and another one.
pub(crate) fn keys() -> (SigningKey, SigningKey) {
    (
        SigningKey::from_seed(&[1; 32]),
        SigningKey::from_seed(&[2; 32]),
    )
}

/// A package of `wat` for `name` at `version`, signed with `key`, serving `routes`.
pub(crate) fn package(
    name: &str,
    version: &str,
    wat: &str,
    routes: &[&str],
    key: &SigningKey,
) -> Vec<u8> {
    let module = wat::parse_str(wat).unwrap();
    let contents = Contents {
        name,
        version: Version::parse(version).unwrap(),
        routes,
        reach: &[],
    };
    sign(&contents, &module, key).unwrap()
}

/// The manifest booted with the echo service and a guest making `calls` calls.
fn boot(calls: u32) -> (System, BufferConsole, tempfile::TempDir) {
    boot_with(MANIFEST, &echo(""), calls)
}

fn boot_with(
    manifest: &str,
    service: &str,
    calls: u32,
) -> (System, BufferConsole, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, wat: &str| {
        std::fs::write(dir.path().join(name), wat::parse_str(wat).unwrap()).unwrap();
    };
    write("echo.wasm", service);
    write("app.wasm", &caller(calls));
    let (board, _) = keys();
    std::fs::write(dir.path().join("board.pub"), board.public_key().to_bytes()).unwrap();
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
    let system = deploy::boot(&manifest, &dirs, options).unwrap();
    (system, out, dir)
}

pub(crate) type Outcomes = Rc<RefCell<Vec<(String, Result<Record, CallError>)>>>;

/// A native probe allowed everything on `sys://modules`: runs `steps` in order (an upload
/// in 400-byte chunks, a read, a remove), recording each outcome under its label.
#[derive(Clone)]
pub(crate) enum Step {
    Upload(&'static str, Vec<u8>),
    Read(&'static str),
    Remove(&'static str),
    Call(&'static str),
}

pub(crate) fn probe(system: &mut System, steps: Vec<(&'static str, Step)>) -> Outcomes {
    let authority = system.router_authority();
    let all = Methods::READ | Methods::WRITE | Methods::CALL;
    for route in ["sys://modules", "sys://modules/{name}", "svc://echo/{x}"] {
        authority.allow("probe", route, all).unwrap();
    }
    let mut probe = system
        .router()
        .register(Registration::new("probe", &[]))
        .unwrap();
    let outcomes: Outcomes = Rc::default();
    let out = outcomes.clone();
    system
        .spawn_native("probe", async move {
            for (label, step) in steps {
                let outcome = match step {
                    Step::Upload(name, bytes) => {
                        let uri = format!("sys://modules/{name}");
                        upload(&mut probe, &uri, &bytes, 400).await
                    }
                    Step::Read(uri) => probe.call_uri(uri, Method::Read, Record::new()).await,
                    Step::Remove(name) => {
                        let uri = format!("sys://modules/{name}");
                        let body = Record::new().with("op", "remove");
                        probe.call_uri(&uri, Method::Call, body).await
                    }
                    Step::Call(uri) => {
                        let body = Record::new().with("n", 1u32);
                        probe.call_uri(uri, Method::Call, body).await
                    }
                };
                out.borrow_mut().push((label.into(), outcome));
            }
        })
        .unwrap();
    outcomes
}

/// The `write sys://modules/{name}` body for the chunk of `bytes` at `off`, at most `size`
/// bytes (`len`, the whole package's size, goes with the chunk at 0).
pub(crate) fn chunk(bytes: &[u8], len: usize, off: usize, size: usize) -> Record {
    let end = (off + size).min(bytes.len());
    let body = Record::new()
        .with("off", off as u64)
        .with("data", Value::Bytes(bytes[off..end].to_vec()));
    if off == 0 {
        body.with("len", len as u64)
    } else {
        body
    }
}

/// Upload `package` to `uri` in `size`-byte chunks from `probe`, each sent where the last
/// answer said: the answer to the last one (`{off, version}`, once the module serves), or the
/// refusal.
pub(crate) async fn upload(
    probe: &mut Endpoint,
    uri: &str,
    package: &[u8],
    size: usize,
) -> Result<Record, CallError> {
    let mut off = 0;
    loop {
        let body = chunk(package, package.len(), off, size);
        let reply = probe.call_uri(uri, Method::Write, body).await?;
        if reply.str("version").is_some() {
            return Ok(reply);
        }
        off = reply.uint("off").unwrap() as usize;
    }
}

/// Every request in `trace` was answered or failed with a typed status: requests = replies
/// + timeouts.
fn every_request_answered(trace: &str) {
    let requests = trace.lines().filter(|l| l.contains(" request ")).count();
    let answers = trace
        .lines()
        .filter(|l| l.contains(" reply ") || l.contains(" timeout "))
        .count();
    assert_eq!(requests, answers, "{trace}");
}

pub(crate) fn outcome(outcomes: &Outcomes, label: &str) -> Result<Record, CallError> {
    outcomes
        .borrow()
        .iter()
        .find(|(l, _)| l == label)
        .unwrap_or_else(|| panic!("no outcome for {label}"))
        .1
        .clone()
}

/// The guests' outcomes (`o`, `R`, `N`, `E`), in the order printed.
pub(crate) fn calls(out: &BufferConsole) -> String {
    // The guest prints without newlines: the runner's own lines land in between.
    out.contents()
        .replace("[app] ", "")
        .replace("[app2] ", "")
        .lines()
        .map(|l| l.split("[fireball]").next().unwrap_or(""))
        .flat_map(|l| {
            l.chars()
                .filter(|c| "oERN".contains(*c))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn an_update_swaps_the_module_while_its_caller_keeps_getting_answers() {
    let (mut system, out, _dir) = boot(40);
    let (board, other) = keys();
    let routes = ["svc://echo/{x}"];
    let v2 = package("echo", "1.2.0", &echo("(nop)"), &routes, &board);
    let mut flipped = v2.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x40;
    let foreign = package("echo", "1.3.0", &echo(""), &routes, &other);
    let wrong_routes = package("echo", "1.3.0", &echo(""), &["svc://other/{x}"], &board);
    let trapping = package("echo", "2.0.0", &echo("unreachable"), &routes, &board);
    system.run_until(100_000);
    let outcomes = probe(
        &mut system,
        vec![
            ("flipped", Step::Upload("echo", flipped)),
            ("foreign", Step::Upload("echo", foreign)),
            ("routes", Step::Upload("echo", wrong_routes)),
            ("v2", Step::Upload("echo", v2)),
            ("after v2", Step::Read("sys://modules/echo")),
            ("trapping", Step::Upload("echo", trapping)),
            ("after trap", Step::Read("sys://modules/echo")),
            ("echo", Step::Call("svc://echo/x")),
            ("list", Step::Read("sys://modules")),
        ],
    );
    assert!(!system.run_guests(), "the guest finished in time");
    let text = out.contents();

    // Refused packages changed nothing: typed failures, the image's module ran on.
    assert_eq!(
        outcome(&outcomes, "flipped"),
        Err(CallError::Failed(code::UNTRUSTED))
    );
    assert_eq!(
        outcome(&outcomes, "foreign"),
        Err(CallError::Failed(code::UNTRUSTED))
    );
    assert_eq!(
        outcome(&outcomes, "routes"),
        Err(CallError::Failed(code::NOT_GRANTED))
    );
    // The update: answered once the new module serves.
    let v2 = outcome(&outcomes, "v2").unwrap();
    assert_eq!(v2.str("version"), Some("1.2.0"), "{text}");
    let entry = outcome(&outcomes, "after v2").unwrap();
    assert_eq!(entry.str("version"), Some("1.2.0"));
    assert_eq!(entry.str("source"), Some("package"));
    assert_eq!(entry.str("state"), Some("running"));
    // A module that traps while it starts is rolled back: 1.2.0 serves on.
    assert_eq!(
        outcome(&outcomes, "trapping"),
        Err(CallError::Failed(code::START_FAILED)),
        "{text}"
    );
    assert!(text.contains("rolled back to version 1.2.0"), "{text}");
    let entry = outcome(&outcomes, "after trap").unwrap();
    assert_eq!(entry.str("version"), Some("1.2.0"));
    assert_eq!(entry.str("state"), Some("running"));
    assert!(outcome(&outcomes, "echo").is_ok(), "{text}");
    let list = outcome(&outcomes, "list").unwrap();
    let Some(Value::List(modules)) = list.get("modules") else {
        panic!("{list}")
    };
    assert_eq!(modules.len(), 2);

    // The guest's calls were all answered: replies, and at most one `RESTARTED` for each
    // swap (the update and the rollback), which a caller resends.
    let seen = calls(&out);
    assert_eq!(seen.len(), 40, "{text}");
    assert!(!seen.contains('E') && !seen.contains('N'), "{seen}\n{text}");
    assert!(seen.matches('R').count() <= 2, "{seen}");
    // Every request in the run was answered or failed with a typed status.
    every_request_answered(&system.finish().trace);
}

/// A deployment whose manifest names no keys could trust no package: an upload is refused
/// at its first chunk (`UNTRUSTED`, nothing received), the control port's as well, and the
/// module that runs goes on serving. (A board image of such a manifest carries no installer
/// at all: `docs/perf.md`, "Making the image small".)
#[test]
fn a_deployment_without_keys_refuses_an_upload_at_its_first_chunk() {
    let manifest = MANIFEST.replace("keys = [\"board.pub\"]\n", "");
    assert_ne!(manifest, MANIFEST);
    let (mut system, out, _dir) = boot_with(&manifest, &echo(""), 10);
    let (board, _) = keys();
    let v2 = package("echo", "2.0.0", &echo(""), &["svc://echo/{x}"], &board);
    assert!(v2.len() > 400, "more than one chunk");
    system.run_until(50_000);
    assert!(matches!(
        system.installable(),
        Err(fireball_deploy::ModuleError::NoKeys)
    ));
    let outcomes = probe(
        &mut system,
        vec![
            ("v2", Step::Upload("echo", v2.clone())),
            ("list", Step::Read("sys://modules/echo")),
        ],
    );
    assert!(!system.run_guests());
    assert_eq!(
        outcome(&outcomes, "v2"),
        Err(CallError::Failed(code::UNTRUSTED))
    );
    let text = out.contents();
    let entry = outcome(&outcomes, "list").unwrap();
    assert_eq!(entry.str("source"), Some("image"), "{entry:?}");
    assert!(
        system.install_package(v2).is_err(),
        "the control port's install is refused too"
    );
    assert_eq!(calls(&out), "o".repeat(10), "{text}");
    // Refused at offset 0: no later chunk was sent.
    let trace = system.finish().trace;
    let writes: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains(" request ") && l.contains("write sys://modules/echo"))
        .collect();
    assert_eq!(writes.len(), 1, "{trace}");
    every_request_answered(&trace);
}

#[test]
fn a_removed_service_answers_no_route_and_can_be_installed_again() {
    let (mut system, out, _dir) = boot(30);
    let (board, _) = keys();
    let v3 = package("echo", "3.0.0", &echo(""), &["svc://echo/{x}"], &board);
    system.run_until(50_000);
    let outcomes = probe(
        &mut system,
        vec![
            ("remove", Step::Remove("echo")),
            ("again", Step::Remove("echo")),
            ("unknown", Step::Remove("nobody")),
            ("gone", Step::Call("svc://echo/x")),
        ],
    );
    system.run_until(150_000);
    assert_eq!(outcome(&outcomes, "remove"), Ok(Record::new()));
    assert_eq!(
        outcome(&outcomes, "again"),
        Err(CallError::Failed(code::UNKNOWN))
    );
    assert_eq!(
        outcome(&outcomes, "unknown"),
        Err(CallError::Failed(code::UNKNOWN))
    );
    assert_eq!(outcome(&outcomes, "gone"), Err(CallError::NoRoute));
    // The first probe's endpoint was dropped when its task ended: the name is free.
    let outcomes = probe(&mut system, vec![("v3", Step::Upload("echo", v3))]);
    assert!(!system.run_guests());
    assert_eq!(
        outcome(&outcomes, "v3").unwrap().str("version"),
        Some("3.0.0")
    );
    let seen = calls(&out);
    assert_eq!(seen.len(), 30, "{}", out.contents());
    // Served, then `NO_ROUTE` while removed, then served again.
    assert!(seen.starts_with("oooo"), "{seen}");
    assert!(seen.contains("NNN"), "{seen}");
    assert!(seen.ends_with("ooo"), "{seen}");
    assert!(!seen.contains('E'), "{seen}");
    let report = system.finish();
    let echo = report.components.iter().find(|c| c.name == "echo").unwrap();
    assert!(matches!(echo.state, State::Running(_)), "{report}");
}

#[test]
fn an_interrupted_upload_changes_nothing_and_holds_off_other_senders_until_restarted() {
    let (mut system, out, _dir) = boot(10);
    let (board, _) = keys();
    let v2 = package("echo", "1.2.0", &echo(""), &["svc://echo/{x}"], &board);
    let half = v2[..v2.len() / 2].to_vec();
    let first = chunk(&v2, v2.len(), 0, 100);
    system.run_until(20_000);
    let authority = system.router_authority();
    for caller in ["probe", "other"] {
        authority
            .allow(
                caller,
                "sys://modules/{name}",
                Methods::READ | Methods::WRITE,
            )
            .unwrap();
    }
    let router = system.router();
    let mut probe = router.register(Registration::new("probe", &[])).unwrap();
    let mut other = router.register(Registration::new("other", &[])).unwrap();
    let outcomes: Outcomes = Rc::default();
    let out_ = outcomes.clone();
    system
        .spawn_native("probe", async move {
            let uri = "sys://modules/echo";
            let push = |label: &str, outcome| out_.borrow_mut().push((label.into(), outcome));
            // Half of a package, then the sender goes quiet.
            let mut off = 0;
            while off < half.len() {
                let body = chunk(&half, v2.len(), off, 100);
                let reply = probe.call_uri(uri, Method::Write, body).await.unwrap();
                off = reply.uint("off").unwrap() as usize;
            }
            push("half", Ok(Record::new().with("off", off as u64)));
            push(
                "read",
                probe.call_uri(uri, Method::Read, Record::new()).await,
            );
            // Another sender is held off while it is in progress …
            push(
                "other",
                other.call_uri(uri, Method::Write, first.clone()).await,
            );
            // … and a chunk past the one wanted is answered with the one wanted.
            let skip = Record::new()
                .with("off", (off + 100) as u64)
                .with("data", Value::Bytes(vec![0; 10]));
            push("skip", probe.call_uri(uri, Method::Write, skip).await);
            // The same sender starts again at 0: a fresh transfer.
            push("restart", probe.call_uri(uri, Method::Write, first).await);
        })
        .unwrap();
    assert!(!system.run_guests());
    let entry = outcome(&outcomes, "read").unwrap();
    assert_eq!(entry.str("version"), Some("0.0.0"), "{}", out.contents());
    assert_eq!(entry.str("source"), Some("image"));
    assert_eq!(
        outcome(&outcomes, "other"),
        Err(CallError::Failed(code::BUSY))
    );
    let half = outcome(&outcomes, "half").unwrap().uint("off").unwrap();
    assert_eq!(outcome(&outcomes, "skip").unwrap().uint("off"), Some(half));
    assert_eq!(
        outcome(&outcomes, "restart").unwrap().uint("off"),
        Some(100)
    );
    assert_eq!(calls(&out), "oooooooooo");
}

#[test]
fn an_update_of_a_busy_service_answers_what_it_held_restarted_and_callers_resend() {
    // Two guests keep a slow echo busy (it holds each request 30 ms): the update's drain
    // runs out (100 ms), and what the old instance held or had queued is answered
    // `RESTARTED`, once; the callers' next calls reach the new generation.
    let manifest = MANIFEST.replace(
        "[[guest]]\nname = \"app\"",
        "[[guest]]\nname = \"app2\"\nmodule = \"app.wasm\"\n\
         reach = [{ route = \"svc://echo/{x}\", methods = [\"read\"] }]\n\n\
         [[guest]]\nname = \"app\"",
    );
    let (mut system, out, _dir) = boot_with(&manifest, &echo_holding("", 30_000), 20);
    let (board, _) = keys();
    let v2 = package(
        "echo",
        "1.2.0",
        &echo_holding("(nop)", 30_000),
        &["svc://echo/{x}"],
        &board,
    );
    system.run_until(150_000);
    let outcomes = probe(&mut system, vec![("v2", Step::Upload("echo", v2))]);
    assert!(!system.run_guests(), "the guests finished in time");
    let text = out.contents();
    assert_eq!(
        outcome(&outcomes, "v2").unwrap().str("version"),
        Some("1.2.0"),
        "{text}"
    );
    let seen = calls(&out);
    assert_eq!(seen.len(), 40, "{text}");
    assert!(
        seen.contains('R'),
        "the swap answered what it held: {seen}\n{text}"
    );
    assert!(!seen.contains('E') && !seen.contains('N'), "{seen}");
    every_request_answered(&system.finish().trace);
}
