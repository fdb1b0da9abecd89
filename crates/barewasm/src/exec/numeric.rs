//! Numeric instruction semantics (WebAssembly 2.0, section 4.3 "Numerics").
//!
//! One small pure function per numeric instruction, named after it: `i32.div_s` is
//! [`i32_div_s`], `f64.promote_f32` is [`f64_promote_f32`]. Every function has exactly the
//! instruction's type, with wasm `i32`/`i64`/`f32`/`f64` as Rust `i32`/`i64`/`f32`/`f64`, so
//! the interpreter needs one bit-cast per value type and none per instruction:
//!
//! - WebAssembly integers have no signedness; `_u` instructions reinterpret their operands
//!   as unsigned inside the function, and `_u` truncations return the unsigned result's bits.
//! - Comparisons and `eqz` return the `i32` 0 or 1 the instruction pushes.
//! - Instructions that can trap return `Result<_, ErrorKind>` with the spec's trap:
//!   [`ErrorKind::IntegerDivideByZero`], [`ErrorKind::IntegerOverflow`] or
//!   [`ErrorKind::InvalidConversion`].
//!
//! # NaN policy
//!
//! When a float instruction produces a NaN the spec (4.3.3, "NaN propagation") lets it be any
//! element of a set: a *canonical* NaN (quiet bit set, rest of the payload zero, either sign)
//! if every NaN operand is canonical or there is none, otherwise any *arithmetic* NaN (quiet
//! bit set). This module stays inside that set as follows:
//!
//! - `add`, `sub`, `mul`, `div` are Rust's operators, and for f64 where there is no f64
//!   hardware, the private `exec::softfloat` module's. Rust's float semantics (RFC 3514)
//!   make a NaN result either the preferred NaN (canonical) or an input NaN with its quiet
//!   bit set, which is within the spec's set; the soft-float routines give the same.
//! - `ceil`, `floor`, `trunc`, `nearest`, `sqrt`, `min`, `max`, `demote` and `promote`
//!   handle a NaN operand explicitly: the result is that NaN (for `min`/`max`, the first
//!   NaN operand) with its quiet bit set. A canonical NaN thus stays canonical and a
//!   signalling one becomes arithmetic, the same on every target.
//! - `abs`, `neg`, `copysign` and the reinterpretations only touch bits; the spec defines
//!   them that way, so NaN payloads (signalling ones too) pass through untouched.
//!
//! Signalling NaNs survive being passed as `f32`/`f64` on every target this crate is for;
//! only x87-based targets (32-bit x86 without SSE) might quiet them in transit.

// Built without the `float` feature the interpreter calls only the integer half; the float
// functions still compile (and their unit tests run) but are not linked.
#![allow(dead_code)]

use core::cmp::Ordering;

use super::softfloat;
use crate::error::ErrorKind;

// ---------------------------------------------------------------------------------------
// i32
// ---------------------------------------------------------------------------------------

/// `i32.eqz`
#[inline]
pub fn i32_eqz(a: i32) -> i32 {
    (a == 0) as i32
}

/// `i32.eq`
#[inline]
pub fn i32_eq(a: i32, b: i32) -> i32 {
    (a == b) as i32
}

/// `i32.ne`
#[inline]
pub fn i32_ne(a: i32, b: i32) -> i32 {
    (a != b) as i32
}

/// `i32.lt_s`
#[inline]
pub fn i32_lt_s(a: i32, b: i32) -> i32 {
    (a < b) as i32
}

/// `i32.lt_u`
#[inline]
pub fn i32_lt_u(a: i32, b: i32) -> i32 {
    ((a as u32) < (b as u32)) as i32
}

/// `i32.gt_s`
#[inline]
pub fn i32_gt_s(a: i32, b: i32) -> i32 {
    (a > b) as i32
}

/// `i32.gt_u`
#[inline]
pub fn i32_gt_u(a: i32, b: i32) -> i32 {
    ((a as u32) > (b as u32)) as i32
}

/// `i32.le_s`
#[inline]
pub fn i32_le_s(a: i32, b: i32) -> i32 {
    (a <= b) as i32
}

/// `i32.le_u`
#[inline]
pub fn i32_le_u(a: i32, b: i32) -> i32 {
    ((a as u32) <= (b as u32)) as i32
}

/// `i32.ge_s`
#[inline]
pub fn i32_ge_s(a: i32, b: i32) -> i32 {
    (a >= b) as i32
}

/// `i32.ge_u`
#[inline]
pub fn i32_ge_u(a: i32, b: i32) -> i32 {
    ((a as u32) >= (b as u32)) as i32
}

/// `i32.clz` (32 for zero)
#[inline]
pub fn i32_clz(a: i32) -> i32 {
    a.leading_zeros() as i32
}

/// `i32.ctz` (32 for zero)
#[inline]
pub fn i32_ctz(a: i32) -> i32 {
    a.trailing_zeros() as i32
}

/// `i32.popcnt`
#[inline]
pub fn i32_popcnt(a: i32) -> i32 {
    a.count_ones() as i32
}

/// `i32.add` (wrapping)
#[inline]
pub fn i32_add(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}

/// `i32.sub` (wrapping)
#[inline]
pub fn i32_sub(a: i32, b: i32) -> i32 {
    a.wrapping_sub(b)
}

/// `i32.mul` (wrapping)
#[inline]
pub fn i32_mul(a: i32, b: i32) -> i32 {
    a.wrapping_mul(b)
}

/// `i32.div_s`: traps on a zero divisor and on `i32::MIN / -1`, whose quotient 2^31 does
/// not fit.
#[inline]
pub fn i32_div_s(a: i32, b: i32) -> Result<i32, ErrorKind> {
    if b == 0 {
        Err(ErrorKind::IntegerDivideByZero)
    } else if a == i32::MIN && b == -1 {
        Err(ErrorKind::IntegerOverflow)
    } else {
        Ok(a.wrapping_div(b))
    }
}

/// `i32.div_u`: traps on a zero divisor.
#[inline]
pub fn i32_div_u(a: i32, b: i32) -> Result<i32, ErrorKind> {
    match (a as u32).checked_div(b as u32) {
        Some(q) => Ok(q as i32),
        None => Err(ErrorKind::IntegerDivideByZero),
    }
}

/// `i32.rem_s`: traps on a zero divisor only; `rem_s(i32::MIN, -1)` is 0, since the
/// remainder is representable even though the quotient is not.
#[inline]
pub fn i32_rem_s(a: i32, b: i32) -> Result<i32, ErrorKind> {
    if b == 0 {
        Err(ErrorKind::IntegerDivideByZero)
    } else {
        Ok(a.wrapping_rem(b))
    }
}

/// `i32.rem_u`: traps on a zero divisor.
#[inline]
pub fn i32_rem_u(a: i32, b: i32) -> Result<i32, ErrorKind> {
    match (a as u32).checked_rem(b as u32) {
        Some(r) => Ok(r as i32),
        None => Err(ErrorKind::IntegerDivideByZero),
    }
}

/// `i32.and`
#[inline]
pub fn i32_and(a: i32, b: i32) -> i32 {
    a & b
}

/// `i32.or`
#[inline]
pub fn i32_or(a: i32, b: i32) -> i32 {
    a | b
}

/// `i32.xor`
#[inline]
pub fn i32_xor(a: i32, b: i32) -> i32 {
    a ^ b
}

/// `i32.shl`: the count is taken modulo 32 (`wrapping_shl` masks it).
#[inline]
pub fn i32_shl(a: i32, b: i32) -> i32 {
    a.wrapping_shl(b as u32)
}

/// `i32.shr_s`: arithmetic shift, count modulo 32.
#[inline]
pub fn i32_shr_s(a: i32, b: i32) -> i32 {
    a.wrapping_shr(b as u32)
}

/// `i32.shr_u`: logical shift, count modulo 32.
#[inline]
pub fn i32_shr_u(a: i32, b: i32) -> i32 {
    (a as u32).wrapping_shr(b as u32) as i32
}

/// `i32.rotl`: count modulo 32.
#[inline]
pub fn i32_rotl(a: i32, b: i32) -> i32 {
    a.rotate_left(b as u32 % 32)
}

/// `i32.rotr`: count modulo 32.
#[inline]
pub fn i32_rotr(a: i32, b: i32) -> i32 {
    a.rotate_right(b as u32 % 32)
}

/// `i32.extend8_s`: sign-extends the low 8 bits.
#[inline]
pub fn i32_extend8_s(a: i32) -> i32 {
    a as i8 as i32
}

/// `i32.extend16_s`: sign-extends the low 16 bits.
#[inline]
pub fn i32_extend16_s(a: i32) -> i32 {
    a as i16 as i32
}

// ---------------------------------------------------------------------------------------
// i64
// ---------------------------------------------------------------------------------------

/// `i64.eqz`
#[inline]
pub fn i64_eqz(a: i64) -> i32 {
    (a == 0) as i32
}

/// `i64.eq`
#[inline]
pub fn i64_eq(a: i64, b: i64) -> i32 {
    (a == b) as i32
}

/// `i64.ne`
#[inline]
pub fn i64_ne(a: i64, b: i64) -> i32 {
    (a != b) as i32
}

/// `i64.lt_s`
#[inline]
pub fn i64_lt_s(a: i64, b: i64) -> i32 {
    (a < b) as i32
}

/// `i64.lt_u`
#[inline]
pub fn i64_lt_u(a: i64, b: i64) -> i32 {
    ((a as u64) < (b as u64)) as i32
}

/// `i64.gt_s`
#[inline]
pub fn i64_gt_s(a: i64, b: i64) -> i32 {
    (a > b) as i32
}

/// `i64.gt_u`
#[inline]
pub fn i64_gt_u(a: i64, b: i64) -> i32 {
    ((a as u64) > (b as u64)) as i32
}

/// `i64.le_s`
#[inline]
pub fn i64_le_s(a: i64, b: i64) -> i32 {
    (a <= b) as i32
}

/// `i64.le_u`
#[inline]
pub fn i64_le_u(a: i64, b: i64) -> i32 {
    ((a as u64) <= (b as u64)) as i32
}

/// `i64.ge_s`
#[inline]
pub fn i64_ge_s(a: i64, b: i64) -> i32 {
    (a >= b) as i32
}

/// `i64.ge_u`
#[inline]
pub fn i64_ge_u(a: i64, b: i64) -> i32 {
    ((a as u64) >= (b as u64)) as i32
}

/// `i64.clz` (64 for zero)
#[inline]
pub fn i64_clz(a: i64) -> i64 {
    a.leading_zeros() as i64
}

/// `i64.ctz` (64 for zero)
#[inline]
pub fn i64_ctz(a: i64) -> i64 {
    a.trailing_zeros() as i64
}

/// `i64.popcnt`
#[inline]
pub fn i64_popcnt(a: i64) -> i64 {
    a.count_ones() as i64
}

/// `i64.add` (wrapping)
#[inline]
pub fn i64_add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

/// `i64.sub` (wrapping)
#[inline]
pub fn i64_sub(a: i64, b: i64) -> i64 {
    a.wrapping_sub(b)
}

/// `i64.mul` (wrapping)
#[inline]
pub fn i64_mul(a: i64, b: i64) -> i64 {
    a.wrapping_mul(b)
}

/// `i64.div_s`: traps on a zero divisor and on `i64::MIN / -1`.
#[inline]
pub fn i64_div_s(a: i64, b: i64) -> Result<i64, ErrorKind> {
    if b == 0 {
        Err(ErrorKind::IntegerDivideByZero)
    } else if a == i64::MIN && b == -1 {
        Err(ErrorKind::IntegerOverflow)
    } else {
        let (q, _) = div_rem_u64(a.unsigned_abs(), b.unsigned_abs());
        // Wrapping: |MIN| / 1 is 2^63, which negates back to MIN.
        Ok(if (a < 0) != (b < 0) {
            (q as i64).wrapping_neg()
        } else {
            q as i64
        })
    }
}

/// `i64.div_u`: traps on a zero divisor.
#[inline]
pub fn i64_div_u(a: i64, b: i64) -> Result<i64, ErrorKind> {
    if b == 0 {
        return Err(ErrorKind::IntegerDivideByZero);
    }
    Ok(div_rem_u64(a as u64, b as u64).0 as i64)
}

/// `i64.rem_s`: traps on a zero divisor only; `rem_s(i64::MIN, -1)` is 0. The remainder
/// has the dividend's sign.
#[inline]
pub fn i64_rem_s(a: i64, b: i64) -> Result<i64, ErrorKind> {
    if b == 0 {
        return Err(ErrorKind::IntegerDivideByZero);
    }
    let (_, r) = div_rem_u64(a.unsigned_abs(), b.unsigned_abs());
    Ok(if a < 0 {
        (r as i64).wrapping_neg()
    } else {
        r as i64
    })
}

/// `i64.rem_u`: traps on a zero divisor.
#[inline]
pub fn i64_rem_u(a: i64, b: i64) -> Result<i64, ErrorKind> {
    if b == 0 {
        return Err(ErrorKind::IntegerDivideByZero);
    }
    Ok(div_rem_u64(a as u64, b as u64).1 as i64)
}

