//! Small WAT modules several tests deploy.

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
