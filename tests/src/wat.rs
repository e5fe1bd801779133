//! Small WAT modules several tests deploy.

use fireball_abi::status;

/// A service that answers every request with its own body (whatever routes it serves).
pub const ECHO: &str = r#"(module
    (import "fb" "route_next" (func $next (result i32)))
    (import "fb" "route_take" (func $take (param i32 i32) (result i32)))
    (import "fb" "route_respond" (func $respond (param i32 i32 i32 i32) (result i32)))
    (memory (export "memory") 8192 8192 (pagesize 1))
    (func (export "fb_main")
        (loop $serve
            (if (i32.lt_s (call $next) (i32.const 0)) (then (return)))
            (drop (call $take (i32.const 0) (i32.const 4096)))
            (if (i32.eqz (i32.load8_u (i32.const 0)))
                (then (drop (call $respond (i32.load (i32.const 4)) (i32.const 0)
                    (i32.add (i32.const 16)
                        (i32.add (i32.load16_u (i32.const 2)) (i32.load16_u (i32.const 8))))
                    (i32.load (i32.const 12))))))
            (br $serve))))"#;

/// Calls `uri` with an empty record `times` times, `gap_us` apart, binding it afresh for
/// each call; prints `ok` per reply, `R` per `RESTARTED`, `T` per `TIMEOUT` and `E` per other
/// refusal.
pub fn caller(uri: &str, times: u32, gap_us: u64) -> String {
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
            (data (i32.const 300) "ok\nE\nR\nT\n")
            (func (export "fb_main") (local $b i32) (local $i i32) (local $s i32)
                (loop $again
                    (call $sleep (i64.const {gap_us}))
                    (local.set $b (call $bind (i32.const 0) (i32.const {len})))
                    (local.set $s (call $call (local.get $b) (i32.const 0) (i32.const 200) (i32.const 1)))
                    (drop (call $unbind (local.get $b)))
                    (if (i32.ge_s (local.get $s) (i32.const 0))
                        (then (call $print (i32.const 300) (i32.const 3)))
                        (else (if (i32.eq (local.get $s) (i32.const {restarted}))
                            (then (call $print (i32.const 305) (i32.const 2)))
                            (else (if (i32.eq (local.get $s) (i32.const {timeout}))
                                (then (call $print (i32.const 307) (i32.const 2)))
                                (else (call $print (i32.const 303) (i32.const 2))))))))
                    (local.set $i (i32.add (local.get $i) (i32.const 1)))
                    (br_if $again (i32.lt_u (local.get $i) (i32.const {times}))))))"#,
        len = uri.len(),
        restarted = status::RESTARTED,
        timeout = status::TIMEOUT,
    )
}

/// An echo service that traps (`unreachable`) on request `nth` of each instance; `nth = 0`
/// never traps. What it does with a request it does not answer: `hold` (nothing: `hold =
/// "sleep"` sleeps a minute, `"spin"` loops forever) — `""` answers.
pub fn service(nth: u32, hold: &str) -> String {
    let hold = match hold {
        "sleep" => "(call $sleep (i64.const 60000000))",
        "spin" => "(loop $spin (br $spin))",
        _ => "",
    };
    format!(
        r#"(module
            (import "fb" "route_next" (func $next (result i32)))
            (import "fb" "route_take" (func $take (param i32 i32) (result i32)))
            (import "fb" "route_respond" (func $respond (param i32 i32 i32 i32) (result i32)))
            (import "fb" "sleep_ticks" (func $sleep (param i64)))
            (memory (export "memory") 8192 8192 (pagesize 1))
            (func (export "fb_main")
                (loop $serve
                    (if (i32.lt_s (call $next) (i32.const 0)) (then (return)))
                    (drop (call $take (i32.const 0) (i32.const 4096)))
                    (i32.store (i32.const 8000) (i32.add (i32.load (i32.const 8000)) (i32.const 1)))
                    (if (i32.eq (i32.load (i32.const 8000)) (i32.const {nth})) (then unreachable))
                    {hold}
                    (if (i32.eqz (i32.load8_u (i32.const 0)))
                        (then (drop (call $respond (i32.load (i32.const 4)) (i32.const 0)
                            (i32.add (i32.const 16)
                                (i32.add (i32.load16_u (i32.const 2)) (i32.load16_u (i32.const 8))))
                            (i32.load (i32.const 12))))))
                    (br $serve))))"#
    )
}
