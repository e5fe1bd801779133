;; Compute-bound: `n` (i32 at address 0) rounds of integer mixing; the
;; checksum goes to address 4. Used by `vsoc/compute` and `wasmi/compute`.
(module
  (memory (export "memory") 256 256 (pagesize 1))
  (func (export "fb_main") (local $n i32) (local $i i32) (local $acc i32)
    (local.set $n (i32.load (i32.const 0)))
    (local.set $acc (i32.const 17))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (i32.xor
            (i32.mul (local.get $acc) (i32.const 31))
            (i32.add (local.get $i) (i32.shr_u (local.get $acc) (i32.const 7)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.store (i32.const 4) (local.get $acc))))