/// Quotient and remainder of `n / d`, `d` not zero. A 64-bit target divides natively.
/// A 32-bit one has at most a 32-bit divider, and Rust's `/` on `u64` links
/// compiler-builtins' 64-bit division there: 1.2 KB of Cortex-M4 flash (about 2% of the
/// runtime) for four instructions that real code rarely runs with wide operands. There
/// operands that fit 32 bits use the hardware divider, and the rest go through
/// [`div_rem_u64_soft`].
#[inline]
fn div_rem_u64(n: u64, d: u64) -> (u64, u64) {
    if cfg!(target_pointer_width = "64") {
        (n / d, n % d)
    } else {
        div_rem_u64_soft(n, d)
    }
}

/// `n / d` and `n % d` (`d` not zero) with 32-bit divisions: the hardware's when both
/// fit, three steps of it for a divisor below 2^16, else quotient estimates from the
/// operands' top bits.
#[inline(never)]
fn div_rem_u64_soft(n: u64, d: u64) -> (u64, u64) {
    if n < d || d == 0 {
        return (0, n); // (a zero d is the caller's error; this just ends)
    }
    // (A `NonZeroU32` divisor needs no division-by-zero check: d is not zero.)
    let short = core::num::NonZeroU32::new(d as u32).filter(|_| d >> 32 == 0);
    if let (Ok(n), Some(d)) = (u32::try_from(n), short) {
        return ((n / d) as u64, (n % d) as u64);
    }
    if let Some(d) = short.filter(|d| d.get() >> 16 == 0) {
        // A divisor below 2^16 (10, 1000, ...: formatting, unit conversions): schoolbook
        // division in three 32-bit steps, 32, 16 and 16 bits of n, each remainder below d
        // and so with room for the next 16 bits. A wasm loop dividing 55-bit values by 10
        // runs in 0.93x the Cortex-M4 instructions it took with compiler-builtins.
        let (high, low) = ((n >> 32) as u32, n as u32);
        let (q1, r) = (high / d, high % d);
        let mid = r << 16 | low >> 16;
        let (q2, r) = (mid / d, mid % d);
        let low = r << 16 | (low & 0xffff);
        let (q3, r) = (low / d, low % d);
        return ((q1 as u64) << 32 | (q2 as u64) << 16 | q3 as u64, r as u64);
    }
    // d >= 2^16. While r >= d, take off t * d with t an estimate of r / d that is never
    // too large: r's top 32 bits over d's top 16 plus one, scaled by the bits r has beyond
    // d. The estimate is within about 2^-14 of the quotient, so each step leaves a 14-bit
    // smaller one; at most four steps and a final few. In a wasm loop on the M4, a 47-bit
    // value over a 34-bit divisor takes 0.78x compiler-builtins' instructions (1.3x when
    // this went bit by bit), 62 bits over 17 0.96x.
    let k = d.leading_zeros(); // 47 at most
    let top = ((d << k) >> 48) as u32 + 1; // in (2^15, 2^16]: never zero
    let (mut q, mut r) = (0u64, n);
    while r >= d {
        let l = r.leading_zeros(); // k at most: r >= d
        let head = ((r << l) >> 32) as u32; // in [2^31, 2^32)
        let estimate = (head / top) as u64; // in [2^15, 2^17)
        let beyond = k - l;
        let t = if beyond >= 16 {
            estimate << (beyond - 16)
        } else {
            (estimate >> (16 - beyond)).max(1)
        };
        q += t;
        r -= t * d; // t * d < r: head / top is below r / d once scaled
    }
    (q, r)
}

/// `i64.and`
#[inline]
pub fn i64_and(a: i64, b: i64) -> i64 {
    a & b
}

/// `i64.or`
#[inline]
pub fn i64_or(a: i64, b: i64) -> i64 {
    a | b
}

/// `i64.xor`
#[inline]
pub fn i64_xor(a: i64, b: i64) -> i64 {
    a ^ b
}

// For the i64 shifts and rotates, `b as u32` keeps the low 32 bits of the count, which
// preserves the count modulo 64.

/// `i64.shl`: the count is taken modulo 64 (`wrapping_shl` masks it).
#[inline]
pub fn i64_shl(a: i64, b: i64) -> i64 {
    a.wrapping_shl(b as u32)
}

/// `i64.shr_s`: arithmetic shift, count modulo 64.
#[inline]
pub fn i64_shr_s(a: i64, b: i64) -> i64 {
    a.wrapping_shr(b as u32)
}

/// `i64.shr_u`: logical shift, count modulo 64.
#[inline]
pub fn i64_shr_u(a: i64, b: i64) -> i64 {
    (a as u64).wrapping_shr(b as u32) as i64
}

/// `i64.rotl`: count modulo 64.
#[inline]
pub fn i64_rotl(a: i64, b: i64) -> i64 {
    a.rotate_left(b as u32 % 64)
}

/// `i64.rotr`: count modulo 64.
#[inline]
pub fn i64_rotr(a: i64, b: i64) -> i64 {
    a.rotate_right(b as u32 % 64)
}

/// `i64.extend8_s`: sign-extends the low 8 bits.
#[inline]
pub fn i64_extend8_s(a: i64) -> i64 {
    a as i8 as i64
}

/// `i64.extend16_s`: sign-extends the low 16 bits.
#[inline]
pub fn i64_extend16_s(a: i64) -> i64 {
    a as i16 as i64
}

/// `i64.extend32_s`: sign-extends the low 32 bits.
#[inline]
pub fn i64_extend32_s(a: i64) -> i64 {
    a as i32 as i64
}

// ---------------------------------------------------------------------------------------
// f32
// ---------------------------------------------------------------------------------------

const F32_SIGN: u32 = 0x8000_0000;
const F32_QUIET: u32 = 0x0040_0000;

/// `nan` with its quiet bit set: canonical stays canonical, anything else becomes arithmetic.
#[inline]
fn quiet_f32(nan: f32) -> f32 {
    f32::from_bits(nan.to_bits() | F32_QUIET)
}

/// `f32.eq` (0 if either operand is NaN)
#[inline]
pub fn f32_eq(a: f32, b: f32) -> i32 {
    (a == b) as i32
}

/// `f32.ne` (1 if either operand is NaN)
#[inline]
pub fn f32_ne(a: f32, b: f32) -> i32 {
    (a != b) as i32
}

/// `f32.lt`
#[inline]
pub fn f32_lt(a: f32, b: f32) -> i32 {
    (a < b) as i32
}

/// `f32.gt`
#[inline]
pub fn f32_gt(a: f32, b: f32) -> i32 {
    (a > b) as i32
}

/// `f32.le`
#[inline]
pub fn f32_le(a: f32, b: f32) -> i32 {
    (a <= b) as i32
}

/// `f32.ge`
#[inline]
pub fn f32_ge(a: f32, b: f32) -> i32 {
    (a >= b) as i32
}

/// `f32.abs`: clears the sign bit, NaN payload untouched.
#[inline]
pub fn f32_abs(a: f32) -> f32 {
    f32::from_bits(a.to_bits() & !F32_SIGN)
}

/// `f32.neg`: flips the sign bit, NaN payload untouched.
#[inline]
pub fn f32_neg(a: f32) -> f32 {
    f32::from_bits(a.to_bits() ^ F32_SIGN)
}

/// `f32.copysign`: `a`'s magnitude with `b`'s sign bit, NaN payloads untouched.
#[inline]
pub fn f32_copysign(a: f32, b: f32) -> f32 {
    f32::from_bits((a.to_bits() & !F32_SIGN) | (b.to_bits() & F32_SIGN))
}

/// `f32.ceil`
#[inline]
pub fn f32_ceil(a: f32) -> f32 {
    if a.is_nan() {
        quiet_f32(a)
    } else {
        softfloat::narrow(round_f64(softfloat::widen(a), Rounding::Up))
    }
}

/// `f32.floor`
#[inline]
pub fn f32_floor(a: f32) -> f32 {
    if a.is_nan() {
        quiet_f32(a)
    } else {
        softfloat::narrow(round_f64(softfloat::widen(a), Rounding::Down))
    }
}

/// `f32.trunc`
#[inline]
pub fn f32_trunc(a: f32) -> f32 {
    if a.is_nan() {
        quiet_f32(a)
    } else {
        softfloat::narrow(round_f64(softfloat::widen(a), Rounding::TowardZero))
    }
}

/// `f32.nearest`: round half to even, keeping the sign of zero results (`-0.5` → `-0.0`).
#[inline]
pub fn f32_nearest(a: f32) -> f32 {
    if a.is_nan() {
        quiet_f32(a)
    } else {
        softfloat::narrow(round_f64(softfloat::widen(a), Rounding::HalfEven))
    }
}

/// `f32.sqrt`: `sqrt(-0.0)` is `-0.0`; negative operands give a canonical NaN.
///
/// Computed as [`f64_sqrt`] of the widened operand, rounded once more to f32: the two
/// roundings give the correctly rounded f32 result because f64 carries more than twice
/// f32's 24 significant bits plus two (Figueroa, "When is double rounding innocuous?",
/// SIGNUM Newsletter 30(3), 1995). A negative operand's canonical f64 NaN narrows to the
/// canonical f32 one.
#[inline]
pub fn f32_sqrt(a: f32) -> f32 {
    if a.is_nan() {
        quiet_f32(a)
    } else {
        softfloat::narrow(f64_sqrt(softfloat::widen(a)))
    }
}

/// `f32.add` (a NaN result is an arithmetic NaN, see the module docs)
#[inline]
pub fn f32_add(a: f32, b: f32) -> f32 {
    a + b
}

/// `f32.sub` (a NaN result is an arithmetic NaN, see the module docs)
#[inline]
pub fn f32_sub(a: f32, b: f32) -> f32 {
    a - b
}

/// `f32.mul` (a NaN result is an arithmetic NaN, see the module docs)
#[inline]
pub fn f32_mul(a: f32, b: f32) -> f32 {
    a * b
}

/// `f32.div` (a NaN result is an arithmetic NaN, see the module docs)
#[inline]
pub fn f32_div(a: f32, b: f32) -> f32 {
    a / b
}

/// `f32.min`: NaN if either operand is NaN, and `-0.0` is less than `+0.0`
/// (unlike `f32::min`, which returns the other operand for a NaN).
#[inline]
pub fn f32_min(a: f32, b: f32) -> f32 {
    if a.is_nan() {
        quiet_f32(a)
    } else if b.is_nan() {
        quiet_f32(b)
    } else if a < b {
        a
    } else if b < a {
        b
    } else {
        // Equal: the bits differ only for +0.0 vs -0.0, and OR-ing them picks -0.0.
        f32::from_bits(a.to_bits() | b.to_bits())
    }
}

/// `f32.max`: NaN if either operand is NaN, and `+0.0` is greater than `-0.0`.
#[inline]
pub fn f32_max(a: f32, b: f32) -> f32 {
    if a.is_nan() {
        quiet_f32(a)
    } else if b.is_nan() {
        quiet_f32(b)
    } else if a > b {
        a
    } else if b > a {
        b
    } else {
        // Equal: AND-ing the bits of +0.0 and -0.0 picks +0.0.
        f32::from_bits(a.to_bits() & b.to_bits())
    }
}

// ---------------------------------------------------------------------------------------
// f64 (soft-float on Cortex-M4; same semantics)
// ---------------------------------------------------------------------------------------

const F64_SIGN: u64 = 0x8000_0000_0000_0000;
const F64_QUIET: u64 = 0x0008_0000_0000_0000;
/// The positive canonical NaN.
const CANONICAL_F64: u64 = 0x7ff8_0000_0000_0000;
const F64_FRACTION: u64 = 0x000f_ffff_ffff_ffff;

/// `nan` with its quiet bit set: canonical stays canonical, anything else becomes arithmetic.
#[inline]
fn quiet_f64(nan: f64) -> f64 {
    f64::from_bits(nan.to_bits() | F64_QUIET)
}

/// Whether `bits` are a NaN's: all exponent bits set and a fraction that is not zero.
#[inline]
fn f64_bits_nan(bits: u64) -> bool {
    bits << 1 > 0xffe0_0000_0000_0000
}

/// How `a` compares with `b` by value: `None` if either is a NaN, and `-0.0` equals
/// `0.0`. Integer operations on the bits: on a target without f64 hardware (the
/// Cortex-M4), Rust's `<` and `==` on f64 call one compiler-builtins routine per
/// predicate, and the six of them, the saturating casts' range checks and the NaN tests
/// together came to 0.6 KB of flash.
#[inline(never)]
fn f64_order(a: f64, b: f64) -> Option<Ordering> {
    let (x, y) = (a.to_bits(), b.to_bits());
    if f64_bits_nan(x) || f64_bits_nan(y) {
        return None;
    }
    if (x | y) << 1 == 0 {
        return Some(Ordering::Equal); // the two zeros
    }
    // Sign and magnitude to two's complement: negative values' magnitude bits flip, so
    // that larger magnitudes come out smaller.
    let key = |v: u64| (v ^ ((v as i64 >> 63) as u64 >> 1)) as i64;
    Some(key(x).cmp(&key(y)))
}

