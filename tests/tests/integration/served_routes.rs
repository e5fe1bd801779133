//! `fireball inspect`'s routes: what a service declares with `route_serve` when it runs to
//! its first `route_next`, exactly, not strings found in its data.

use fireball_abi::Method;

fn served(wat: &str) -> Vec<(Method, String)> {
    fireball::served_routes("svc", &wat::parse_str(wat).unwrap())
        .unwrap()
        .routes
}

#[test]
fn a_services_routes_are_the_ones_its_serve_loop_declares() {
    let counter = std::fs::read(fireball_tests::modules_dir().join("counter.wasm")).unwrap();
    assert_eq!(
        fireball::served_routes("counter", &counter).unwrap().routes,
        [
            (Method::Write, "svc://counter/{n}".to_string()),
            (Method::Read, "svc://counter/{n}".to_string())
        ]
    );
    let stats = std::fs::read(fireball_tests::modules_dir().join("stats.wasm")).unwrap();
    let served = fireball::served_routes("stats", &stats).unwrap();
    assert!(
        served.stopped.unwrap().contains("serves no routes"),
        "its serve loop stops at its first `route_next`: there is no router"
    );
    let routes: Vec<String> = served
        .routes
        .iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert_eq!(
        routes,
        [
            "write svc://stats/{key}",
            "read svc://stats/{key}",
            "call svc://stats/{key}/remove",
            "read svc://stats",
        ],
        "not `log://panicked` nor any other string in its data"
    );
}

/// A module declaring by hand: each call's status is printed; only the well-formed
/// declarations are kept, and what it does after its first `route_next` is not run.
const DECLARES: &str = r#"(module
    (import "fb" "route_serve" (func $serve (param i32 i32 i32) (result i32)))
    (import "fb" "route_next" (func $next (result i32)))
    (memory (export "memory") 1 1)
    (data (i32.const 0) "svc://a/{x}svc://a/{x}/{x}log://")
    (func (export "fb_main")
        (drop (call $serve (i32.const 0) (i32.const 11) (i32.const 2)))
        (if (i32.ne (call $serve (i32.const 11) (i32.const 15) (i32.const 0)) (i32.const -13))
            (then unreachable))
        (if (i32.ne (call $serve (i32.const 0) (i32.const 11) (i32.const 7)) (i32.const -12))
            (then unreachable))
        (drop (call $serve (i32.const 26) (i32.const 6) (i32.const 0)))
        (drop (call $next))
        (loop $forever (br $forever))))"#;

#[test]
fn only_well_formed_declarations_are_kept_and_the_module_is_not_run_past_its_slices() {
    assert_eq!(
        fireball_abi::status::BAD_URI,
        -13,
        "the WAT above compares with it"
    );
    assert_eq!(fireball_abi::status::BAD_MESSAGE, -12);
    assert_eq!(
        served(DECLARES),
        [
            (Method::Call, "svc://a/{x}".to_string()),
            (Method::Read, "log://".to_string())
        ]
    );
}

#[test]
fn a_guest_is_not_run_and_a_trapping_service_keeps_what_it_declared() {
    // A guest imports no `route_serve`: it is not run (its loop would be).
    assert_eq!(
        served(r#"(module (func (export "fb_main") (loop $l (br $l))))"#),
        []
    );
    let traps = r#"(module
        (import "fb" "route_serve" (func $serve (param i32 i32 i32) (result i32)))
        (memory (export "memory") 1 1)
        (data (i32.const 0) "svc://t")
        (func (export "fb_main")
            (drop (call $serve (i32.const 0) (i32.const 7) (i32.const 0)))
            unreachable))"#;
    let traps = fireball::served_routes("t", &wat::parse_str(traps).unwrap()).unwrap();
    assert_eq!(traps.routes, [(Method::Read, "svc://t".to_string())]);
    assert!(traps.stopped.unwrap().contains("unreachable"));
    assert!(fireball::served_routes("bad", b"\0asm\x01\0\0\0\xff").is_err());
}

#[test]
fn a_route_declared_again_is_kept_once_and_past_64_the_table_is_full() {
    let patterns: String = (0..70).map(|i| format!("svc://p/{i:02}")).collect();
    let wat = format!(
        r#"(module
        (import "fb" "route_serve" (func $serve (param i32 i32 i32) (result i32)))
        (import "fb" "route_next" (func $next (result i32)))
        (memory (export "memory") 1 1)
        (data (i32.const 0) "{patterns}")
        (func (export "fb_main") (local $i i32) (local $r i32)
            (drop (call $serve (i32.const 0) (i32.const 10) (i32.const 0)))
            (loop $each
                (local.set $r (call $serve (i32.mul (local.get $i) (i32.const 10)) (i32.const 10) (i32.const 0)))
                (if (i32.and (i32.ge_u (local.get $i) (i32.const 64))
                             (i32.ne (local.get $r) (i32.const {full})))
                    (then unreachable))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $each (i32.lt_u (local.get $i) (i32.const 70))))
            (drop (call $next))))"#,
        full = fireball_abi::status::TABLE_FULL
    );
    let routes = served(&wat);
    assert_eq!(routes.len(), 64);
    assert_eq!(routes[0], (Method::Read, "svc://p/00".to_string()));
    assert_eq!(routes[63], (Method::Read, "svc://p/63".to_string()));
}
