;; A debug build's per-statement cost with no debugger attached: `n` (i32 at address 0)
;; calls of the `fireball_dbg.line` probe (nothing armed: it answers 0), in one instrumented
;; frame; `n` goes to address 4. Used by `vsoc/debug_probe` (same call shape as
;; `vsoc/gpio_builtin`: one i32 in, one i32 out).
(module
  (import "fireball_dbg" "enter" (func $enter (param i32)))
  (import "fireball_dbg" "leave" (func $leave))
  (import "fireball_dbg" "line" (func $line (param i32) (result i32)))
  (memory (export "memory") 256 256 (pagesize 1))
  (func (export "fb_main") (local $n i32) (local $i i32) (local $acc i32)
    (call $enter (i32.const 100))
    (local.set $n (i32.load (i32.const 0)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (i32.sub (i32.const 1) (call $line (i32.const 120)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.store (i32.const 4) (local.get $acc))
    (call $leave)))
