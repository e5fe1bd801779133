//! Services: a WASM module serving router routes with `route_next` / `route_take` /
//! `route_respond`, called by guests through the router's policies. A failing or trapping
//! service answers (or leaves to the router) only its own callers; everyone else keeps
//! running.

use crate::subsystems_common;

use fireball_abi::status;
use fireball_router::{Method, Methods, Record, Value};
use fireball_subsystems::host::BufferConsole;
use fireball_vsoc::{Vsoc, VsocConfig, VsocEvent, builtins::ServeError};
use subsystems_common::{Rig, caller_wat, guest_call, outcome, rig, spawn_guest};

/// Serves `svc://echo/{x}`: prints one `.` per delivery taken (`n` for a notification),
/// echoes a read's body, fails a call with 418, traps on a write.
const ECHO: &str = r#"(module
    (import "fb" "route_next" (func $next (result i32)))
    (import "fb" "route_take" (func $take (param i32 i32) (result i32)))
    (import "fb" "route_respond" (func $respond (param i32 i32 i32 i32) (result i32)))
    (import "fb" "print" (func $print (param i32 i32)))
    (memory (export "memory") 1 1)
    (data (i32.const 8000) ".n")
    (func (export "fb_main") (local $body i32)
        (loop $serve
            (if (i32.lt_s (call $next) (i32.const 0)) (then (return)))
            (if (i32.lt_s (call $take (i32.const 0) (i32.const 4096)) (i32.const 0))
                (then unreachable))
            (local.set $body (i32.add (i32.const 16)
                (i32.add (i32.load16_u (i32.const 2)) (i32.load16_u (i32.const 8)))))
            (if (i32.eqz (i32.load8_u (i32.const 0)))
                (then
                    (call $print (i32.const 8000) (i32.const 1))
                    (if (i32.eq (i32.load8_u (i32.const 1)) (i32.const 1)) (then unreachable))
                    (if (i32.eq (i32.load8_u (i32.const 1)) (i32.const 2))
                        (then (drop (call $respond (i32.load (i32.const 4)) (i32.const 418)
                            (i32.const 0) (i32.const 0))))
                        (else (drop (call $respond (i32.load (i32.const 4)) (i32.const 0)
                            (local.get $body) (i32.load (i32.const 12)))))))
                (else (call $print (i32.const 8001) (i32.const 1))))
            (br $serve))))"#;

const ROUTE: &str = "svc://echo/{x}";

fn spawn_service(rig: &mut Rig, name: &str, wat: &str) -> BufferConsole {
    subsystems_common::spawn_service(rig, name, &wat::parse_str(wat).unwrap(), &[ROUTE])
}

fn sample() -> Record {
    Record::new()
        .with("channel", Value::U64(3))
        .with("filtered", Value::F32(12.5))
}

fn with_echo() -> (Rig, BufferConsole) {
    with_service(ECHO)
}

/// A rig where `app` may read, write and call [`ROUTE`], served by module `wat` as `echo`.
fn with_service(wat: &str) -> (Rig, BufferConsole) {
    let mut rig = rig();
    rig.authority
        .allow("app", ROUTE, Methods::READ | Methods::WRITE | Methods::CALL)
        .unwrap();
    let console = spawn_service(&mut rig, "echo", wat);
    (rig, console)
}

#[test]
fn a_guest_calls_a_wasm_service_and_gets_its_reply_or_its_failure_code() {
    let (mut rig, service) = with_echo();
    assert_eq!(
        guest_call(&mut rig, "app", "svc://echo/7", Method::Read, sample()),
        Ok(sample())
    );
    assert_eq!(
        guest_call(&mut rig, "app", "svc://echo/7", Method::Call, sample()),
        Err(status::failed(418))
    );
    assert_eq!(service.contents(), "..");
}

#[test]
fn a_denied_request_never_reaches_the_service() {
    let (mut rig, service) = with_echo();
    assert_eq!(
        guest_call(&mut rig, "intruder", "svc://echo/7", Method::Read, sample()),
        Err(status::DENIED)
    );
    assert_eq!(service.contents(), "");
}

#[test]
fn notifications_reach_the_service_without_a_reply() {
    let (mut rig, service) = with_echo();
    let client = rig
        .router
        .register(fireball_router::Registration::new("app", &[]))
        .unwrap();
    let echo = client.bind("svc://echo/1").unwrap();
    client.notify(&echo, Method::Write, sample()).unwrap();
    client.notify(&echo, Method::Read, sample()).unwrap();
    rig.vsoc.run_for(&mut rig.executor, 1_000);
    assert_eq!(service.contents(), "nn");
}

