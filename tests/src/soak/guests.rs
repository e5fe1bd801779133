//! The soak's WAT guests: two that keep the sensor hub's services busy for the whole run, and
//! `chaos`, which misbehaves at seeded random intervals.
//!
//! Each is generated with the run's end (virtual µs) and, for `chaos`, its seed: a restarted
//! instance starts from the same data segments, so `chaos` mixes the clock into its seed to
//! pick a different sequence after each restart (the run stays deterministic: the clock is
//! virtual).

use fireball_abi::{method, status};

/// The imports every soak guest may use (a module that leaves one unused still links).
const IMPORTS: &str = r#"
    (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
    (import "fb" "route_unbind" (func $unbind (param i32) (result i32)))
    (import "fb" "route_call" (func $call (param i32 i32 i32 i32) (result i32)))
    (import "fb" "route_notify" (func $notify (param i32 i32 i32 i32) (result i32)))
    (import "fb" "sleep_ticks" (func $sleep (param i64)))
    (import "fb" "time_ticks" (func $now (result i64)))
    (import "fb" "print" (func $print (param i32 i32)))
    (import "fb" "abort" (func $abort (param i32 i32)))"#;

/// Binds `uri` (at `$uri`, `$len` bytes), sends `$body` with `$method`, unbinds; the status
/// (`chaos`, whose instances live seconds). A status other than a reply or a full inbox (the
/// flood's doing) prints `unexpected`.
const REQUEST: &str = r#"
    (func $request (param $uri i32) (param $len i32) (param $method i32)
                   (param $body i32) (param $blen i32) (result i32)
        (local $b i32) (local $s i32)
        (local.set $b (call $bind (local.get $uri) (local.get $len)))
        (if (i32.lt_s (local.get $b) (i32.const 0))
            (then (call $print (i32.const 900) (i32.const 11)) (return (local.get $b))))
        (local.set $s (call $call (local.get $b) (local.get $method)
            (local.get $body) (local.get $blen)))
        (drop (call $unbind (local.get $b)))
        (if (i32.and (i32.lt_s (local.get $s) (i32.const 0))
                     (i32.ne (local.get $s) (i32.const -11)))
            (then (call $print (i32.const 900) (i32.const 11))))
        (local.get $s))"#;

/// Data every soak guest shares: the routes, the records, the `unexpected` marker.
const DATA: &str = r#"
    (data (i32.const 0) "svc://filter/0")
    (data (i32.const 32) "svc://stats/soak")
    (data (i32.const 64) "svc://mesh/tx")
    (data (i32.const 96) "svc://stats/chaos")
    ;; An empty record.
    (data (i32.const 128) "\00")
    ;; stats' Sample { value: f64 }: the value's 8 bytes follow at 152.
    (data (i32.const 144) "\01\05value\05")
    ;; mesh's Transmit { data: 32 bytes }: the bytes follow at 200.
    (data (i32.const 192) "\01\04data\06\20")
    (data (i32.const 900) "unexpected\n")"#;

/// Calls through the binding kept at `$slot` (binding `$uri` first if there is none), sends
/// `$body` with `$method`; the status. A binding is kept for the guest's life, as the SDK's
/// `Client` keeps it, and made again only after a call through it failed: a guest has eight
/// binding slots and each slot's handles run out after 65,534 binds (the kernel retires a
/// slot rather than let a stale handle come back), so binding per call would end a long run.
/// A status other than a reply or a full inbox (the flood's doing) prints `unexpected`.
const KEPT: &str = r#"
    (func $kept (param $slot i32) (param $uri i32) (param $len i32) (param $method i32)
                (param $body i32) (param $blen i32) (result i32)
        (local $b i32) (local $s i32)
        (local.set $b (i32.load (local.get $slot)))
        (if (i32.lt_s (local.get $b) (i32.const 0))
            (then
                (local.set $b (call $bind (local.get $uri) (local.get $len)))
                (if (i32.lt_s (local.get $b) (i32.const 0))
                    (then (call $print (i32.const 900) (i32.const 11)) (return (local.get $b))))
                (i32.store (local.get $slot) (local.get $b))))
        (local.set $s (call $call (local.get $b) (local.get $method)
            (local.get $body) (local.get $blen)))
        (if (i32.and (i32.lt_s (local.get $s) (i32.const 0))
                     (i32.ne (local.get $s) (i32.const -11)))
            (then
                (call $print (i32.const 900) (i32.const 11))
                (drop (call $unbind (local.get $b)))
                (i32.store (local.get $slot) (i32.const -1))))
        (local.get $s))"#;

/// Bytes of the guest pool the healthy guest takes once the sensor hub's own guests are
/// done ([`BALLAST_AT_US`]), so that what is left is less than `chaos` may grow its memory to:
/// its out-of-memory misdeed then runs the shared pool dry, not just its own limit.
pub const BALLAST: u32 = 49_152;

/// When the healthy guest takes its [`BALLAST`] (the sensor hub's guests end at 1.4 s).
pub const BALLAST_AT_US: u64 = 5_000_000;

/// A healthy guest: every `period_us` it reads the four filter channels and adds a sample to
/// `svc://stats/soak`; every fourth round it also transmits 32 bytes over the mesh. At
/// [`BALLAST_AT_US`] it grows its memory by [`BALLAST`]. It returns once the clock passes
/// `end_us`.
pub fn sensors(period_us: u64, end_us: u64) -> String {
    format!(
        r#"(module {IMPORTS}
    (memory (export "memory") 4096 {max} (pagesize 1))
    {DATA}
    (data (i32.const 400) "svc://filter/0svc://filter/1svc://filter/2svc://filter/3")
    ;; The kept bindings: four filter channels, stats, mesh; -1 while unbound.
    (data (i32.const 1000) "\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff\ff")
    {KEPT}
    (func (export "fb_main") (local $round i32) (local $ch i32) (local $ballast i32)
        (loop $rounds
            (if (i64.ge_u (call $now) (i64.const {end_us})) (then (return)))
            (if (i32.and (i32.eqz (local.get $ballast))
                         (i64.ge_u (call $now) (i64.const {BALLAST_AT_US})))
                (then
                    (local.set $ballast (i32.const 1))
                    (if (i32.lt_s (memory.grow (i32.const {BALLAST})) (i32.const 0))
                        (then (call $print (i32.const 900) (i32.const 11))))))
            (local.set $ch (i32.const 0))
            (loop $channels
                (drop (call $kept (i32.add (i32.const 1000) (i32.shl (local.get $ch) (i32.const 2)))
                    (i32.add (i32.const 400) (i32.mul (local.get $ch) (i32.const 14)))
                    (i32.const 14) (i32.const {read}) (i32.const 128) (i32.const 1)))
                (local.set $ch (i32.add (local.get $ch) (i32.const 1)))
                (br_if $channels (i32.lt_u (local.get $ch) (i32.const 4))))
            (f64.store (i32.const 152) (f64.convert_i32_u (local.get $round)))
            (drop (call $kept (i32.const 1016) (i32.const 32) (i32.const 16) (i32.const {write})
                (i32.const 144) (i32.const 16)))
            (if (i32.eqz (i32.and (local.get $round) (i32.const 3)))
                (then (drop (call $kept (i32.const 1020) (i32.const 64) (i32.const 13)
                    (i32.const {write}) (i32.const 192) (i32.const 40)))))
            (local.set $round (i32.add (local.get $round) (i32.const 1)))
            (call $sleep (i64.const {period_us}))
            (br $rounds))))"#,
        read = method::READ,
        write = method::WRITE,
        max = 4096 + BALLAST,
    )
}

