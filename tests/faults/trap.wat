;; Reads past the end of its 1 KiB memory a while into the run: stopped, the reason reported.
(module
  (import "fb" "sleep_ticks" (func $sleep (param i64)))
  (memory (export "memory") 1024 1024 (pagesize 1))
  (func (export "fb_main")
    (call $sleep (i64.const 100000))
    (drop (i32.load (i32.const 4096)))))