#[test]
fn a_trapping_service_fails_only_its_callers_and_the_rest_keeps_running() {
    let (mut rig, service) = with_echo();
    // The write traps the service while it holds the request: the router answers it.
    let console = spawn_guest(
        &mut rig,
        "app",
        &caller_wat("svc://echo/1", Method::Write, &sample(), None),
    );
    rig.vsoc.run_for(&mut rig.executor, 10_000);
    // A handler that stops answers what it held with its stop answer: `DEAD_PEER` (no
    // restart policy here; `RESTARTED` when one will restart it, docs/lifecycle.md).
    assert_eq!(outcome(&console.bytes()), Err(status::DEAD_PEER));
    assert_eq!(service.contents(), ".");
    let mut trapped = false;
    while let Some(event) = rig.vsoc.pop_event() {
        trapped |= matches!(event, VsocEvent::Stopped { ref reason, .. }
            if reason.to_string().contains("echo"));
    }
    assert!(trapped, "the service's trap is reported");
    // Later callers learn the peer is gone; the hal component still answers.
    assert_eq!(
        guest_call(&mut rig, "app", "svc://echo/1", Method::Read, sample()),
        Err(status::DEAD_PEER)
    );
    let adc = guest_call(&mut rig, "app", "hal://adc/0", Method::Read, Record::new()).unwrap();
    assert_eq!(adc.get("raw"), Some(&Value::U64(2048)));
}

#[test]
fn registering_a_service_needs_a_router_and_happens_once() {
    let vsoc = Vsoc::new(VsocConfig::default());
    let module = vsoc.load("echo", &wat::parse_str(ECHO).unwrap()).unwrap();
    let instance = vsoc
        .instantiate(&module, Box::new(BufferConsole::new()))
        .unwrap();
    assert_eq!(
        vsoc.register_service(&instance, &[ROUTE], 4),
        Err(ServeError::NoRouter)
    );
    let (rig, _) = with_echo();
    let other = rig
        .vsoc
        .load("echo2", &wat::parse_str(ECHO).unwrap())
        .unwrap();
    let instance = rig
        .vsoc
        .instantiate(&other, Box::new(BufferConsole::new()))
        .unwrap();
    assert!(matches!(
        rig.vsoc.register_service(&instance, &[ROUTE], 4),
        Err(ServeError::Register(_))
    ));
    rig.vsoc
        .register_service(&instance, &["svc://echo2/{x}"], 4)
        .unwrap();
    assert_eq!(
        rig.vsoc.register_service(&instance, &["svc://echo3"], 4),
        Err(ServeError::AlreadyRegistered)
    );
}

/// Takes requests and never answers; prints `F` and returns once `route_next` refuses.
const HOARD: &str = r#"(module
    (import "fb" "route_next" (func $next (result i32)))
    (import "fb" "route_take" (func $take (param i32 i32) (result i32)))
    (import "fb" "print" (func $print (param i32 i32)))
    (memory (export "memory") 1 1)
    (data (i32.const 8000) ".F")
    (func (export "fb_main") (local $n i32)
        (loop $serve
            (local.set $n (call $next))
            (if (i32.eq (local.get $n) (i32.const -16))
                (then (call $print (i32.const 8001) (i32.const 1)) (return)))
            (drop (call $take (i32.const 0) (i32.const 4096)))
            (call $print (i32.const 8000) (i32.const 1))
            (br $serve))))"#;

#[test]
fn a_service_holds_at_most_four_open_requests_and_they_are_answered_when_it_stops() {
    let mut rig = rig();
    let service = spawn_service(&mut rig, "hoard", HOARD);
    let callers: Vec<BufferConsole> = (0..5)
        .map(|i| {
            // One router identity per module name: five callers need five names.
            let name = format!("app{i}");
            rig.authority.allow(&name, ROUTE, Methods::READ).unwrap();
            spawn_guest(
                &mut rig,
                &name,
                &caller_wat("svc://echo/1", Method::Read, &sample(), None),
            )
        })
        .collect();
    rig.vsoc.run_for(&mut rig.executor, 10_000);
    assert_eq!(service.contents(), "....F");
    // All five called before the service ran: its inbox (4) took four, the fifth was
    // refused at once. The four it held are answered by the router when it finished, with
    // its stop answer (`DEAD_PEER`: nothing will restart it).
    let outcomes: Vec<_> = callers.iter().map(|c| outcome(&c.bytes())).collect();
    assert_eq!(outcomes[..4], [const { Err(status::DEAD_PEER) }; 4]);
    assert_eq!(outcomes[4], Err(status::QUEUE_FULL));
}

