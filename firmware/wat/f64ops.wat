;; One loop per operation that the Cortex-M4 has no instruction for (f64 arithmetic,
;; square root, rounding, conversions; 64-bit division), run by the `f64ops` image: a run
;; with n = 1001 minus one with n = 1 gives the Cortex-M4 instructions of 1,000 iterations
;; (scripts/qemu.sh). Each loop also does what `nop` does: a `br_if` on a counter. The
;; results are checked against the host CLI's. n must be at least 1.
(module
  (func (export "add") (param $n i32) (result f64) (local $x f64)
    (local.set $x (f64.const 1.5))
    (loop $l
      (local.set $x (f64.add (local.get $x) (f64.const 1.0000001)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $x))
  (func (export "mul") (param $n i32) (result f64) (local $x f64)
    (local.set $x (f64.const 1.5))
    (loop $l
      (local.set $x (f64.mul (local.get $x) (f64.const 1.0000001)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $x))
  (func (export "div") (param $n i32) (result f64) (local $x f64)
    (local.set $x (f64.const 1.5e300))
    (loop $l
      (local.set $x (f64.div (local.get $x) (f64.const 1.0000001)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $x))
  (func (export "sqrt") (param $n i32) (result f64) (local $x f64)
    (local.set $x (f64.const 0))
    (loop $l
      (local.set $x (f64.add (local.get $x) (f64.sqrt (f64.convert_i32_u (local.get $n)))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $x))
  (func (export "conv") (param $n i32) (result f64) (local $x f64)
    (loop $l
      (local.set $x (f64.convert_i32_s (local.get $n)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $x))
  (func (export "cmp") (param $n i32) (result f64) (local $x f64) (local $c i32)
    (local.set $x (f64.const 1.5))
    (loop $l
      (local.set $c (i32.add (local.get $c) (f64.lt (local.get $x) (f64.const 2.5))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f64.convert_i32_s (local.get $c)))
  (func (export "floor") (param $n i32) (result f64) (local $x f64)
    (local.set $x (f64.const 1.25))
    (loop $l
      (local.set $x (f64.floor (f64.add (local.get $x) (f64.const 1.25))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $x))
  (func (export "trunc") (param $n i32) (result f64) (local $x f64) (local $c i32)
    (local.set $x (f64.const 12345.75))
    (loop $l
      (local.set $c (i32.add (local.get $c) (i32.trunc_f64_s (local.get $x))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f64.convert_i32_s (local.get $c)))
  (func (export "promote") (param $n i32) (result f64) (local $x f64)
    (loop $l
      (local.set $x (f64.promote_f32 (f32.demote_f64 (local.get $x))))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $x))
  (func (export "i64div") (param $n i32) (result f64) (local $c i64)
    (local.set $c (i64.const 0x7fffffffffff))
    (loop $l
      (local.set $c (i64.add (i64.div_u (local.get $c) (i64.const 12345678901)) (i64.const 0x7fffffffffff)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f64.convert_i64_s (local.get $c)))
  (func (export "i64div10") (param $n i32) (result f64) (local $c i64)
    (local.set $c (i64.const 0x7fffffffffff))
    (loop $l
      (local.set $c (i64.add (i64.div_u (local.get $c) (i64.const 10)) (i64.const 0x7fffffffffffff)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f64.convert_i64_s (local.get $c)))
  (func (export "i64div17") (param $n i32) (result f64) (local $c i64)
    (local.set $c (i64.const 0x3fffffffffffffff))
    (loop $l
      (local.set $c (i64.add (i64.div_u (local.get $c) (i64.const 100003)) (i64.const 0x3fffffffffffffff)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (f64.convert_i64_s (local.get $c)))
  (func (export "nop") (param $n i32) (result f64) (local $x f64)
    (loop $l
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $x))
)
