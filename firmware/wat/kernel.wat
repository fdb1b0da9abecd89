;; The compute kernel: deep recursion, loops over linear memory, integer and float work.
;; Every export is checked against values computed independently (see src/bin/programs.rs).
;; 16 KiB of memory in 1-byte pages (the custom-page-sizes proposal): a microcontroller need
;; not give a whole 64 KiB page to a program that uses a few KiB.
(module
  (memory (export "memory") 16384 16384 (pagesize 1))

  ;; Doubly recursive Fibonacci: many calls, shallow depth.
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  ;; Non-tail recursion n deep: 1 + 2 + ... + n.
  (func $sum_down (export "sum_down") (param $n i32) (result i64)
    (if (result i64) (i32.eqz (local.get $n))
      (then (i64.const 0))
      (else (i64.add (i64.extend_i32_u (local.get $n))
                     (call $sum_down (i32.sub (local.get $n) (i32.const 1)))))))

  ;; Ackermann's function: deep and irregular recursion.
  (func $ack (export "ack") (param $m i32) (param $n i32) (result i32)
    (if (i32.eqz (local.get $m))
      (then (return (i32.add (local.get $n) (i32.const 1)))))
    (if (i32.eqz (local.get $n))
      (then (return (call $ack (i32.sub (local.get $m) (i32.const 1)) (i32.const 1)))))
    (call $ack (i32.sub (local.get $m) (i32.const 1))
               (call $ack (local.get $m) (i32.sub (local.get $n) (i32.const 1)))))

  ;; Primes below n (n <= 16384), sieve of Eratosthenes in linear memory.
  (func (export "sieve") (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $count i32)
    (memory.fill (i32.const 0) (i32.const 1) (local.get $n))
    (local.set $i (i32.const 2))
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (i32.mul (local.get $i) (local.get $i)) (local.get $n)))
        (if (i32.load8_u (local.get $i))
          (then
            (local.set $j (i32.mul (local.get $i) (local.get $i)))
            (block $end
              (loop $inner
                (br_if $end (i32.ge_u (local.get $j) (local.get $n)))
                (i32.store8 (local.get $j) (i32.const 0))
                (local.set $j (i32.add (local.get $j) (local.get $i)))
                (br $inner)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.set $i (i32.const 2))
    (block $done
      (loop $count
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $count (i32.add (local.get $count) (i32.load8_u (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $count)))
    (local.get $count))

  ;; Longest Collatz chain for starts below n: (start << 32) | steps.
  (func (export "collatz") (param $n i32) (result i64)
    (local $start i32) (local $x i64) (local $steps i32) (local $best i32) (local $best_start i32)
    (local.set $start (i32.const 1))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $start) (local.get $n)))
        (local.set $x (i64.extend_i32_u (local.get $start)))
        (local.set $steps (i32.const 0))
        (block $one
          (loop $step
            (br_if $one (i64.eq (local.get $x) (i64.const 1)))
            (local.set $x
              (if (result i64) (i32.wrap_i64 (i64.and (local.get $x) (i64.const 1)))
                (then (i64.add (i64.mul (local.get $x) (i64.const 3)) (i64.const 1)))
                (else (i64.shr_u (local.get $x) (i64.const 1)))))
            (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
            (br $step)))
        (if (i32.gt_u (local.get $steps) (local.get $best))
          (then (local.set $best (local.get $steps))
                (local.set $best_start (local.get $start))))
        (local.set $start (i32.add (local.get $start) (i32.const 1)))
        (br $each)))
    (i64.or (i64.shl (i64.extend_i32_u (local.get $best_start)) (i64.const 32))
            (i64.extend_i32_u (local.get $best))))

  ;; CRC-32 (IEEE, bitwise) of `len` bytes filled with (i * 7 + 3) & 0xff.
  (func (export "crc32") (param $len i32) (result i32)
    (local $i i32) (local $crc i32) (local $k i32)
    (block $done
      (loop $fill
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (i32.store8 (local.get $i) (i32.add (i32.mul (local.get $i) (i32.const 7)) (i32.const 3)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $fill)))
    (local.set $crc (i32.const -1))
    (local.set $i (i32.const 0))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $crc (i32.xor (local.get $crc) (i32.load8_u (local.get $i))))
        (local.set $k (i32.const 8))
        (loop $bit
          (local.set $crc
            (i32.xor (i32.shr_u (local.get $crc) (i32.const 1))
                     (i32.and (i32.const 0xEDB88320)
                              (i32.sub (i32.const 0) (i32.and (local.get $crc) (i32.const 1))))))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $bit (local.get $k)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i32.xor (local.get $crc) (i32.const -1)))

  ;; Sum of 1 / k^2 for k = 1..n, in f64 (soft-float on the Cortex-M4).
  (func (export "fsum") (param $n i32) (result f64)
    (local $k i32) (local $s f64) (local $x f64)
    (local.set $k (i32.const 1))
    (block $done
      (loop $each
        (br_if $done (i32.gt_u (local.get $k) (local.get $n)))
        (local.set $x (f64.convert_i32_u (local.get $k)))
        (local.set $s (f64.add (local.get $s) (f64.div (f64.const 1) (f64.mul (local.get $x) (local.get $x)))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $each)))
    (local.get $s))

  ;; Sum of (i * 0.5 + 1.25) * (i * 0.25 - 3) for i = 0..n-1, in f32 (the FPU).
  (func (export "fdot") (param $n i32) (result f32)
    (local $i i32) (local $s f32) (local $x f32)
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $x (f32.convert_i32_u (local.get $i)))
        (local.set $s
          (f32.add (local.get $s)
            (f32.mul (f32.add (f32.mul (local.get $x) (f32.const 0.5)) (f32.const 1.25))
                     (f32.sub (f32.mul (local.get $x) (f32.const 0.25)) (f32.const 3)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.get $s))

  ;; A state machine through br_table: for i in 0..n, one of five updates of acc.
  (func (export "switchy") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (local.set $acc (i32.const 1))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (block $next
          (block $c4
            (block $c3
              (block $c2
                (block $c1
                  (block $c0
                    (br_table $c0 $c1 $c2 $c3 $c4 (i32.rem_u (local.get $i) (i32.const 5))))
                  (local.set $acc (i32.add (local.get $acc) (local.get $i)))
                  (br $next))
                (local.set $acc (i32.mul (local.get $acc) (i32.const 3)))
                (br $next))
              (local.set $acc (i32.xor (local.get $acc) (local.get $i)))
              (br $next))
            (local.set $acc (i32.sub (local.get $acc) (i32.const 7)))
            (br $next))
          (local.set $acc (i32.rotl (local.get $acc) (i32.const 1))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.get $acc))
)