/// Binds and unbinds `svc://echo/1` `times` times (each bind reuses the slot the last unbind
/// freed, one generation on), printing `E` for a bind or unbind that fails; then binds once
/// more and reads through it, printing `ok` for the reply.
fn rebinder(times: u32) -> String {
    format!(
        r#"(module
            (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
            (import "fb" "route_unbind" (func $unbind (param i32) (result i32)))
            (import "fb" "route_call" (func $call (param i32 i32 i32 i32) (result i32)))
            (import "fb" "print" (func $print (param i32 i32)))
            (memory (export "memory") 1 1)
            (data (i32.const 0) "svc://echo/1")
            (data (i32.const 100) "\00")
            (data (i32.const 200) "Eok")
            (func (export "fb_main") (local $b i32) (local $i i32)
                (loop $again
                    (local.set $b (call $bind (i32.const 0) (i32.const 12)))
                    (if (i32.lt_s (local.get $b) (i32.const 0))
                        (then (call $print (i32.const 200) (i32.const 1)))
                        (else (if (call $unbind (local.get $b))
                            (then (call $print (i32.const 200) (i32.const 1))))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $again (i32.lt_u (local.get $i) (i32.const {times}))))
                (local.set $b (call $bind (i32.const 0) (i32.const 12)))
                (if (i32.ge_s (call $call (local.get $b) (i32.const 0) (i32.const 100)
                        (i32.const 1)) (i32.const 0))
                    (then (call $print (i32.const 201) (i32.const 2))))))"#
    )
}

/// The soak found it (docs/reliability.md, "Soak"): a binding handle carried its slot's
/// generation in its top 16 bits, so from a slot's 32,768th bind on it did not fit the
/// builtin's non-negative `i32`; `route_bind` answered `TABLE_FULL` and left the binding in
/// the table, where the guest could never unbind it. A guest that binds per call lost a slot
/// every 32,767 binds, then could bind nothing.
#[test]
fn a_guest_may_bind_and_unbind_past_the_32768th_generation_of_a_slot() {
    let (mut rig, _service) = with_echo();
    let console = spawn_guest(&mut rig, "app", &rebinder(33_000));
    rig.vsoc.run_for(&mut rig.executor, 1_000_000);
    assert_eq!(console.contents(), "ok");
}

/// [`ECHO`] as the services SDK's loop serves: one `route_respond_next` a turn answers the
/// request just handled and takes the next delivery into a 96-byte buffer. Prints `.` per
/// request, `n` per notification; a write is answered with bytes that are not a record
/// (refused at once: it prints `B` and fails the request with 500 instead); a delivery
/// larger than the buffer is held, not copied (it prints `L` and refuses it with 413).
const ECHO_TURNS: &str = r#"(module
    (import "fb" "route_respond_next"
        (func $turn (param i32 i32 i32 i32 i32 i32) (result i32)))
    (import "fb" "print" (func $print (param i32 i32)))
    (memory (export "memory") 1 1)
    (data (i32.const 8000) ".nLB")
    (data (i32.const 8100) "\ff\ff")
    (func (export "fb_main") (local $r i32) (local $token i32) (local $code i32)
        (local $ptr i32) (local $len i32)
        (local.set $code (i32.const -1))
        (loop $serve
            (local.set $r (call $turn (local.get $token) (local.get $code) (local.get $ptr)
                (local.get $len) (i32.const 0) (i32.const 96)))
            (if (i32.and (i32.eq (local.get $r) (i32.const -12)) (i32.eqz (local.get $code)))
                (then
                    (call $print (i32.const 8003) (i32.const 1))
                    (local.set $code (i32.const 500))
                    (br $serve)))
            (if (i32.lt_s (local.get $r) (i32.const 0)) (then (return)))
            (if (i32.gt_s (local.get $r) (i32.const 96))
                (then
                    (call $print (i32.const 8002) (i32.const 1))
                    (local.set $token (i32.const 0))
                    (local.set $code (i32.const 413))
                    (br $serve)))
            (local.set $token (i32.load (i32.const 4)))
            (local.set $ptr (i32.add (i32.const 16)
                (i32.add (i32.load16_u (i32.const 2)) (i32.load16_u (i32.const 8)))))
            (local.set $len (i32.load (i32.const 12)))
            (local.set $code (i32.const -1))
            (if (i32.eqz (i32.load8_u (i32.const 0)))
                (then
                    (call $print (i32.const 8000) (i32.const 1))
                    (local.set $code (i32.const 0))
                    (if (i32.eq (i32.load8_u (i32.const 1)) (i32.const 2))
                        (then (local.set $code (i32.const 418))))
                    (if (i32.eq (i32.load8_u (i32.const 1)) (i32.const 1))
                        (then (local.set $ptr (i32.const 8100)) (local.set $len (i32.const 2)))))
                (else (call $print (i32.const 8001) (i32.const 1))))
            (br $serve))))"#;