/// `f64.eq` (0 if either operand is NaN)
#[inline]
pub fn f64_eq(a: f64, b: f64) -> i32 {
    matches!(f64_order(a, b), Some(Ordering::Equal)) as i32
}

/// `f64.ne` (1 if either operand is NaN)
#[inline]
pub fn f64_ne(a: f64, b: f64) -> i32 {
    !matches!(f64_order(a, b), Some(Ordering::Equal)) as i32
}

/// `f64.lt`
#[inline]
pub fn f64_lt(a: f64, b: f64) -> i32 {
    matches!(f64_order(a, b), Some(Ordering::Less)) as i32
}

/// `f64.gt`
#[inline]
pub fn f64_gt(a: f64, b: f64) -> i32 {
    matches!(f64_order(a, b), Some(Ordering::Greater)) as i32
}

/// `f64.le`
#[inline]
pub fn f64_le(a: f64, b: f64) -> i32 {
    matches!(f64_order(a, b), Some(Ordering::Less | Ordering::Equal)) as i32
}

/// `f64.ge`
#[inline]
pub fn f64_ge(a: f64, b: f64) -> i32 {
    matches!(f64_order(a, b), Some(Ordering::Greater | Ordering::Equal)) as i32
}

/// `f64.abs`: clears the sign bit, NaN payload untouched.
#[inline]
pub fn f64_abs(a: f64) -> f64 {
    f64::from_bits(a.to_bits() & !F64_SIGN)
}

/// `f64.neg`: flips the sign bit, NaN payload untouched.
#[inline]
pub fn f64_neg(a: f64) -> f64 {
    f64::from_bits(a.to_bits() ^ F64_SIGN)
}

/// `f64.copysign`: `a`'s magnitude with `b`'s sign bit, NaN payloads untouched.
#[inline]
pub fn f64_copysign(a: f64, b: f64) -> f64 {
    f64::from_bits((a.to_bits() & !F64_SIGN) | (b.to_bits() & F64_SIGN))
}

/// `f64.ceil`
#[inline]
pub fn f64_ceil(a: f64) -> f64 {
    round_f64(a, Rounding::Up)
}

/// `f64.floor`
#[inline]
pub fn f64_floor(a: f64) -> f64 {
    round_f64(a, Rounding::Down)
}

/// `f64.trunc`
#[inline]
pub fn f64_trunc(a: f64) -> f64 {
    round_f64(a, Rounding::TowardZero)
}

/// `f64.nearest`: round half to even, keeping the sign of zero results (`-0.5` → `-0.0`).
#[inline]
pub fn f64_nearest(a: f64) -> f64 {
    round_f64(a, Rounding::HalfEven)
}

/// How [`round_f64`] picks an integer.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rounding {
    Up,
    Down,
    TowardZero,
    HalfEven,
}

/// `a` rounded to an integral value, the sign kept (so `-0.5` gives `-0.0` both up and to
/// nearest) and a NaN quieted. One integer routine on the bits for the four instructions
/// and both widths (an f32 widens to f64 and narrows back exactly). libm's versions were
/// a routine per instruction and width, and its `rint` adds, subtracts and compares,
/// soft-float calls on the Cortex-M4: this is 1.8 KB less flash there at "z".
#[inline(never)]
fn round_f64(a: f64, mode: Rounding) -> f64 {
    // Opaque bits: LLVM would turn the zero test below back into an f64 compare,
    // a soft-float call here.
    let bits = core::hint::black_box(a.to_bits());
    if f64_bits_nan(bits) {
        return quiet_f64(a);
    }
    let sign = bits & F64_SIGN;
    let biased = ((bits >> 52) & 0x7ff) as u32;
    if biased >= 1075 {
        return a; // integral already: |a| >= 2^52, or an infinity
    }
    // |a| = m * 2^-shift: the low `shift` bits of m are the fraction.
    let m = (bits & F64_FRACTION) | 1 << 52;
    let shift = 1075 - biased;
    let (int, frac, half) = if shift > 53 {
        // |a| < 0.5 (a zero or subnormal included): the integer part is 0, and the fraction
        // is below one half, so only its being non-zero matters.
        (0, (bits << 1 != 0) as u64, 2)
    } else {
        (m >> shift, m & ((1 << shift) - 1), 1 << (shift - 1))
    };
    let up = match mode {
        Rounding::TowardZero => false,
        Rounding::Up => sign == 0 && frac != 0,
        Rounding::Down => sign != 0 && frac != 0,
        Rounding::HalfEven => frac > half || (frac == half && int & 1 == 1),
    };
    let int = int + up as u64;
    if int == 0 {
        return f64::from_bits(sign);
    }
    // Back to a double: int < 2^53 has at most 53 bits, so the conversion is exact.
    let lz = int.leading_zeros(); // 11 or more
    let exponent = (1086 - lz) as u64; // 1023 + (63 - lz)
    f64::from_bits(sign | (exponent << 52) | ((int << (lz - 11)) & F64_FRACTION))
}

/// First guesses of the reciprocal square root: entry `j` is 2^16 / sqrt(X) for X in the
/// middle of [j/4, (j+1)/4), so within 6% (4 bits) anywhere in [1, 4). Indexed by a
/// 4-bit field, so that no index needs a check; the first four are never used.
const RSQRT_GUESS: [u16; 16] = {
    let mut t = [0u16; 16];
    let mut j = 4;
    while j < 16 {
        // 2^16 / sqrt((2j + 1) / 8) = sqrt(2^35 / (2j + 1)).
        t[j] = ((1u64 << 35) / (2 * j as u64 + 1)).isqrt() as u16;
        j += 1;
    }
    t
};

/// `f64.sqrt`: `sqrt(-0.0)` is `-0.0`; negative operands give a canonical NaN.
///
/// The M4's FPU has no f64 arithmetic, and stable Rust without `std` offers no safe way
/// to its f32 square root, so this is integer arithmetic (the method of many soft-float
/// libraries, e.g. musl's): Newton's iteration for the reciprocal square root from a
/// small table, three steps in 32-bit fixed point (4, 8, 16, then about 29 bits), a
/// square root from it, one Newton correction with 64-bit products, and the remainder,
/// computed exactly, moving the result to the exact integer square root. On the
/// Cortex-M4 a wasm loop of square roots ran 4x faster than with the digit recurrence
/// this replaced (one result bit per step) and a little faster than with libm's, for
/// 170 B more flash than the recurrence. [`f32_sqrt`] goes through it too.
#[inline(never)]
pub fn f64_sqrt(a: f64) -> f64 {
    // Opaque bits: LLVM would turn the zero test below back into an f64 compare,
    // a soft-float call here.
    let bits = core::hint::black_box(a.to_bits());
    if f64_bits_nan(bits) {
        return quiet_f64(a);
    }
    if bits << 1 == 0 || bits == f64::INFINITY.to_bits() {
        return a; // sqrt(±0) = ±0, sqrt(+inf) = +inf
    }
    if bits & F64_SIGN != 0 {
        return f64::from_bits(CANONICAL_F64);
    }
    // a = m * 2^(e - 52), with m's leading one at bit 52 (subnormals normalised).
    let (mut m, mut e) = match (bits >> 52) as i32 {
        0 => {
            let shift = (bits.leading_zeros() - 11) as i32;
            (bits << shift, -1022 - shift)
        }
        biased => ((bits & F64_FRACTION) | 1 << 52, biased - 1023),
    };
    // An even exponent halves exactly; m then lies in [2^52, 2^54): X = m / 2^52 in [1, 4).
    if e & 1 != 0 {
        m <<= 1;
        e -= 1;
    }
    // y = 2^31 / sqrt(X), from x = X * 2^30: y' = y (3 - x y^2) / 2.
    let x = (m >> 22) as u32;
    let mut y = (RSQRT_GUESS[(x >> 28) as usize] as u32) << 15;
    for _ in 0..3 {
        let y2 = ((y as u64 * y as u64) >> 32) as u32; // Y^2 * 2^30
        let xy2 = ((x as u64 * y2 as u64) >> 30) as u32; // near 2^30
        y = ((y as u64 * (3u32 << 30).wrapping_sub(xy2) as u64) >> 31) as u32;
    }
    // s = sqrt(X) * 2^31 = x * y, then s + (X - s^2) / (2s) at the scale of the result,
    // 2^53, with 1 / (2s) taken as y / 2. The residual is a small signed number: the
    // wrapping difference is exact. The fixed-point roundings can leave y a unit or two
    // high, and s at 2^32 for X just below 4: s stays below it, so that s^2 fits.
    let s = ((x as u64 * y as u64) >> 30).min(u32::MAX as u64);
    let residual = (m << 10).wrapping_sub(s * s) as i64; // (X - s^2) * 2^62
    let (high, low) = softfloat::mul_wide(residual.unsigned_abs(), y as u64);
    let step = high << 23 | low >> 41; // |residual| * y / 2^41
    let mut q = if residual < 0 {
        (s << 22) - step
    } else {
        (s << 22) + step
    };
    // q = floor(sqrt(m * 2^54)), in [2^53, 2^54): the 53 result bits and a rounding bit.
    // The estimate is off by a unit or two at most; its remainder m * 2^54 - q^2 is
    // small, so its low 64 bits, as a signed number, are all of it.
    let mut rem = (m << 54).wrapping_sub(q.wrapping_mul(q)) as i64;
    let estimate = q;
    while rem < 0 {
        q -= 1;
        rem += (2 * q + 1) as i64;
    }
    while rem > (2 * q) as i64 {
        q += 1;
        rem -= (2 * q - 1) as i64;
    }
    debug_assert!(q.abs_diff(estimate) <= 2, "estimate {estimate} for {q}");
    // A square root never falls exactly halfway between two doubles, so a set rounding bit
    // rounds up. The leading one of q >> 1 adds one to the exponent field, and a carry
    // out of the fraction adds another, as it should. The result is always normal.
    let exponent = ((e / 2 + 1022) as u64) << 52;
    f64::from_bits(exponent + (q >> 1) + (q & 1))
}

/// `f64.add` (a NaN result is an arithmetic NaN, see the module docs)
#[inline]
pub fn f64_add(a: f64, b: f64) -> f64 {
    if softfloat::HARDWARE {
        a + b
    } else {
        softfloat::add(a, b)
    }
}

/// `f64.sub` (a NaN result is an arithmetic NaN, see the module docs)
#[inline]
pub fn f64_sub(a: f64, b: f64) -> f64 {
    if softfloat::HARDWARE {
        a - b
    } else {
        softfloat::sub(a, b)
    }
}

/// `f64.mul` (a NaN result is an arithmetic NaN, see the module docs)
#[inline]
pub fn f64_mul(a: f64, b: f64) -> f64 {
    if softfloat::HARDWARE {
        a * b
    } else {
        softfloat::mul(a, b)
    }
}

/// `f64.div` (a NaN result is an arithmetic NaN, see the module docs)
#[inline]
pub fn f64_div(a: f64, b: f64) -> f64 {
    if softfloat::HARDWARE {
        a / b
    } else {
        softfloat::div(a, b)
    }
}

/// `f64.min`: NaN if either operand is NaN, and `-0.0` is less than `+0.0`.
#[inline]
pub fn f64_min(a: f64, b: f64) -> f64 {
    match f64_order(a, b) {
        Some(Ordering::Less) => a,
        Some(Ordering::Greater) => b,
        // Equal: the bits differ only for +0.0 vs -0.0, and OR-ing them picks -0.0.
        Some(Ordering::Equal) => f64::from_bits(a.to_bits() | b.to_bits()),
        None => first_nan_f64(a, b),
    }
}

/// `f64.max`: NaN if either operand is NaN, and `+0.0` is greater than `-0.0`.
#[inline]
pub fn f64_max(a: f64, b: f64) -> f64 {
    match f64_order(a, b) {
        Some(Ordering::Less) => b,
        Some(Ordering::Greater) => a,
        // Equal: AND-ing the bits of +0.0 and -0.0 picks +0.0.
        Some(Ordering::Equal) => f64::from_bits(a.to_bits() & b.to_bits()),
        None => first_nan_f64(a, b),
    }
}

/// The first NaN of `a` and `b`, quieted: `min` and `max` with a NaN operand.
#[inline]
fn first_nan_f64(a: f64, b: f64) -> f64 {
    quiet_f64(if f64_bits_nan(a.to_bits()) { a } else { b })
}

// ---------------------------------------------------------------------------------------
// Conversions
// ---------------------------------------------------------------------------------------

/// `i32.wrap_i64`: keeps the low 32 bits.
#[inline]
pub fn i32_wrap_i64(a: i64) -> i32 {
    a as i32
}

/// `i64.extend_i32_s`
#[inline]
pub fn i64_extend_i32_s(a: i32) -> i64 {
    a as i64
}

/// `i64.extend_i32_u`
#[inline]
pub fn i64_extend_i32_u(a: i32) -> i64 {
    a as u32 as i64
}

