;; Panics with a message (the `abort` builtin, as a Rust guest's panic handler does).
(module
  (import "fb" "sleep_ticks" (func $sleep (param i64)))
  (import "fb" "abort" (func $abort (param i32 i32)))
  (memory (export "memory") 1024 1024 (pagesize 1))
  (data (i32.const 0) "boom: sensor on fire")
  (func (export "fb_main")
    (call $sleep (i64.const 150000))
    (call $abort (i32.const 0) (i32.const 20))))
