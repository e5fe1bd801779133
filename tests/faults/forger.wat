;; Answers every token 0..512 (others' requests, open while the aggregator works), 50 times
;; 2 ms apart, then prints how many answers were accepted: none should be.
(module
  (import "fb" "print" (func $print (param i32 i32)))
  (import "fb" "sleep_ticks" (func $sleep (param i64)))
  (import "fb" "route_respond" (func $respond (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1024 1024 (pagesize 1))
  (data (i32.const 0) "\00")
  (data (i32.const 16) "accepted 0\0a")
  (data (i32.const 32) "accepted SOME\0a")
  (func (export "fb_main") (local $round i32) (local $t i32) (local $accepted i32)
    (loop $rounds
      (local.set $t (i32.const 0))
      (loop $tokens
        (if (i32.eqz (call $respond (local.get $t) (i32.const 0) (i32.const 0) (i32.const 1)))
          (then (local.set $accepted (i32.add (local.get $accepted) (i32.const 1)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br_if $tokens (i32.lt_u (local.get $t) (i32.const 512))))
      (call $sleep (i64.const 2000))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $round) (i32.const 50))))
    (if (local.get $accepted)
      (then (call $print (i32.const 32) (i32.const 14)))
      (else (call $print (i32.const 16) (i32.const 11))))))
