;; `route_service.wat` with its three calls replaced by constants, for
;; `wasmi/route_own_work`. `route_next` becomes a countdown in a local (from `n`, the i32
;; at address 0) so that the loop ends: one `i32.sub` more than the original's own work.
(module
  (memory (export "memory") 256 256 (pagesize 1))
  (data (i32.const 128) "\00")
  (func (export "fb_main") (local $k i32)
    (local.set $k (i32.load (i32.const 0)))
    (loop $serve
      (if (i32.lt_s (local.tee $k (i32.sub (local.get $k) (i32.const 1))) (i32.const 0))
        (then (return)))
      (drop (i32.const 1))
      (drop (i32.load (i32.const 4)))
      (br $serve))))
