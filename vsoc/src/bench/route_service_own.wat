;; `route_service.wat` with its calls replaced by a countdown, for `wasmi/route_own_work`:
;; the result of each turn's `route_respond_next` is a local counting down from `n - 2` (`n`
;; is the i32 at address 0), so the loop runs `n` turns and ends; the token it would pass
;; is still loaded. One `i32.sub` a turn more than the original's own work.
(module
  (memory (export "memory") 256 256 (pagesize 1))
  (data (i32.const 128) "\00")
  (func (export "fb_main") (local $r i32) (local $k i32)
    (local.set $k (i32.sub (i32.load (i32.const 0)) (i32.const 1)))
    (local.set $r (i32.const 33))
    (loop $serve
      (if (i32.lt_s (local.get $r) (i32.const 0)) (then (return)))
      (drop (i32.load (i32.const 4)))
      (local.set $r (local.tee $k (i32.sub (local.get $k) (i32.const 1))))
      (br $serve))))
