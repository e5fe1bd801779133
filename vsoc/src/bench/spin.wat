;; Spins forever: every slice ends out of fuel. Used by `vsoc/task_switch`.
(module
  (memory (export "memory") 0 0)
  (func (export "fb_main") (loop $l (br $l))))
