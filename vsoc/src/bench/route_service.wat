;; The service of `vsoc/wasm_route_call`, serving `svc://null` with an empty handler: wait
;; for a delivery (`route_next`), take it (`route_take`: the request token is at offset 4
;; of the header), answer it at once with an empty record (`route_respond`, code 0, the
;; one byte at 128); it returns when `route_next` refuses. `route_service_own.wat` is this
;; file with the three calls replaced by constants.
(module
  (import "fb" "route_next" (func $next (result i32)))
  (import "fb" "route_take" (func $take (param i32 i32) (result i32)))
  (import "fb" "route_respond" (func $respond (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 256 256 (pagesize 1))
  (data (i32.const 128) "\00")
  (func (export "fb_main")
    (loop $serve
      (if (i32.lt_s (call $next) (i32.const 0)) (then (return)))
      (drop (call $take (i32.const 0) (i32.const 128)))
      (drop (call $respond (i32.load (i32.const 4)) (i32.const 0) (i32.const 128) (i32.const 1)))
      (br $serve))))
