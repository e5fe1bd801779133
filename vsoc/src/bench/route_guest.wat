;; The caller of `vsoc/wasm_route_call`: binds `svc://null` once, then makes `n` (i32 at
;; address 0) round trips, each one `route_call_into` (read, an empty record; the reply
;; copied to address 64): what the guests SDK's calls make. It returns the reply's length
;; (1: an empty record) or a negative status; the sum goes to address 4 and is printed (4
;; bytes, LE) at the end, so the checksum is `n` exactly when every reply arrived.
;; `route_guest_own.wat` is this file with the call in the loop replaced by a constant.
(module
  (import "fb" "print" (func $print (param i32 i32)))
  (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
  (import "fb" "route_call_into" (func $call (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 256 256 (pagesize 1))
  (data (i32.const 16) "\00")
  (data (i32.const 32) "svc://null")
  (func (export "fb_main") (local $n i32) (local $i i32) (local $b i32) (local $acc i32)
    (local.set $n (i32.load (i32.const 0)))
    (local.set $b (call $bind (i32.const 32) (i32.const 10)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32.add (local.get $acc)
          (call $call (local.get $b) (i32.const 0) (i32.const 16) (i32.const 1)
            (i32.const 64) (i32.const 64))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.store (i32.const 4) (local.get $acc))
    (call $print (i32.const 4) (i32.const 4))))
