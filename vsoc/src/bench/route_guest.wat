;; The caller of `vsoc/wasm_route_call`: binds `svc://null` once, then makes `n` (i32 at
;; address 0) round trips, each a `route_call` (read, an empty record) and a `route_reply`
;; (copy the reply out). Both return the reply's length (1: an empty record) or a negative
;; status; their sum goes to address 4 and is printed (4 bytes, LE) at the end, so the
;; checksum is `2 n` exactly when every reply arrived. `route_guest_own.wat` is this file
;; with the two calls in the loop replaced by constants.
(module
  (import "fb" "print" (func $print (param i32 i32)))
  (import "fb" "route_bind" (func $bind (param i32 i32) (result i32)))
  (import "fb" "route_call" (func $call (param i32 i32 i32 i32) (result i32)))
  (import "fb" "route_reply" (func $reply (param i32 i32) (result i32)))
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
          (call $call (local.get $b) (i32.const 0) (i32.const 16) (i32.const 1))))
        (local.set $acc (i32.add (local.get $acc)
          (call $reply (i32.const 64) (i32.const 64))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.store (i32.const 4) (local.get $acc))
    (call $print (i32.const 4) (i32.const 4))))