// Trapping truncations. The spec defines them on the truncated value: the operand is valid
// when trunc(x) fits, i.e. when x lies strictly between MIN - 1 and MAX + 1. Each bound is
// written as the nearest representable comparison: MIN - 1 is exact in f64 for i32 (so the
// bound is exclusive), but rounds to MIN in f32 and for i64 (so the bound is MIN, inclusive).
// The upper bounds 2^31, 2^32, 2^63, 2^64 are powers of two and exact everywhere. Inside the
// bounds `as` truncates toward zero exactly.

/// NaN traps as an invalid conversion; any other out-of-range operand as an overflow.
#[inline]
fn trunc_trap(nan: bool) -> ErrorKind {
    if nan {
        ErrorKind::InvalidConversion
    } else {
        ErrorKind::IntegerOverflow
    }
}

/// `i32.trunc_f32_s`: valid for -2^31 <= x < 2^31.
#[inline]
pub fn i32_trunc_f32_s(a: f32) -> Result<i32, ErrorKind> {
    if (-2147483648.0..2147483648.0).contains(&a) {
        Ok(a as i32)
    } else {
        Err(trunc_trap(a.is_nan()))
    }
}

/// `i32.trunc_f32_u`: valid for -1 < x < 2^32 (so `-0.99999994` gives 0).
#[inline]
pub fn i32_trunc_f32_u(a: f32) -> Result<i32, ErrorKind> {
    if a > -1.0 && a < 4294967296.0 {
        Ok(a as u32 as i32)
    } else {
        Err(trunc_trap(a.is_nan()))
    }
}

/// `i32.trunc_f64_s`: valid for -2^31 - 1 < x < 2^31 (so `-2147483648.9` gives `i32::MIN`).
#[inline]
pub fn i32_trunc_f64_s(a: f64) -> Result<i32, ErrorKind> {
    trunc_f64(a, i32::MAX as u64, 1 << 31).map(|v| v as i32)
}

/// `i32.trunc_f64_u`: valid for -1 < x < 2^32.
#[inline]
pub fn i32_trunc_f64_u(a: f64) -> Result<i32, ErrorKind> {
    trunc_f64(a, u32::MAX as u64, 0).map(|v| v as i32)
}

/// `i64.trunc_f32_s`: valid for -2^63 <= x < 2^63 (through f64, which holds every f32).
#[inline]
pub fn i64_trunc_f32_s(a: f32) -> Result<i64, ErrorKind> {
    i64_trunc_f64_s(softfloat::widen(a))
}

/// `i64.trunc_f32_u`: valid for -1 < x < 2^64 (through f64, which holds every f32).
#[inline]
pub fn i64_trunc_f32_u(a: f32) -> Result<i64, ErrorKind> {
    i64_trunc_f64_u(softfloat::widen(a))
}

/// `i64.trunc_f64_s`: valid for -2^63 <= x < 2^63.
#[inline]
pub fn i64_trunc_f64_s(a: f64) -> Result<i64, ErrorKind> {
    trunc_f64(a, i64::MAX as u64, 1 << 63).map(|v| v as i64)
}

/// `i64.trunc_f64_u`: valid for -1 < x < 2^64.
#[inline]
pub fn i64_trunc_f64_u(a: f64) -> Result<i64, ErrorKind> {
    trunc_f64(a, u64::MAX, 0).map(|v| v as i64)
}

/// `trunc(a)` as two's-complement bits when it lies in `-max_neg..=max_pos`, else the
/// trap: [`ErrorKind::InvalidConversion`] for a NaN, [`ErrorKind::IntegerOverflow`] for
/// the rest. Integer operations on the bits: on a target without f64 hardware (the
/// Cortex-M4) Rust's `as` and the range checks around it call a compiler-builtins routine
/// per target type and per comparison, 1 KB of flash for the eight f64 truncations, the
/// two f32-to-i64 ones and their saturating twins. f32 to i32 keeps the FPU's conversion.
#[inline(never)]
fn trunc_f64(a: f64, max_pos: u64, max_neg: u64) -> Result<u64, ErrorKind> {
    let bits = a.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as u32;
    if biased == 0x7ff {
        return Err(trunc_trap(bits & F64_FRACTION != 0)); // NaN or an infinity
    }
    // |a| = m * 2^(biased - 1075) for a normal a; below 1 truncates to 0.
    let magnitude = match biased {
        0..1023 => 0,
        1023..1087 => {
            let m = (bits & F64_FRACTION) | 1 << 52;
            let e = biased - 1023; // |a| lies in [2^e, 2^(e + 1))
            if e >= 52 {
                m << (e - 52)
            } else {
                m >> (52 - e)
            }
        }
        _ => return Err(ErrorKind::IntegerOverflow), // |a| >= 2^64
    };
    match bits & F64_SIGN != 0 {
        false if magnitude <= max_pos => Ok(magnitude),
        true if magnitude <= max_neg => Ok(magnitude.wrapping_neg()),
        _ => Err(ErrorKind::IntegerOverflow),
    }
}

/// `trunc(a)` clamped to `-max_neg..=max_pos` as two's-complement bits, 0 for a NaN: the
/// saturating truncations.
#[inline]
fn trunc_sat_f64(a: f64, max_pos: u64, max_neg: u64) -> u64 {
    match trunc_f64(a, max_pos, max_neg) {
        Ok(v) => v,
        Err(ErrorKind::IntegerOverflow) if a.to_bits() & F64_SIGN != 0 => max_neg.wrapping_neg(),
        Err(ErrorKind::IntegerOverflow) => max_pos,
        Err(_) => 0,
    }
}

// Saturating truncations: NaN gives 0, out-of-range values clamp to MIN/MAX, the rest
// truncate toward zero. Rust's float-to-int `as` does exactly this, and the f32-to-i32
// ones use it (one FPU instruction on the Cortex-M4F); the others go through the bits
// ([`trunc_f64`]).

/// `i32.trunc_sat_f32_s`
#[inline]
pub fn i32_trunc_sat_f32_s(a: f32) -> i32 {
    a as i32
}

/// `i32.trunc_sat_f32_u`
#[inline]
pub fn i32_trunc_sat_f32_u(a: f32) -> i32 {
    a as u32 as i32
}

/// `i32.trunc_sat_f64_s`
#[inline]
pub fn i32_trunc_sat_f64_s(a: f64) -> i32 {
    trunc_sat_f64(a, i32::MAX as u64, 1 << 31) as i32
}

/// `i32.trunc_sat_f64_u`
#[inline]
pub fn i32_trunc_sat_f64_u(a: f64) -> i32 {
    trunc_sat_f64(a, u32::MAX as u64, 0) as i32
}

/// `i64.trunc_sat_f32_s`
#[inline]
pub fn i64_trunc_sat_f32_s(a: f32) -> i64 {
    trunc_sat_f64(softfloat::widen(a), i64::MAX as u64, 1 << 63) as i64
}

/// `i64.trunc_sat_f32_u`
#[inline]
pub fn i64_trunc_sat_f32_u(a: f32) -> i64 {
    trunc_sat_f64(softfloat::widen(a), u64::MAX, 0) as i64
}

/// `i64.trunc_sat_f64_s`
#[inline]
pub fn i64_trunc_sat_f64_s(a: f64) -> i64 {
    trunc_sat_f64(a, i64::MAX as u64, 1 << 63) as i64
}

/// `i64.trunc_sat_f64_u`
#[inline]
pub fn i64_trunc_sat_f64_u(a: f64) -> i64 {
    trunc_sat_f64(a, u64::MAX, 0) as i64
}

// Integer-to-float conversions round to nearest, ties to even, in a single rounding step
// (no double rounding through an intermediate type), as the spec requires. From i32 to f32
// that is Rust's `as` (one FPU instruction on the Cortex-M4F); the others go through
// `softfloat::from_int`.

/// `f32.convert_i32_s`
#[inline]
pub fn f32_convert_i32_s(a: i32) -> f32 {
    a as f32
}

/// `f32.convert_i32_u`
#[inline]
pub fn f32_convert_i32_u(a: i32) -> f32 {
    a as u32 as f32
}

/// `f32.convert_i64_s`
#[inline]
pub fn f32_convert_i64_s(a: i64) -> f32 {
    f32::from_bits(softfloat::int_to_f32(a < 0, a.unsigned_abs()) as u32)
}

/// `f32.convert_i64_u`
#[inline]
pub fn f32_convert_i64_u(a: i64) -> f32 {
    f32::from_bits(softfloat::int_to_f32(false, a as u64) as u32)
}

/// `f64.convert_i32_s` (exact)
#[inline]
pub fn f64_convert_i32_s(a: i32) -> f64 {
    f64_convert_i64_s(a as i64)
}

/// `f64.convert_i32_u` (exact)
#[inline]
pub fn f64_convert_i32_u(a: i32) -> f64 {
    f64_convert_i64_u(a as u32 as i64)
}

/// `f64.convert_i64_s`
#[inline]
pub fn f64_convert_i64_s(a: i64) -> f64 {
    f64::from_bits(softfloat::int_to_f64(a < 0, a.unsigned_abs()))
}

/// `f64.convert_i64_u`
#[inline]
pub fn f64_convert_i64_u(a: i64) -> f64 {
    f64::from_bits(softfloat::int_to_f64(false, a as u64))
}

/// `f32.demote_f64`: rounds to nearest even (overflowing to infinity). A NaN keeps its sign
/// and the top 22 bits of its payload, with the quiet bit set.
#[inline]
pub fn f32_demote_f64(a: f64) -> f32 {
    softfloat::narrow(a)
}

/// `f64.promote_f32`: exact. A NaN keeps its sign and payload (in the top payload bits),
/// with the quiet bit set.
#[inline]
pub fn f64_promote_f32(a: f32) -> f64 {
    softfloat::widen(a)
}

/// `i32.reinterpret_f32`
#[inline]
pub fn i32_reinterpret_f32(a: f32) -> i32 {
    a.to_bits() as i32
}

/// `i64.reinterpret_f64`
#[inline]
pub fn i64_reinterpret_f64(a: f64) -> i64 {
    a.to_bits() as i64
}

/// `f32.reinterpret_i32`
#[inline]
pub fn f32_reinterpret_i32(a: i32) -> f32 {
    f32::from_bits(a as u32)
}

