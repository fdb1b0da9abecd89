;; Host calls: the guest prints through the imported `env.print(ptr, len)` and asks the host
;; for a checksum of its memory through `env.checksum(ptr, len) -> i32`.
(module
  (import "env" "print" (func $print (param i32 i32)))
  (import "env" "checksum" (func $checksum (param i32 i32) (result i32)))
  (memory (export "memory") 256 256 (pagesize 1))
  (data (i32.const 0) "hello from wasm, running in place from flash\n")
  (data (i32.const 48) "squares:")

  ;; Writes the decimal digits of $v (< 10^9) at $at; returns the position after them.
  (func $itoa (param $v i32) (param $at i32) (result i32)
    (local $div i32) (local $started i32)
    (local.set $div (i32.const 100000000))
    (loop $digits
      (if (i32.or (local.get $started)
                  (i32.or (i32.ge_u (local.get $v) (local.get $div))
                          (i32.eq (local.get $div) (i32.const 1))))
        (then
          (i32.store8 (local.get $at)
            (i32.add (i32.const 48) (i32.div_u (local.get $v) (local.get $div))))
          (local.set $at (i32.add (local.get $at) (i32.const 1)))
          (local.set $started (i32.const 1))))
      (local.set $v (i32.rem_u (local.get $v) (local.get $div)))
      (local.set $div (i32.div_u (local.get $div) (i32.const 10)))
      (br_if $digits (local.get $div)))
    (local.get $at))

  ;; Prints the greeting and "squares: 1 4 9 ... n*n"; returns the host's checksum of
  ;; the squares line.
  (func (export "run") (param $n i32) (result i32)
    (local $i i32) (local $at i32)
    (call $print (i32.const 0) (i32.const 45))
    (local.set $at (i32.const 56))
    (local.set $i (i32.const 1))
    (block $done
      (loop $each
        (br_if $done (i32.gt_u (local.get $i) (local.get $n)))
        (i32.store8 (local.get $at) (i32.const 32))
        (local.set $at
          (call $itoa (i32.mul (local.get $i) (local.get $i))
                      (i32.add (local.get $at) (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (i32.store8 (local.get $at) (i32.const 10))
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    (call $print (i32.const 48) (i32.sub (local.get $at) (i32.const 48)))
    (call $checksum (i32.const 48) (i32.sub (local.get $at) (i32.const 48))))
)
