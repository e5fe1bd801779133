;; `route_guest.wat` with the loop's call replaced by what it returns (1): the caller's own
;; work per round trip, for `wasmi/route_own_work`.
(module
  (import "fb" "print" (func $print (param i32 i32)))
  (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
  (memory (export "memory") 256 256 (pagesize 1))
  (data (i32.const 16) "\00")
  (data (i32.const 32) "svc://null")
  (func (export "fb_main") (local $n i32) (local $i i32) (local $b i32) (local $acc i32)
    (local.set $n (i32.load (i32.const 0)))
    (local.set $b (call $bind (i32.const 32) (i32.const 10)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.store (i32.const 4) (local.get $acc))
    (call $print (i32.const 4) (i32.const 4))))
