;; Traps the firmware must catch, report and survive: after each, `alive` must still work
;; and memory must still hold what was stored before the trap.
(module
  (import "env" "fail" (func $fail))
  (memory (export "memory") 1024 1024 (pagesize 1))
  (table 2 funcref)
  (elem (i32.const 0) $alive)
  (type $i32_to_i32 (func (param i32) (result i32)))

  (func $alive (export "alive") (result i32) (i32.load (i32.const 16)))
  (func (export "store") (param $v i32) (i32.store (i32.const 16) (local.get $v)))
  ;; Out of bounds: memory is 1024 bytes.
  (func (export "load") (param $addr i32) (result i32) (i32.load (local.get $addr)))
  (func (export "store_at") (param $addr i32) (param $v i32)
    (i32.store (local.get $addr) (local.get $v)))
  ;; Unbounded recursion: the wasm call stack runs out (a trap, not a native crash).
  (func $down (export "down") (param $n i32) (result i32)
    (i32.add (i32.const 1) (call $down (i32.add (local.get $n) (i32.const 1)))))
  ;; Many locals per call: the value stack runs out before the call depth does.
  (func $wide (export "wide") (param $n i32) (result i32)
    (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
    (i32.add (i32.const 1) (call $wide (local.get $n))))
  (func (export "div") (param $a i32) (param $b i32) (result i32)
    (i32.div_s (local.get $a) (local.get $b)))
  (func (export "unreachable") (unreachable))
  (func (export "call_null") (result i32)
    (call_indirect (type $i32_to_i32) (i32.const 0) (i32.const 1)))
  (func (export "call_wrong_type") (result i32)
    (call_indirect (type $i32_to_i32) (i32.const 0) (i32.const 0)))
  (func (export "host_fail") (call $fail))
)