/// A guest that calls `uri` once with `route_call_into` and a reply buffer of `cap` bytes:
/// prints `R` + the reply, or (a reply larger than `cap`, kept) `T` and then `R` + the reply
/// fetched with `route_reply`, or `E` + the status (LE i32).
fn call_into_wat(uri: &str, method: Method, request: &Record, cap: usize) -> String {
    let request = request.encode(&Default::default()).unwrap();
    format!(
        r#"(module
            (import "fb" "print" (func $print (param i32 i32)))
            (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
            (import "fb" "route_call_into"
                (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
            (import "fb" "route_reply" (func $reply (param i32 i32) (result i32)))
            (memory (export "memory") 1 1)
            (data (i32.const 0) "{uri}")
            (data (i32.const 256) "{req}")
            (data (i32.const 4000) "T")
            (func $fail (param i32)
                (i32.store8 (i32.const 2048) (i32.const 69))
                (i32.store (i32.const 2049) (local.get 0))
                (call $print (i32.const 2048) (i32.const 5)))
            (func (export "fb_main") (local $b i32) (local $n i32)
                (local.set $b (call $bind (i32.const 0) (i32.const {uri_len})))
                (local.set $n (call $call (local.get $b) (i32.const {method})
                    (i32.const 256) (i32.const {req_len}) (i32.const 1024) (i32.const {cap})))
                (if (i32.lt_s (local.get $n) (i32.const 0))
                    (then (call $fail (local.get $n)) (return)))
                (if (i32.gt_s (local.get $n) (i32.const {cap}))
                    (then
                        (call $print (i32.const 4000) (i32.const 1))
                        (local.set $n (call $reply (i32.const 1024) (i32.const 1024)))))
                (i32.store8 (i32.const 1023) (i32.const 82))
                (call $print (i32.const 1023) (i32.add (local.get $n) (i32.const 1)))))"#,
        uri_len = uri.len(),
        req = subsystems_common::data(&request),
        req_len = request.len(),
        method = subsystems_common::method_number(method),
    )
}

fn with_echo_turns() -> (Rig, BufferConsole) {
    with_service(ECHO_TURNS)
}

/// One `route_call_into` from guest `app`: what it printed.
fn call_into(rig: &mut Rig, method: Method, request: &Record, cap: usize) -> Vec<u8> {
    let console = spawn_guest(
        rig,
        "app",
        &call_into_wat("svc://echo/7", method, request, cap),
    );
    subsystems_common::run_to_finish(rig);
    console.bytes()
}

#[test]
fn route_call_into_copies_a_reply_that_fits_and_keeps_one_that_does_not() {
    let (mut rig, _service) = with_echo_turns();
    let encoded = sample().encode(&Default::default()).unwrap();
    let fits = call_into(&mut rig, Method::Read, &sample(), 256);
    assert_eq!(outcome(&fits), Ok(sample()));
    // Too small a buffer: the length says so, nothing was copied, `route_reply` fetches it.
    let kept = call_into(&mut rig, Method::Read, &sample(), encoded.len() - 1);
    assert_eq!(kept[0], b'T', "{kept:?}");
    assert_eq!(outcome(&kept[1..]), Ok(sample()));
    // Exactly the reply's size fits.
    let exact = call_into(&mut rig, Method::Read, &sample(), encoded.len());
    assert_eq!(outcome(&exact), Ok(sample()));
    // Failures are the statuses `route_call` gives.
    assert_eq!(
        outcome(&call_into(&mut rig, Method::Call, &sample(), 256)),
        Err(status::failed(418))
    );
}

#[test]
fn a_serve_loop_of_route_respond_next_answers_fails_refuses_and_waits() {
    let (mut rig, service) = with_echo_turns();
    assert_eq!(
        guest_call(&mut rig, "app", "svc://echo/7", Method::Read, sample()),
        Ok(sample())
    );
    // The answer is not a record: refused at once (the request stays open) and failed.
    assert_eq!(
        guest_call(&mut rig, "app", "svc://echo/7", Method::Write, sample()),
        Err(status::failed(500))
    );
    // A delivery larger than the service's buffer is held, then refused with 413.
    let large = Record::new().with("blob", Value::Str("x".repeat(120)));
    assert_eq!(
        guest_call(&mut rig, "app", "svc://echo/7", Method::Read, large),
        Err(status::failed(413))
    );
    // Notifications take a turn without an answer.
    let client = rig
        .router
        .register(fireball_router::Registration::new("app2", &[]))
        .unwrap();
    rig.authority.allow("app2", ROUTE, Methods::WRITE).unwrap();
    let echo = client.bind("svc://echo/1").unwrap();
    client.notify(&echo, Method::Write, sample()).unwrap();
    rig.vsoc.run_for(&mut rig.executor, 1_000);
    // And it still serves.
    assert_eq!(
        guest_call(&mut rig, "app", "svc://echo/7", Method::Call, sample()),
        Err(status::failed(418))
    );
    assert_eq!(service.contents(), "..BLn.");
}
