;; The service of `vsoc/wasm_route_call`, serving `svc://null` with an empty handler, as
;; the services SDK's serve loop does: one `route_respond_next` a turn, which answers the
;; request just handled (code 0: the empty record, the one byte at 128; its token is at
;; offset 4 of the delivery's header) and waits for the next delivery, copied to address 0
;; (the first turn answers nothing: code -1). It returns when the builtin refuses.
;; `route_service_own.wat` is this file with the calls replaced by a countdown.
(module
  (import "fb" "route_respond_next"
    (func $respond_next (param i32 i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 256 256 (pagesize 1))
  (data (i32.const 128) "\00")
  (func (export "fb_main") (local $r i32)
    (local.set $r (call $respond_next (i32.const 0) (i32.const -1) (i32.const 0) (i32.const 0)
      (i32.const 0) (i32.const 128)))
    (loop $serve
      (if (i32.lt_s (local.get $r) (i32.const 0)) (then (return)))
      (local.set $r (call $respond_next (i32.load (i32.const 4)) (i32.const 0) (i32.const 128)
        (i32.const 1) (i32.const 0) (i32.const 128)))
      (br $serve))))
