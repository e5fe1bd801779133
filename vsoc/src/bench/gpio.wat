;; Host-call-bound: `n` (i32 at address 0) calls of `fb.gpio_toggle(0)`; the
;; sum of the returned levels goes to address 4. Used by `vsoc/gpio_builtin`
;; and `wasmi/host_call`.
(module
  (import "fb" "gpio_toggle" (func $toggle (param i32) (result i32)))
  (memory (export "memory") 256 256 (pagesize 1))
  (func (export "fb_main") (local $n i32) (local $i i32) (local $acc i32)
    (local.set $n (i32.load (i32.const 0)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $toggle (i32.const 0))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.store (i32.const 4) (local.get $acc))))