/// `f64.reinterpret_i64`
#[inline]
pub fn f64_reinterpret_i64(a: i64) -> f64 {
    f64::from_bits(a as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ErrorKind::{IntegerDivideByZero, IntegerOverflow, InvalidConversion};

    // NaN bit patterns: canonical, signalling (quiet bit clear), and negative variants.
    const F32_NAN: u32 = 0x7fc0_0000;
    const F32_NEG_NAN: u32 = 0xffc0_0000;
    const F32_SNAN: u32 = 0x7fa0_0000;
    const F32_NEG_SNAN: u32 = 0xffa0_0001;
    const F64_NAN: u64 = 0x7ff8_0000_0000_0000;
    const F64_NEG_NAN: u64 = 0xfff8_0000_0000_0000;
    const F64_SNAN: u64 = 0x7ff4_0000_0000_0000;
    const F64_NEG_SNAN: u64 = 0xfff4_0000_0000_0001;

    fn f32b(bits: u32) -> f32 {
        f32::from_bits(bits)
    }

    fn f64b(bits: u64) -> f64 {
        f64::from_bits(bits)
    }

    /// 2^e, exactly, for a normal f64 exponent (`powi` need not be exact, and under Miri
    /// it is not).
    fn pow2(e: i32) -> f64 {
        assert!((-1022..=1023).contains(&e));
        f64::from_bits(((e + 1023) as u64) << 52)
    }

    /// The next state of a xorshift64 generator (Marsaglia, 2003): the tests' operands.
    fn next(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    fn is_canonical_f32(x: f32) -> bool {
        x.to_bits() & 0x7fff_ffff == F32_NAN
    }

    fn is_arithmetic_f32(x: f32) -> bool {
        x.is_nan() && x.to_bits() & F32_QUIET != 0
    }

    fn is_canonical_f64(x: f64) -> bool {
        x.to_bits() & !F64_SIGN == F64_NAN
    }

    fn is_arithmetic_f64(x: f64) -> bool {
        x.is_nan() && x.to_bits() & F64_QUIET != 0
    }

    // --- integer division and remainder ---

    #[test]
    fn i32_div_s_traps_and_rounds_toward_zero() {
        assert_eq!(i32_div_s(1, 0), Err(IntegerDivideByZero));
        assert_eq!(i32_div_s(0, 0), Err(IntegerDivideByZero));
        assert_eq!(i32_div_s(i32::MIN, 0), Err(IntegerDivideByZero));
        assert_eq!(i32_div_s(i32::MIN, -1), Err(IntegerOverflow));
        assert_eq!(i32_div_s(i32::MIN, 1), Ok(i32::MIN));
        assert_eq!(i32_div_s(i32::MIN + 1, -1), Ok(i32::MAX));
        assert_eq!(i32_div_s(i32::MIN, 2), Ok(-0x4000_0000));
        assert_eq!(i32_div_s(-7, 2), Ok(-3));
        assert_eq!(i32_div_s(7, -2), Ok(-3));
        assert_eq!(i32_div_s(-7, -2), Ok(3));
    }

    #[test]
    fn i32_div_u_treats_operands_as_unsigned() {
        assert_eq!(i32_div_u(1, 0), Err(IntegerDivideByZero));
        assert_eq!(i32_div_u(i32::MIN, -1), Ok(0));
        assert_eq!(i32_div_u(-1, 2), Ok(i32::MAX));
        assert_eq!(i32_div_u(i32::MIN, 2), Ok(0x4000_0000));
        assert_eq!(i32_div_u(-5, -1), Ok(0));
        assert_eq!(i32_div_u(-1, -1), Ok(1));
    }

    #[test]
    fn i32_rem_s_min_by_minus_one_is_zero() {
        assert_eq!(i32_rem_s(1, 0), Err(IntegerDivideByZero));
        assert_eq!(i32_rem_s(0, 0), Err(IntegerDivideByZero));
        assert_eq!(i32_rem_s(i32::MIN, -1), Ok(0));
        assert_eq!(i32_rem_s(i32::MIN, 2), Ok(0));
        assert_eq!(i32_rem_s(i32::MIN, 3), Ok(-2));
        // The remainder takes the dividend's sign.
        assert_eq!(i32_rem_s(-7, 2), Ok(-1));
        assert_eq!(i32_rem_s(7, -2), Ok(1));
    }

    #[test]
    fn i32_rem_u_treats_operands_as_unsigned() {
        assert_eq!(i32_rem_u(1, 0), Err(IntegerDivideByZero));
        assert_eq!(i32_rem_u(i32::MIN, -1), Ok(i32::MIN));
        assert_eq!(i32_rem_u(-1, 2), Ok(1));
        assert_eq!(i32_rem_u(-7, 10), Ok(9)); // 0xfffffff9 % 10
    }

    #[test]
    fn soft_division_agrees_with_native_division() {
        // Edge operands, all pairs, then a deterministic pseudo-random sweep.
        let edges = [
            1u64,
            2,
            3,
            7,
            10,
            0xffff,
            0x1_0000,
            0xffff_ffff,
            0x1_0000_0000,
            0x1_0000_0001,
            0x7fff_ffff_ffff_ffff,
            0x8000_0000_0000_0000,
            0x8000_0000_0000_0001,
            u64::MAX - 1,
            u64::MAX,
        ];
        let mut pairs = [(0u64, 1u64); 15 * 16 + 2000];
        let mut k = 0;
        for &n in edges.iter().chain(&[0]) {
            for &d in &edges {
                pairs[k] = (n, d);
                k += 1;
            }
        }
        let mut x = 0x2545_f491_4f6c_dd1du64;
        while k < pairs.len() {
            let n = next(&mut x);
            next(&mut x);
            // Divisors of every width, so that quotients of every length occur.
            let d = (x >> (x % 64)).max(1);
            pairs[k] = (n, d);
            k += 1;
        }
        // Many more quotients through the estimating loop: divisors of 17 to 64 bits,
        // dividends at or above them, near powers of two and runs of ones too.
        for i in 0..if cfg!(miri) { 2_000 } else { 300_000u64 } {
            let a = next(&mut x);
            let b = next(&mut x);
            let d = match i % 3 {
                0 => b >> (b % 48),
                1 => (u64::MAX >> (b % 48)) << (a % 4),
                _ => (1 << (16 + b % 48)) + (a >> 60),
            }
            .max(1 << 16);
            let n = if i % 5 == 0 { a | d } else { a >> (a % 8) };
            assert_eq!(div_rem_u64_soft(n, d), (n / d, n % d), "{n:#x} / {d:#x}");
        }
        for &(n, d) in &pairs[..] {
            assert_eq!(div_rem_u64_soft(n, d), (n / d, n % d), "{n:#x} / {d:#x}");
            // The signed instructions' signs, against Rust's own signed division.
            for (a, b) in [(n, d), (n.wrapping_neg(), d), (n, d.wrapping_neg())] {
                let (a, b) = (a as i64, b as i64);
                if b != 0 && !(a == i64::MIN && b == -1) {
                    assert_eq!(i64_div_s(a, b), Ok(a / b), "{a} / {b}");
                    assert_eq!(i64_rem_s(a, b), Ok(a % b), "{a} % {b}");
                }
            }
        }
    }

    #[test]
    fn i64_div_and_rem_traps() {
        assert_eq!(i64_div_s(1, 0), Err(IntegerDivideByZero));
        assert_eq!(i64_div_s(i64::MIN, -1), Err(IntegerOverflow));
        assert_eq!(i64_div_s(i64::MIN, 1), Ok(i64::MIN));
        assert_eq!(i64_div_s(-7, 2), Ok(-3));
        assert_eq!(i64_div_u(1, 0), Err(IntegerDivideByZero));
        assert_eq!(i64_div_u(i64::MIN, -1), Ok(0));
        assert_eq!(i64_div_u(-1, 2), Ok(i64::MAX));
        assert_eq!(i64_rem_s(1, 0), Err(IntegerDivideByZero));
        assert_eq!(i64_rem_s(i64::MIN, -1), Ok(0));
        assert_eq!(i64_rem_s(-7, 2), Ok(-1));
        assert_eq!(i64_rem_u(1, 0), Err(IntegerDivideByZero));
        assert_eq!(i64_rem_u(i64::MIN, -1), Ok(i64::MIN));
        assert_eq!(i64_rem_u(-1, 2), Ok(1));
    }

    #[test]
    fn integer_wrapping_arithmetic() {
        assert_eq!(i32_add(i32::MAX, 1), i32::MIN);
        assert_eq!(i32_sub(i32::MIN, 1), i32::MAX);
        assert_eq!(i32_mul(0x1000_0000, 16), 0);
        assert_eq!(i64_add(i64::MAX, 1), i64::MIN);
        assert_eq!(i64_sub(i64::MIN, 1), i64::MAX);
        assert_eq!(
            i64_mul(0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210_u64 as i64),
            0x2236_d88f_e561_8cf0
        );
        assert_eq!(i64_mul(i64::MAX, i64::MAX), 1);
    }

    // --- shifts, rotates, bit counts ---

    #[test]
    fn i32_shift_counts_are_modulo_32() {
        assert_eq!(i32_shl(1, 31), i32::MIN);
        assert_eq!(i32_shl(1, 32), 1);
        assert_eq!(i32_shl(1, 33), 2);
        assert_eq!(i32_shl(1, -1), i32::MIN);
        assert_eq!(i32_shr_s(i32::MIN, 31), -1);
        assert_eq!(i32_shr_s(i32::MIN, 32), i32::MIN);
        assert_eq!(i32_shr_s(-1, 100), -1);
        assert_eq!(i32_shr_u(i32::MIN, 31), 1);
        assert_eq!(i32_shr_u(i32::MIN, 32), i32::MIN);
        assert_eq!(i32_shr_u(-1, -1), 1);
    }

    #[test]
    fn i64_shift_counts_are_modulo_64() {
        assert_eq!(i64_shl(1, 63), i64::MIN);
        assert_eq!(i64_shl(1, 64), 1);
        assert_eq!(i64_shl(1, -1), i64::MIN);
        // Bits above the low 32 of the count must not matter.
        assert_eq!(i64_shl(1, 0x1_0000_0001), 2);
        assert_eq!(i64_shl(1, 0x7fff_ffff_0000_0021), 1 << 33);
        assert_eq!(i64_shr_s(i64::MIN, 63), -1);
        assert_eq!(i64_shr_s(i64::MIN, 64), i64::MIN);
        assert_eq!(i64_shr_u(i64::MIN, 63), 1);
        assert_eq!(i64_shr_u(-1, -1), 1);
        assert_eq!(i64_shr_u(i64::MIN, 0x1_0000_003f), 1);
    }

    #[test]
    fn rotates_take_count_modulo_width() {
        assert_eq!(i32_rotl(0xfe00_dc00_u32 as i32, 4), 0xe00d_c00f_u32 as i32);
        assert_eq!(i32_rotl(0xfe00_dc00_u32 as i32, 36), 0xe00d_c00f_u32 as i32);
        assert_eq!(i32_rotl(1, 32), 1);
        assert_eq!(i32_rotl(1, -1), i32::MIN);
        assert_eq!(i32_rotr(1, 1), i32::MIN);
        assert_eq!(i32_rotr(1, 33), i32::MIN);
        assert_eq!(i32_rotr(i32::MIN, -1), 1);
        assert_eq!(i64_rotl(1, 64), 1);
        assert_eq!(i64_rotl(1, 65), 2);
        assert_eq!(i64_rotl(1, -1), i64::MIN);
        assert_eq!(i64_rotl(1, 0x1_0000_0001), 2);
        assert_eq!(i64_rotr(1, 1), i64::MIN);
        assert_eq!(i64_rotr(1, 0x1_0000_0041), i64::MIN);
    }

    #[test]
    fn bit_counts() {
        assert_eq!(i32_clz(0), 32);
        assert_eq!(i32_ctz(0), 32);
        assert_eq!(i32_clz(-1), 0);
        assert_eq!(i32_clz(1), 31);
        assert_eq!(i32_ctz(i32::MIN), 31);
        assert_eq!(i32_popcnt(-1), 32);
        assert_eq!(i32_popcnt(0x5555_5555), 16);
        assert_eq!(i64_clz(0), 64);
        assert_eq!(i64_ctz(0), 64);
        assert_eq!(i64_clz(1), 63);
        assert_eq!(i64_ctz(i64::MIN), 63);
        assert_eq!(i64_popcnt(-1), 64);
    }

    // --- comparisons ---

    #[test]
    fn integer_comparisons_signed_vs_unsigned() {
        assert_eq!(i32_eqz(0), 1);
        assert_eq!(i32_eqz(i32::MIN), 0);
        assert_eq!(i64_eqz(0), 1);
        assert_eq!(i64_eqz(1 << 32), 0);
        assert_eq!((i32_eq(-1, -1), i32_ne(-1, -1)), (1, 0));
        assert_eq!((i32_lt_s(-1, 0), i32_lt_u(-1, 0)), (1, 0));
        assert_eq!((i32_gt_s(-1, 0), i32_gt_u(-1, 0)), (0, 1));
        assert_eq!(
            (i32_le_s(i32::MIN, i32::MAX), i32_le_u(i32::MIN, i32::MAX)),
            (1, 0)
        );
        assert_eq!(
            (i32_ge_s(i32::MIN, i32::MAX), i32_ge_u(i32::MIN, i32::MAX)),
            (0, 1)
        );
        assert_eq!((i32_le_s(5, 5), i32_ge_u(5, 5)), (1, 1));
        assert_eq!((i64_eq(-1, -1), i64_ne(-1, 1)), (1, 1));
        assert_eq!((i64_lt_s(-1, 0), i64_lt_u(-1, 0)), (1, 0));
        assert_eq!((i64_gt_s(-1, 0), i64_gt_u(-1, 0)), (0, 1));
        assert_eq!((i64_le_s(i64::MIN, 0), i64_le_u(i64::MIN, 0)), (1, 0));
        assert_eq!((i64_ge_s(i64::MIN, 0), i64_ge_u(i64::MIN, 0)), (0, 1));
    }

    // --- sign extension, wrap, extend ---

    #[test]
    fn sign_extensions_use_only_the_low_bits() {
        assert_eq!(i32_extend8_s(0x7f), 127);
        assert_eq!(i32_extend8_s(0x80), -128);
        assert_eq!(i32_extend8_s(0x1234_5680), -128);
        assert_eq!(i32_extend8_s(-0x100), 0);
        assert_eq!(i32_extend16_s(0x7fff), 32767);
        assert_eq!(i32_extend16_s(0x8000), -32768);
        assert_eq!(i32_extend16_s(0x1234_8000), -32768);
        assert_eq!(i64_extend8_s(0x0123_4567_89ab_cd80), -128);
        assert_eq!(i64_extend16_s(0x0123_4567_89ab_8000), -32768);
        assert_eq!(i64_extend32_s(0x8000_0000), -0x8000_0000);
        assert_eq!(i64_extend32_s(0x1_7fff_ffff), 0x7fff_ffff);
        assert_eq!(i64_extend32_s(-0x1_0000_0000), 0);
    }

    #[test]
    fn wrap_and_extend() {
        assert_eq!(i32_wrap_i64(0x1_0000_0001), 1);
        assert_eq!(i32_wrap_i64(0xffff_ffff), -1);
        assert_eq!(i32_wrap_i64(-0x1_0000_0000), 0);
        assert_eq!(i64_extend_i32_s(-1), -1);
        assert_eq!(i64_extend_i32_u(-1), 0xffff_ffff);
        assert_eq!(i64_extend_i32_s(i32::MIN), -0x8000_0000);
        assert_eq!(i64_extend_i32_u(i32::MIN), 0x8000_0000);
    }

    // --- float min/max ---

    #[test]
    fn min_max_order_signed_zeros() {
        for (a, b) in [(-0.0_f32, 0.0), (0.0, -0.0)] {
            assert_eq!(f32_min(a, b).to_bits(), 0x8000_0000);
            assert_eq!(f32_max(a, b).to_bits(), 0);
        }
        assert_eq!(f32_min(0.0, 0.0).to_bits(), 0);
        assert_eq!(f32_max(-0.0, -0.0).to_bits(), 0x8000_0000);
        for (a, b) in [(-0.0_f64, 0.0), (0.0, -0.0)] {
            assert_eq!(f64_min(a, b).to_bits(), F64_SIGN);
            assert_eq!(f64_max(a, b).to_bits(), 0);
        }
        assert_eq!(f64_max(-0.0, -0.0).to_bits(), F64_SIGN);
        assert_eq!((f32_min(1.0, 2.0), f32_max(1.0, 2.0)), (1.0, 2.0));
        assert_eq!((f32_min(3.0, -2.0), f32_max(3.0, -2.0)), (-2.0, 3.0));
        assert_eq!(f32_min(f32::NEG_INFINITY, f32::MIN), f32::NEG_INFINITY);
        assert_eq!(f64_max(f64::INFINITY, f64::MAX), f64::INFINITY);
        assert_eq!((f64_min(1.0, -1.0), f64_max(1.0, -1.0)), (-1.0, 1.0));
    }

    #[test]
    fn min_max_propagate_nan() {
        // Rust's `f32::min` would return 1.0 here.
        for op in [f32_min, f32_max] {
            assert!(is_canonical_f32(op(f32b(F32_NAN), 1.0)));
            assert!(is_canonical_f32(op(1.0, f32b(F32_NAN))));
            assert!(is_canonical_f32(op(f32b(F32_NEG_NAN), f32::INFINITY)));
            assert!(is_canonical_f32(op(f32b(F32_NAN), f32b(F32_NEG_NAN))));
            assert_eq!(op(f32b(F32_SNAN), 1.0).to_bits(), 0x7fe0_0000);
            assert_eq!(op(-0.0, f32b(F32_NEG_SNAN)).to_bits(), 0xffe0_0001);
            assert!(is_arithmetic_f32(op(f32b(F32_SNAN), f32b(F32_NEG_SNAN))));
            assert!(is_arithmetic_f32(op(f32b(0x7f80_0001), 0.0)));
        }
        for op in [f64_min, f64_max] {
            assert!(is_canonical_f64(op(f64b(F64_NAN), 1.0)));
            assert!(is_canonical_f64(op(1.0, f64b(F64_NEG_NAN))));
            assert_eq!(op(f64b(F64_SNAN), 1.0).to_bits(), 0x7ffc_0000_0000_0000);
            assert_eq!(
                op(-0.0, f64b(F64_NEG_SNAN)).to_bits(),
                0xfffc_0000_0000_0001
            );
            assert!(is_arithmetic_f64(op(f64b(0x7ff0_0000_0000_0001), 0.0)));
        }
    }

    // --- rounding ---

    #[test]
    fn nearest_rounds_ties_to_even_and_keeps_sign() {
        let cases: [(f32, f32); 14] = [
            (0.5, 0.0),
            (1.5, 2.0),
            (2.5, 2.0),
            (3.5, 4.0),
            (-1.5, -2.0),
            (-2.5, -2.0),
            (0.49999997, 0.0),
            (0.50000006, 1.0),
            (-0.49999997, -0.0),
            (8388607.5, 8388608.0),
            (8388609.0, 8388609.0),
            (-4.5, -4.0),
            (f32::INFINITY, f32::INFINITY),
            (f32::NEG_INFINITY, f32::NEG_INFINITY),
        ];
        for (x, want) in cases {
            assert_eq!(f32_nearest(x).to_bits(), want.to_bits(), "nearest({x})");
            assert_eq!(
                f64_nearest(x as f64).to_bits(),
                (want as f64).to_bits(),
                "{x}"
            );
        }
        // -0.5 and -0.0 round to -0.0, not +0.0.
        assert_eq!(f32_nearest(-0.5).to_bits(), 0x8000_0000);
        assert_eq!(f32_nearest(-0.0).to_bits(), 0x8000_0000);
        assert_eq!(f64_nearest(-0.5).to_bits(), F64_SIGN);
        assert_eq!(f64_nearest(-0.0).to_bits(), F64_SIGN);
        assert_eq!(f64_nearest(0.49999999999999994), 0.0);
        assert_eq!(f64_nearest(4503599627370497.0), 4503599627370497.0);
        assert_eq!(f64_nearest(4503599627370495.5), 4503599627370496.0);
        assert_eq!(f64_nearest(-4503599627370494.5), -4503599627370494.0);
    }

    #[test]
    fn rounding_agrees_with_the_hosts() {
        extern crate std;
        use std::primitive::f64 as host;
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let edges = [
            0.5,
            1.5,
            2.5,
            -0.5,
            -1.5,
            -2.5,
            0.49999999999999994,
            4503599627370495.5,
            4503599627370496.0,
            -4503599627370497.0,
            9007199254740991.0,
            1e-310,
            -1e-310,
            f64::MIN_POSITIVE,
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            0.75,
            -0.75,
            1.0,
            -1.0,
        ];
        for i in 0..if cfg!(miri) { 2_000 } else { 200_000 } {
            let a = match edges.get(i) {
                Some(&a) => a,
                None => {
                    next(&mut x);
                    // Mostly exponents near the integer range, where the cases are.
                    let e = 1000 + (x >> 58) * 2;
                    f64::from_bits((x & (F64_SIGN | F64_FRACTION)) | (e & 0x7ff) << 52)
                }
            };
            let bits = |v: f64| v.to_bits();
            assert_eq!(bits(f64_ceil(a)), bits(host::ceil(a)), "ceil {a:e}");
            assert_eq!(bits(f64_floor(a)), bits(host::floor(a)), "floor {a:e}");
            assert_eq!(bits(f64_trunc(a)), bits(host::trunc(a)), "trunc {a:e}");
            assert_eq!(
                bits(f64_nearest(a)),
                bits(host::round_ties_even(a)),
                "nearest {a:e}"
            );
            // f32 rounds through the same routine: every f32 widens to f64 exactly.
            let b = f32::from_bits((a.to_bits() >> 32) as u32 ^ (i as u32 & 0x00ff_ffff));
            if !b.is_nan() {
                use std::primitive::f32 as host32;
                let bits = |v: f32| v.to_bits();
                assert_eq!(bits(f32_ceil(b)), bits(host32::ceil(b)), "ceil {b:e}");
                assert_eq!(bits(f32_floor(b)), bits(host32::floor(b)), "floor {b:e}");
                assert_eq!(bits(f32_trunc(b)), bits(host32::trunc(b)), "trunc {b:e}");
                assert_eq!(
                    bits(f32_nearest(b)),
                    bits(host32::round_ties_even(b)),
                    "nearest {b:e}"
                );
            }
        }
    }

    #[test]
    fn square_roots_are_correctly_rounded() {
        extern crate std;
        use std::primitive::{f32 as host32, f64 as host};
        // The host's square root (an SSE instruction on x86-64) is the reference. Edge
        // operands first: zeros, subnormals, powers of two, the largest values.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let edges = [
            0,
            1,
            2,
            3,
            F64_FRACTION,
            1 << 52,
            (1 << 52) + 1,
            2.0f64.to_bits(),
            4.0f64.to_bits(),
            f64::MAX.to_bits(),
            f64::MIN_POSITIVE.to_bits(),
            f64::INFINITY.to_bits(),
        ];
        // Miri runs a sample: it interprets each step some thousand times slower.
        for i in 0..if cfg!(miri) { 2_000 } else { 300_000 } {
            let bits = match edges.get(i) {
                Some(&b) => b,
                // Every exponent, subnormals included, and random fractions.
                None => next(&mut x) >> 1,
            };
            let a = f64::from_bits(bits);
            if !a.is_nan() {
                assert_eq!(f64_sqrt(a).to_bits(), host::sqrt(a).to_bits(), "{bits:#x}");
            }
            // Negative ones too: any canonical NaN will do (x86-64 gives the negative one).
            let b = f32::from_bits((bits >> 31) as u32);
            if b < 0.0 {
                assert!(is_canonical_f32(f32_sqrt(b)), "{b:e}");
            } else if !b.is_nan() {
                assert_eq!(f32_sqrt(b).to_bits(), host32::sqrt(b).to_bits(), "{b:e}");
            }
        }
        // Exact squares come back exactly, and their neighbours (the results closest to
        // halfway between two doubles) round as the host's do.
        for i in 1..if cfg!(miri) { 200 } else { 20_000u64 } {
            let r = f64::from_bits(0x3ff0_0000_0000_0000 | ((i * 0x0123_4567_89ab) & F64_FRACTION));
            let sq = (r * r).to_bits();
            for bits in [sq - 1, sq, sq + 1, sq + 2, sq - 2] {
                let a = f64::from_bits(bits);
                assert_eq!(f64_sqrt(a).to_bits(), host::sqrt(a).to_bits(), "{bits:#x}");
            }
        }
        // Both ends of [1, 4) and of each interval of the first guess's table, a few ulps
        // either side, at both exponent parities.
        for j in 8..=32u64 {
            let edge = j as f64 / 8.0;
            for k in 0..64u64 {
                for base in [edge.to_bits(), (edge * 2.0).to_bits()] {
                    for bits in [base.wrapping_add(k), base.wrapping_sub(k)] {
                        let a = f64::from_bits(bits);
                        assert_eq!(f64_sqrt(a).to_bits(), host::sqrt(a).to_bits(), "{bits:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn integer_to_float_conversions_agree_with_rust() {
        // Rust's `as` rounds to nearest, ties to even, in one step: the reference. Values
        // at every width, and around each rounding boundary (runs of ones).
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..if cfg!(miri) { 2_000 } else { 200_000 } {
            next(&mut x);
            let v = match i % 4 {
                0 => x,
                1 => x >> (x % 64),
                2 => u64::MAX >> (x % 64) << (x % 13),
                _ => (1u64 << (x % 64)) + (x >> 60),
            };
            let s = v as i64;
            assert_eq!(f64_convert_i64_u(s).to_bits(), (v as f64).to_bits(), "{v}");
            assert_eq!(f64_convert_i64_s(s).to_bits(), (s as f64).to_bits(), "{s}");
            assert_eq!(f32_convert_i64_u(s).to_bits(), (v as f32).to_bits(), "{v}");
            assert_eq!(f32_convert_i64_s(s).to_bits(), (s as f32).to_bits(), "{s}");
            let w = v as u32 as i32;
            assert_eq!(f64_convert_i32_s(w).to_bits(), (w as f64).to_bits(), "{w}");
            assert_eq!(
                f64_convert_i32_u(w).to_bits(),
                (w as u32 as f64).to_bits(),
                "{w}"
            );
        }
        for v in [0, 1, i64::MAX, i64::MIN, -1] {
            assert_eq!(f64_convert_i64_s(v).to_bits(), (v as f64).to_bits(), "{v}");
            assert_eq!(f32_convert_i64_s(v).to_bits(), (v as f32).to_bits(), "{v}");
            assert_eq!(
                f32_convert_i64_u(v).to_bits(),
                (v as u64 as f32).to_bits(),
                "{v}"
            );
        }
    }

    #[test]
    fn ceil_floor_trunc_sqrt() {
        assert_eq!(f32_ceil(-0.5).to_bits(), 0x8000_0000);
        assert_eq!(f32_ceil(0.5), 1.0);
        assert_eq!(f32_ceil(-1.5), -1.0);
        assert_eq!(f32_floor(-0.5), -1.0);
        assert_eq!(f32_floor(0.5).to_bits(), 0);
        assert_eq!(f32_floor(-0.0).to_bits(), 0x8000_0000);
        assert_eq!(f32_trunc(-0.5).to_bits(), 0x8000_0000);
        assert_eq!(f32_trunc(-1.5), -1.0);
        assert_eq!(f32_trunc(1.9999999), 1.0);
        assert_eq!(f32_sqrt(-0.0).to_bits(), 0x8000_0000);
        assert_eq!(f32_sqrt(4.0), 2.0);
        assert_eq!(f32_sqrt(f32::INFINITY), f32::INFINITY);
        assert!(is_canonical_f32(f32_sqrt(-1.0)));
        assert!(is_canonical_f32(f32_sqrt(f32::NEG_INFINITY)));
        assert_eq!(f64_ceil(-0.5).to_bits(), F64_SIGN);
        assert_eq!(f64_ceil(0.5), 1.0);
        assert_eq!(f64_floor(-0.5), -1.0);
        assert_eq!(f64_floor(-0.0).to_bits(), F64_SIGN);
        assert_eq!(f64_trunc(-0.5).to_bits(), F64_SIGN);
        assert_eq!(f64_trunc(-4503599627370495.5), -4503599627370495.0);
        assert_eq!(f64_sqrt(-0.0).to_bits(), F64_SIGN);
        assert_eq!(f64_sqrt(2.0), core::f64::consts::SQRT_2);
        assert!(is_canonical_f64(f64_sqrt(-1.0)));
    }

    #[test]
    fn unary_rounding_quiets_nan_operands() {
        let ops32: [fn(f32) -> f32; 5] = [f32_ceil, f32_floor, f32_trunc, f32_nearest, f32_sqrt];
        for op in ops32 {
            assert_eq!(op(f32b(F32_NAN)).to_bits(), F32_NAN);
            assert_eq!(op(f32b(F32_NEG_NAN)).to_bits(), F32_NEG_NAN);
            assert_eq!(op(f32b(F32_SNAN)).to_bits(), 0x7fe0_0000);
            assert_eq!(op(f32b(F32_NEG_SNAN)).to_bits(), 0xffe0_0001);
            assert_eq!(op(f32b(0x7f80_0001)).to_bits(), 0x7fc0_0001);
        }
        let ops64: [fn(f64) -> f64; 5] = [f64_ceil, f64_floor, f64_trunc, f64_nearest, f64_sqrt];
        for op in ops64 {
            assert_eq!(op(f64b(F64_NAN)).to_bits(), F64_NAN);
            assert_eq!(op(f64b(F64_NEG_NAN)).to_bits(), F64_NEG_NAN);
            assert_eq!(op(f64b(F64_SNAN)).to_bits(), 0x7ffc_0000_0000_0000);
            assert_eq!(op(f64b(F64_NEG_SNAN)).to_bits(), 0xfffc_0000_0000_0001);
        }
    }

    // --- sign-bit operations ---

    #[test]
    fn abs_neg_copysign_keep_nan_payloads() {
        assert_eq!(f32_abs(f32b(F32_NEG_SNAN)).to_bits(), 0x7fa0_0001);
        assert_eq!(f32_abs(f32b(F32_NEG_NAN)).to_bits(), F32_NAN);
        assert_eq!(f32_neg(f32b(F32_SNAN)).to_bits(), 0xffa0_0000);
        assert_eq!(f32_neg(f32b(F32_NEG_SNAN)).to_bits(), 0x7fa0_0001);
        assert_eq!(f32_copysign(f32b(F32_SNAN), -1.0).to_bits(), 0xffa0_0000);
        assert_eq!(f32_copysign(f32b(F32_NEG_SNAN), 0.0).to_bits(), 0x7fa0_0001);
        assert_eq!(f32_copysign(2.0, f32b(F32_NEG_NAN)), -2.0);
        assert_eq!(f32_copysign(-2.0, f32b(F32_SNAN)), 2.0);
        assert_eq!(f32_neg(0.0).to_bits(), 0x8000_0000);
        assert_eq!(f32_abs(-0.0).to_bits(), 0);
        assert_eq!(f32_abs(f32::NEG_INFINITY), f32::INFINITY);

        assert_eq!(f64_abs(f64b(F64_NEG_SNAN)).to_bits(), 0x7ff4_0000_0000_0001);
        assert_eq!(f64_neg(f64b(F64_SNAN)).to_bits(), 0xfff4_0000_0000_0000);
        assert_eq!(
            f64_copysign(f64b(F64_SNAN), -1.0).to_bits(),
            0xfff4_0000_0000_0000
        );
        assert_eq!(f64_copysign(2.0, f64b(F64_NEG_NAN)), -2.0);
        assert_eq!(f64_neg(0.0).to_bits(), F64_SIGN);
        assert_eq!(f64_abs(-0.0).to_bits(), 0);
    }

    // --- comparisons and arithmetic ---

    #[test]
    fn float_comparisons_with_nan_and_zeros() {
        let nan32 = f32b(F32_NAN);
        let cmp32: [fn(f32, f32) -> i32; 6] = [f32_eq, f32_ne, f32_lt, f32_gt, f32_le, f32_ge];
        let got: [i32; 6] = core::array::from_fn(|i| cmp32[i](nan32, nan32));
        assert_eq!(got, [0, 1, 0, 0, 0, 0]);
        let got: [i32; 6] = core::array::from_fn(|i| cmp32[i](-0.0, 0.0));
        assert_eq!(got, [1, 0, 0, 0, 1, 1]);
        let got: [i32; 6] = core::array::from_fn(|i| cmp32[i](1.0, f32b(F32_SNAN)));
        assert_eq!(got, [0, 1, 0, 0, 0, 0]);

        let nan64 = f64b(F64_NEG_NAN);
        let cmp64: [fn(f64, f64) -> i32; 6] = [f64_eq, f64_ne, f64_lt, f64_gt, f64_le, f64_ge];
        let got: [i32; 6] = core::array::from_fn(|i| cmp64[i](nan64, 1.0));
        assert_eq!(got, [0, 1, 0, 0, 0, 0]);
        let got: [i32; 6] = core::array::from_fn(|i| cmp64[i](0.0, -0.0));
        assert_eq!(got, [1, 0, 0, 0, 1, 1]);
        let got: [i32; 6] = core::array::from_fn(|i| cmp64[i](-1.0, 1.0));
        assert_eq!(got, [0, 1, 1, 0, 1, 0]);
    }

    #[test]
    fn arithmetic_nan_results() {
        // No NaN operand, or only canonical ones: the result must be canonical.
        assert!(is_canonical_f32(f32_add(f32::INFINITY, f32::NEG_INFINITY)));
        assert!(is_canonical_f32(f32_sub(f32::INFINITY, f32::INFINITY)));
        assert!(is_canonical_f32(f32_mul(0.0, f32::INFINITY)));
        assert!(is_canonical_f32(f32_div(0.0, 0.0)));
        assert!(is_canonical_f32(f32_add(f32b(F32_NAN), 1.0)));
        assert!(is_canonical_f32(f32_mul(f32b(F32_NEG_NAN), f32b(F32_NAN))));
        assert!(is_canonical_f64(f64_add(f64::INFINITY, f64::NEG_INFINITY)));
        assert!(is_canonical_f64(f64_mul(0.0, f64::INFINITY)));
        assert!(is_canonical_f64(f64_div(0.0, 0.0)));
        assert!(is_canonical_f64(f64_sub(f64b(F64_NAN), 1.0)));
        // Ordinary results: round to nearest even, signed zeros.
        assert_eq!(f32_add(1.0, f32::EPSILON / 2.0), 1.0);
        assert_eq!(f32_sub(0.0, 0.0).to_bits(), 0);
        assert_eq!(f32_add(-0.0, -0.0).to_bits(), 0x8000_0000);
        assert_eq!(f32_div(1.0, -0.0), f32::NEG_INFINITY);
        assert_eq!(f64_add(1.0, f64::EPSILON / 2.0), 1.0);
        assert_eq!(f64_mul(-0.0, 5.0).to_bits(), F64_SIGN);
        assert_eq!(f64_div(1.0, 3.0), 0.3333333333333333);
    }

    /// A signalling NaN operand: any arithmetic (quiet) NaN. The operands go through
    /// `black_box`: with constants in sight, LLVM folds `x * 1.0` to `x` and keeps a
    /// signalling NaN, which the hardware (and soft-float) operation the interpreter runs
    /// on values it cannot see quiets. The spec suite's `nan:arithmetic` assertions check
    /// the same on the host and on the Cortex-M4 (FPU for f32, soft-float for f64).
    #[test]
    #[cfg_attr(
        miri,
        ignore = "Rust's float semantics (RFC 3514), which Miri follows, let an operation \
                  return a signalling NaN operand unquieted; the hardware does not"
    )]
    fn signalling_nan_operands_give_arithmetic_nans() {
        use core::hint::black_box as bb;
        assert!(is_arithmetic_f32(f32_add(bb(f32b(F32_SNAN)), bb(1.0))));
        assert!(is_arithmetic_f32(f32_div(bb(1.0), bb(f32b(F32_NEG_SNAN)))));
        assert!(is_arithmetic_f64(f64_mul(bb(f64b(F64_SNAN)), bb(1.0))));
        assert!(is_arithmetic_f64(f64_sub(bb(1.0), bb(f64b(F64_NEG_SNAN)))));
    }

    // --- trapping truncations ---

    #[test]
    fn i32_trunc_f32_s_boundaries() {
        assert_eq!(i32_trunc_f32_s(-2147483648.0), Ok(i32::MIN));
        assert_eq!(i32_trunc_f32_s(2147483520.0), Ok(2147483520)); // largest f32 < 2^31
        assert_eq!(i32_trunc_f32_s(2147483648.0), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f32_s(-2147483904.0), Err(IntegerOverflow)); // next below -2^31
        assert_eq!(i32_trunc_f32_s(-1.9), Ok(-1));
        assert_eq!(i32_trunc_f32_s(1.9), Ok(1));
        assert_eq!(i32_trunc_f32_s(-0.0), Ok(0));
        assert_eq!(i32_trunc_f32_s(f32::from_bits(1)), Ok(0));
        assert_eq!(i32_trunc_f32_s(f32::INFINITY), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f32_s(f32::NEG_INFINITY), Err(IntegerOverflow));
        for nan in [F32_NAN, F32_NEG_NAN, F32_SNAN, F32_NEG_SNAN] {
            assert_eq!(i32_trunc_f32_s(f32b(nan)), Err(InvalidConversion));
        }
    }

    #[test]
    fn i32_trunc_f32_u_boundaries() {
        assert_eq!(i32_trunc_f32_u(-0.99999994), Ok(0));
        assert_eq!(i32_trunc_f32_u(-0.0), Ok(0));
        assert_eq!(i32_trunc_f32_u(-1.0), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f32_u(2147483648.0), Ok(i32::MIN));
        assert_eq!(i32_trunc_f32_u(4294967040.0), Ok(0xffff_ff00_u32 as i32)); // largest < 2^32
        assert_eq!(i32_trunc_f32_u(4294967296.0), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f32_u(f32::INFINITY), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f32_u(f32::NEG_INFINITY), Err(IntegerOverflow));
        for nan in [F32_NAN, F32_NEG_NAN, F32_SNAN, F32_NEG_SNAN] {
            assert_eq!(i32_trunc_f32_u(f32b(nan)), Err(InvalidConversion));
        }
    }

    #[test]
    fn i32_trunc_f64_s_boundaries() {
        assert_eq!(i32_trunc_f64_s(-2147483648.9), Ok(i32::MIN));
        assert_eq!(i32_trunc_f64_s(-2147483648.0), Ok(i32::MIN));
        assert_eq!(i32_trunc_f64_s(-2147483649.0), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f64_s(2147483647.9), Ok(i32::MAX));
        assert_eq!(i32_trunc_f64_s(2147483648.0), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f64_s(-1.5), Ok(-1));
        assert_eq!(i32_trunc_f64_s(f64::INFINITY), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f64_s(f64::NEG_INFINITY), Err(IntegerOverflow));
        for nan in [F64_NAN, F64_NEG_NAN, F64_SNAN, F64_NEG_SNAN] {
            assert_eq!(i32_trunc_f64_s(f64b(nan)), Err(InvalidConversion));
        }
    }

    #[test]
    fn i32_trunc_f64_u_boundaries() {
        assert_eq!(i32_trunc_f64_u(-0.9999999999999999), Ok(0));
        assert_eq!(i32_trunc_f64_u(-1.0), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f64_u(4294967295.9), Ok(-1));
        assert_eq!(i32_trunc_f64_u(4294967296.0), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f64_u(1e16), Err(IntegerOverflow));
        assert_eq!(i32_trunc_f64_u(f64::INFINITY), Err(IntegerOverflow));
        for nan in [F64_NAN, F64_NEG_NAN, F64_SNAN, F64_NEG_SNAN] {
            assert_eq!(i32_trunc_f64_u(f64b(nan)), Err(InvalidConversion));
        }
    }

    #[test]
    fn i64_trunc_f32_boundaries() {
        assert_eq!(i64_trunc_f32_s(-9223372036854775808.0), Ok(i64::MIN));
        assert_eq!(
            i64_trunc_f32_s(9223371487098961920.0),
            Ok(9223371487098961920)
        ); // 2^63-2^39
        assert_eq!(i64_trunc_f32_s(9223372036854775808.0), Err(IntegerOverflow));
        assert_eq!(
            i64_trunc_f32_s(-9223373136366403584.0),
            Err(IntegerOverflow)
        ); // -2^63-2^40
        assert_eq!(i64_trunc_f32_s(f32::NEG_INFINITY), Err(IntegerOverflow));
        assert_eq!(i64_trunc_f32_s(f32b(F32_SNAN)), Err(InvalidConversion));
        assert_eq!(i64_trunc_f32_u(-0.99999994), Ok(0));
        assert_eq!(i64_trunc_f32_u(-1.0), Err(IntegerOverflow));
        // Largest f32 below 2^64 is 2^64 - 2^40.
        assert_eq!(
            i64_trunc_f32_u(18446742974197923840.0),
            Ok(0xffff_ff00_0000_0000_u64 as i64)
        );
        assert_eq!(
            i64_trunc_f32_u(18446744073709551616.0),
            Err(IntegerOverflow)
        );
        assert_eq!(i64_trunc_f32_u(f32::INFINITY), Err(IntegerOverflow));
        assert_eq!(i64_trunc_f32_u(f32b(F32_NEG_NAN)), Err(InvalidConversion));
    }

    #[test]
    fn i64_trunc_f64_boundaries() {
        assert_eq!(i64_trunc_f64_s(-9223372036854775808.0), Ok(i64::MIN));
        assert_eq!(
            i64_trunc_f64_s(9223372036854774784.0),
            Ok(9223372036854774784)
        ); // 2^63-1024
        assert_eq!(i64_trunc_f64_s(9223372036854775808.0), Err(IntegerOverflow));
        assert_eq!(
            i64_trunc_f64_s(-9223372036854777856.0),
            Err(IntegerOverflow)
        ); // -2^63-2048
        assert_eq!(i64_trunc_f64_s(-1.9), Ok(-1));
        assert_eq!(i64_trunc_f64_s(f64::INFINITY), Err(IntegerOverflow));
        assert_eq!(i64_trunc_f64_s(f64b(F64_NEG_SNAN)), Err(InvalidConversion));
        assert_eq!(i64_trunc_f64_u(-0.9999999999999999), Ok(0));
        assert_eq!(i64_trunc_f64_u(-1.0), Err(IntegerOverflow));
        // Largest f64 below 2^64 is 2^64 - 2048.
        assert_eq!(i64_trunc_f64_u(18446744073709549568.0), Ok(-2048));
        assert_eq!(
            i64_trunc_f64_u(18446744073709551616.0),
            Err(IntegerOverflow)
        );
        assert_eq!(i64_trunc_f64_u(9223372036854775808.0), Ok(i64::MIN));
        assert_eq!(i64_trunc_f64_u(f64::NEG_INFINITY), Err(IntegerOverflow));
        assert_eq!(i64_trunc_f64_u(f64b(F64_NAN)), Err(InvalidConversion));
    }

    // --- saturating truncations ---

    #[test]
    fn saturating_truncations_clamp_and_map_nan_to_zero() {
        // These rely on Rust's `as` saturating; the test pins that down.
        for nan in [F32_NAN, F32_NEG_NAN, F32_SNAN, F32_NEG_SNAN] {
            let x = f32b(nan);
            assert_eq!((i32_trunc_sat_f32_s(x), i32_trunc_sat_f32_u(x)), (0, 0));
            assert_eq!((i64_trunc_sat_f32_s(x), i64_trunc_sat_f32_u(x)), (0, 0));
        }
        for nan in [F64_NAN, F64_NEG_NAN, F64_SNAN, F64_NEG_SNAN] {
            let x = f64b(nan);
            assert_eq!((i32_trunc_sat_f64_s(x), i32_trunc_sat_f64_u(x)), (0, 0));
            assert_eq!((i64_trunc_sat_f64_s(x), i64_trunc_sat_f64_u(x)), (0, 0));
        }
        assert_eq!(i32_trunc_sat_f32_s(2147483648.0), i32::MAX);
        assert_eq!(i32_trunc_sat_f32_s(-2147483904.0), i32::MIN);
        assert_eq!(i32_trunc_sat_f32_s(f32::INFINITY), i32::MAX);
        assert_eq!(i32_trunc_sat_f32_s(-1.9), -1);
        assert_eq!(i32_trunc_sat_f32_u(-1.0), 0);
        assert_eq!(i32_trunc_sat_f32_u(f32::NEG_INFINITY), 0);
        assert_eq!(i32_trunc_sat_f32_u(4294967296.0), -1);
        assert_eq!(i32_trunc_sat_f32_u(-0.99999994), 0);
        assert_eq!(i32_trunc_sat_f64_s(-2147483649.0), i32::MIN);
        assert_eq!(i32_trunc_sat_f64_s(-2147483648.9), i32::MIN);
        assert_eq!(i32_trunc_sat_f64_s(2147483647.9), i32::MAX);
        assert_eq!(i32_trunc_sat_f64_s(1e300), i32::MAX);
        assert_eq!(i32_trunc_sat_f64_u(4294967295.9), -1);
        assert_eq!(i32_trunc_sat_f64_u(4294967296.0), -1);
        assert_eq!(i32_trunc_sat_f64_u(-1e300), 0);
        assert_eq!(i64_trunc_sat_f32_s(9223372036854775808.0), i64::MAX);
        assert_eq!(i64_trunc_sat_f32_s(f32::NEG_INFINITY), i64::MIN);
        assert_eq!(i64_trunc_sat_f32_u(18446744073709551616.0), -1);
        assert_eq!(i64_trunc_sat_f32_u(-5.0), 0);
        assert_eq!(i64_trunc_sat_f64_s(9223372036854775808.0), i64::MAX);
        assert_eq!(i64_trunc_sat_f64_s(-9223372036854777856.0), i64::MIN);
        assert_eq!(i64_trunc_sat_f64_s(-9223372036854775808.0), i64::MIN);
        assert_eq!(i64_trunc_sat_f64_u(18446744073709549568.0), -2048);
        assert_eq!(i64_trunc_sat_f64_u(f64::INFINITY), -1);
        assert_eq!(i64_trunc_sat_f64_u(-0.9999999999999999), 0);
    }

    // --- integer to float ---

    #[test]
    fn int_to_f32_rounds_to_nearest_even() {
        assert_eq!(f32_convert_i32_s(16777217), 16777216.0); // tie, to even
        assert_eq!(f32_convert_i32_s(16777219), 16777220.0); // tie, to even (up)
        assert_eq!(f32_convert_i32_s(-16777217), -16777216.0);
        assert_eq!(f32_convert_i32_s(i32::MIN), -2147483648.0);
        assert_eq!(f32_convert_i32_s(i32::MAX), 2147483648.0);
        assert_eq!(f32_convert_i32_u(-1), 4294967296.0);
        assert_eq!(f32_convert_i32_u(i32::MIN), 2147483648.0);
        assert_eq!(f32_convert_i32_u(0x8000_0081_u32 as i32), 2147483904.0); // above the tie
        assert_eq!(f32_convert_i64_s(i64::MAX), 9223372036854775808.0);
        assert_eq!(f32_convert_i64_s(i64::MIN), -9223372036854775808.0);
        // 2^53 + 2^29 + 1: a single rounding goes up; rounding via f64 first would tie
        // and go down to even.
        assert_eq!(
            f32_convert_i64_s(0x0020_0000_2000_0001).to_bits(),
            0x5a00_0001
        );
        assert_eq!(
            f32_convert_i64_s(0xffdf_ffff_dfff_ffff_u64 as i64).to_bits(),
            0xda00_0001
        );
        assert_eq!(
            f32_convert_i64_u(0x7fff_ffff_ffff_ffff),
            9223372036854775808.0
        );
        assert_eq!(f32_convert_i64_u(-1), 18446744073709551616.0);
        assert_eq!(
            f32_convert_i64_u(0x8000_0080_0000_0001_u64 as i64).to_bits(),
            0x5f00_0001
        );
        assert_eq!(
            f32_convert_i64_u(0x8000_0080_0000_0000_u64 as i64).to_bits(),
            0x5f00_0000
        );
        assert_eq!(
            f32_convert_i64_u(0xffff_ff7f_ffff_ffff_u64 as i64).to_bits(),
            0x5f7f_ffff
        );
    }

    #[test]
    fn int_to_f64_rounds_to_nearest_even() {
        assert_eq!(f64_convert_i32_s(i32::MIN), -2147483648.0);
        assert_eq!(f64_convert_i32_u(-1), 4294967295.0);
        assert_eq!(f64_convert_i64_s(9007199254740993), 9007199254740992.0); // tie, to even
        assert_eq!(f64_convert_i64_s(9007199254740995), 9007199254740996.0); // tie, to even
        assert_eq!(f64_convert_i64_s(-9007199254740993), -9007199254740992.0);
        assert_eq!(f64_convert_i64_s(i64::MAX), 9223372036854775808.0);
        assert_eq!(f64_convert_i64_s(i64::MIN), -9223372036854775808.0);
        // 2^64 - 2049 is closer to 2^64 - 2048 than to 2^64 - 4096.
        assert_eq!(
            f64_convert_i64_u(0xffff_ffff_ffff_f7ff_u64 as i64),
            18446744073709549568.0
        );
        // 2^64 - 1024 ties between 2^64 - 2048 and 2^64; the even one is 2^64.
        assert_eq!(
            f64_convert_i64_u(0xffff_ffff_ffff_fc00_u64 as i64),
            18446744073709551616.0
        );
        assert_eq!(
            f64_convert_i64_u(0xffff_ffff_ffff_fbff_u64 as i64),
            18446744073709549568.0
        );
        assert_eq!(f64_convert_i64_u(-1), 18446744073709551616.0);
        assert_eq!(f64_convert_i64_u(i64::MIN), 9223372036854775808.0);
        assert_eq!(
            f64_convert_i64_u(0x8000_0000_0000_0401_u64 as i64).to_bits(),
            0x43e0_0000_0000_0001
        );
        assert_eq!(
            f64_convert_i64_u(0x8000_0000_0000_0400_u64 as i64).to_bits(),
            0x43e0_0000_0000_0000
        );
    }

    // --- float to float ---

    #[test]
    fn demote_rounds_and_handles_nan() {
        assert_eq!(f32_demote_f64(f64b(F64_NAN)).to_bits(), F32_NAN);
        assert_eq!(f32_demote_f64(f64b(F64_NEG_NAN)).to_bits(), F32_NEG_NAN);
        // A signalling NaN comes out quiet; its top payload bits are kept.
        assert_eq!(f32_demote_f64(f64b(F64_SNAN)).to_bits(), 0x7fe0_0000);
        assert_eq!(
            f32_demote_f64(f64b(F64_NEG_SNAN)).to_bits(),
            0xffc0_0000 | 0x20_0000
        );
        // Payload bits only below the f32 payload's reach: still a NaN, quiet.
        assert!(is_arithmetic_f32(f32_demote_f64(f64b(
            0x7ff0_0000_0000_0001
        ))));
        assert_eq!(f32_demote_f64(f64::INFINITY), f32::INFINITY);
        assert_eq!(f32_demote_f64(-0.0).to_bits(), 0x8000_0000);
        assert_eq!(f32_demote_f64(1e-50).to_bits(), 0);
        assert_eq!(f32_demote_f64(-1e-50).to_bits(), 0x8000_0000);
        assert_eq!(f32_demote_f64(f64::MAX), f32::INFINITY);
        // f32::MAX + half an ulp ties to the even neighbour, infinity; just below stays MAX.
        assert_eq!(f32_demote_f64(f64b(0x47ef_ffff_f000_0000)), f32::INFINITY);
        assert_eq!(f32_demote_f64(f64b(0x47ef_ffff_efff_ffff)), f32::MAX);
        // 1 + 2^-24 ties to 1.0; a bit more rounds up.
        assert_eq!(f32_demote_f64(1.0 + pow2(-24)), 1.0);
        assert_eq!(
            f32_demote_f64(1.0 + pow2(-24) + pow2(-52)),
            1.0 + f32::EPSILON
        );
        // Smallest f32 subnormal, and half of it (ties to even zero).
        assert_eq!(f32_demote_f64(pow2(-149)).to_bits(), 1);
        assert_eq!(f32_demote_f64(pow2(-150)).to_bits(), 0);
    }

    #[test]
    fn promote_is_exact_and_handles_nan() {
        assert_eq!(f64_promote_f32(f32b(F32_NAN)).to_bits(), F64_NAN);
        assert_eq!(f64_promote_f32(f32b(F32_NEG_NAN)).to_bits(), F64_NEG_NAN);
        assert_eq!(
            f64_promote_f32(f32b(F32_SNAN)).to_bits(),
            0x7ffc_0000_0000_0000
        );
        assert_eq!(
            f64_promote_f32(f32b(F32_NEG_SNAN)).to_bits(),
            0xfffc_0000_2000_0000
        );
        assert_eq!(
            f64_promote_f32(f32b(0x7f80_0001)).to_bits(),
            0x7ff8_0000_2000_0000
        );
        assert_eq!(f64_promote_f32(f32::NEG_INFINITY), f64::NEG_INFINITY);
        assert_eq!(f64_promote_f32(-0.0).to_bits(), F64_SIGN);
        assert_eq!(f64_promote_f32(f32b(1)), pow2(-149));
        assert_eq!(f64_promote_f32(f32::MAX), f32::MAX as f64);
        assert_eq!(f64_promote_f32(0.1), 0.10000000149011612);
        // Round trip of every finite class is exact.
        for x in [
            1.5_f32,
            -3.25,
            f32::MIN_POSITIVE,
            f32b(0x0000_0abc),
            f32::MIN,
        ] {
            assert_eq!(f32_demote_f64(f64_promote_f32(x)).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn reinterpretations_are_bit_exact() {
        assert_eq!(i32_reinterpret_f32(f32b(F32_SNAN)), 0x7fa0_0000);
        assert_eq!(i32_reinterpret_f32(-0.0), i32::MIN);
        assert_eq!(f32_reinterpret_i32(0x7fa0_0000).to_bits(), F32_SNAN);
        assert_eq!(
            f32_reinterpret_i32(F32_NEG_SNAN as i32).to_bits(),
            F32_NEG_SNAN
        );
        assert_eq!(i64_reinterpret_f64(f64b(F64_NEG_SNAN)), F64_NEG_SNAN as i64);
        assert_eq!(f64_reinterpret_i64(F64_SNAN as i64).to_bits(), F64_SNAN);
        assert_eq!(f64_reinterpret_i64(1.5f64.to_bits() as i64), 1.5);
    }
}