/// What `chaos` does when its interval is up, by the PRNG's pick (`cases` of [`chaos`]).
pub const MISDEEDS: [&str; 10] = [
    "unreachable",
    "divide by zero",
    "out-of-bounds load",
    "call-stack exhaustion",
    "indirect-call type mismatch",
    "out of memory",
    "panic",
    "spin",
    "flood",
    "not a number",
];

/// The misbehaving guest. It sleeps a random 250 ms – 3 s (seeded xorshift), adds a sample to
/// `svc://stats/chaos` (it does some real work too), then does one of [`MISDEEDS`]: the first
/// seven stop it (a failure, restarted by its policy), a spin (up to 400,000 loop turns
/// without a host call), a flood (notifications to `stats` until its inbox is full, at most
/// 64) or a sample that is not a number (which `stats` must fail with 422, a typed failure
/// in the trace) it survives and goes on. It returns once the clock passes `end_us`.
pub fn chaos(seed: u32, end_us: u64) -> String {
    // Each trap in its own function, so the stop reason names what happened.
    format!(
        r#"(module {IMPORTS}
    (type $unary (func (param i32) (result i32)))
    (type $nullary (func))
    (table 1 funcref)
    (elem (i32.const 0) $nothing)
    (memory (export "memory") 8192 65536 (pagesize 1))
    {DATA}
    (data (i32.const 300) "chaos: a seeded panic")
    (data (i32.const 340) "spin\n")
    (data (i32.const 350) "flood\n")
    (global $rng (mut i32) (i32.const 0))
    {REQUEST}
    (func $nothing)
    (func $next (result i32)
        (global.set $rng (i32.xor (global.get $rng) (i32.shl (global.get $rng) (i32.const 13))))
        (global.set $rng (i32.xor (global.get $rng) (i32.shr_u (global.get $rng) (i32.const 17))))
        (global.set $rng (i32.xor (global.get $rng) (i32.shl (global.get $rng) (i32.const 5))))
        (global.get $rng))
    (func $below (param $n i32) (result i32)
        (i32.rem_u (call $next) (local.get $n)))
    (func $deep (param $n i32) (result i32)
        (i32.add (call $deep (i32.add (local.get $n) (i32.const 1))) (local.get $n)))
    (func $grow_until_refused
        (loop $more
            (br_if $more (i32.ge_s (memory.grow (i32.const 4096)) (i32.const 0))))
        unreachable)
    (func $spin (param $turns i32) (local $i i32)
        (call $print (i32.const 340) (i32.const 5))
        (loop $again
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $again (i32.lt_u (local.get $i) (local.get $turns)))))
    (func $flood (local $b i32) (local $n i32)
        (call $print (i32.const 350) (i32.const 6))
        (local.set $b (call $bind (i32.const 96) (i32.const 17)))
        (if (i32.lt_s (local.get $b) (i32.const 0)) (then (return)))
        (loop $again
            (local.set $n (i32.add (local.get $n) (i32.const 1)))
            (br_if $again (i32.and
                (i32.ge_s (call $notify (local.get $b) (i32.const {write})
                    (i32.const 144) (i32.const 16)) (i32.const 0))
                (i32.lt_u (local.get $n) (i32.const 64)))))
        (drop (call $unbind (local.get $b))))
    (func $nan (local $b i32) (local $s i32)
        (f64.store (i32.const 152) (f64.const nan))
        (local.set $b (call $bind (i32.const 96) (i32.const 17)))
        (if (i32.lt_s (local.get $b) (i32.const 0))
            (then (call $print (i32.const 900) (i32.const 11)) (return)))
        (local.set $s (call $call (local.get $b) (i32.const {write})
            (i32.const 144) (i32.const 16)))
        (if (i32.and (i32.ne (local.get $s) (i32.const {refused}))
                     (i32.ne (local.get $s) (i32.const -11)))
            (then (call $print (i32.const 900) (i32.const 11))))
        (drop (call $unbind (local.get $b))))
    (func (export "fb_main") (local $x i32)
        (global.set $rng (i32.or (i32.xor (i32.const {seed})
            (i32.mul (i32.wrap_i64 (call $now)) (i32.const -1640531535))) (i32.const 1)))
        (loop $life
            (call $sleep (i64.extend_i32_u (i32.add (i32.const 250000)
                (call $below (i32.const 2750000)))))
            (if (i64.ge_u (call $now) (i64.const {end_us})) (then (return)))
            (f64.store (i32.const 152) (f64.convert_i32_u (call $next)))
            (drop (call $request (i32.const 96) (i32.const 17) (i32.const {write})
                (i32.const 144) (i32.const 16)))
            (block $done
                (block $nan (block $flood (block $spin (block $panic (block $oom (block $mismatch
                (block $stack (block $oob (block $div (block $unreachable
                    (br_table $unreachable $div $oob $stack $mismatch $oom $panic $spin $flood
                        $nan (call $below (i32.const 10))))
                unreachable)
                (local.set $x (i32.div_u (i32.const 1) (i32.const 0))) (br $done))
                (local.set $x (i32.load (i32.const -16))) (br $done))
                (local.set $x (call $deep (i32.const 0))) (br $done))
                (local.set $x (call_indirect (type $unary) (i32.const 7) (i32.const 0))) (br $done))
                (call $grow_until_refused) (br $done))
                (call $abort (i32.const 300) (i32.const 21)) (br $done))
                (call $spin (i32.add (i32.const 20000) (call $below (i32.const 380000))))
                (br $done))
                (call $flood) (br $done))
                (call $nan))
            (drop (local.get $x))
            (br $life))))"#,
        write = method::WRITE,
        refused = status::failed(422),
    )
}
