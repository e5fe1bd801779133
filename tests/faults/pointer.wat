;; Hands `route_call` a request outside its memory: stopped at the call, nothing sent.
(module
  (import "fb" "sleep_ticks" (func $sleep (param i64)))
  (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
  (import "fb" "route_call" (func $call (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1024 1024 (pagesize 1))
  (data (i32.const 0) "svc://stats/pointer")
  (func (export "fb_main")
    (call $sleep (i64.const 200000))
    (drop (call $call (call $bind (i32.const 0) (i32.const 19))
      (i32.const 1) (i32.const 0x7fff0000) (i32.const 16)))))
