//! f64 addition, subtraction, multiplication and division on integer operations, for
//! targets without double-precision hardware (the Cortex-M4F's FPU is single precision).
//!
//! **Why.** There Rust's f64 operators call compiler-builtins' routines, which are written
//! for speed: 2.6 KB of Cortex-M4 flash for the four. These share one rounding step and
//! one unpacking step, and divide 11 quotient bits at a time (with the 32-bit hardware
//! divider), in about half of that (1.4 KB at `opt-level = "z"`, helpers included), for
//! 1.1x compiler-builtins' instructions on addition and multiplication and 1.4x on
//! division (the README's "f64 on the Cortex-M4").
//! [`super::numeric`] uses them where [`HARDWARE`] is false.
//!
//! **Method.** The structure of Berkeley SoftFloat (J. Hauser): operands are unpacked to an
//! exponent and a significand, the exact result is formed with at least two extra bits
//! and a *sticky* bit (the OR of every bit shifted out), and [`round_pack`] rounds to
//! nearest, ties to even, once, handling overflow to infinity and underflow to subnormals.
//!
//! **NaNs.** A NaN operand gives that NaN (the first one) with its quiet bit set, and an
//! invalid operation (`inf - inf`, `0 * inf`, `0 / 0`, `inf / inf`) the positive canonical
//! NaN: within the set the spec allows (4.3.3), as the operators' results are.

// Only some targets call these; the unit tests run them everywhere.
#![allow(dead_code)]

/// Whether this target has f64 hardware, so that [`super::numeric`] uses Rust's operators.
pub(crate) const HARDWARE: bool = cfg!(any(
    target_pointer_width = "64",
    target_feature = "fp64",
    target_feature = "d"
));

const SIGN: u64 = 1 << 63;
const FRACTION: u64 = (1 << 52) - 1;
const INFINITY: u64 = 0x7ff0_0000_0000_0000;
const QUIET: u64 = 1 << 51;
const CANONICAL_NAN: u64 = 0x7ff8_0000_0000_0000;

fn is_nan(bits: u64) -> bool {
    bits & !SIGN > INFINITY
}

/// The first NaN of `a` and `b`, quieted.
fn propagate(a: u64, b: u64) -> u64 {
    (if is_nan(a) { a } else { b }) | QUIET
}

/// A finite, non-zero operand as (e, m): its value is m * 2^(e - 1075) with m's leading
/// one at bit 52; subnormals are normalised, so their e is 1 or less.
fn unpack(bits: u64) -> (i32, u64) {
    let field = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & FRACTION;
    if field == 0 {
        let shift = fraction.leading_zeros() as i32 - 11;
        (1 - shift, fraction << shift)
    } else {
        (field, fraction | 1 << 52)
    }
}

/// `x >> n` with the bits shifted out ORed into bit 0 (`n` at least 1).
fn shift_right_jam(x: u64, n: u32) -> u64 {
    if n >= 64 {
        (x != 0) as u64
    } else {
        (x >> n) | ((x << (64 - n)) != 0) as u64
    }
}

/// The f64 (`fraction_bits` 52) or f32 (23) nearest to sig * 2^(e - bias - 61), ties to
/// even, ORed with `sign` (the sign bit in place, or 0). `sig` has its leading one at bit
/// 62: the result's significand bits, then the bits that decide the rounding. An `e` of 0
/// is the smallest normal exponent.
#[inline(always)]
fn round_pack(sign: u64, e: i32, sig: u64, fraction_bits: u32) -> u64 {
    let max_field: u64 = if fraction_bits == 52 { 0x7ff } else { 0xff };
    let (e, sig) = if e < 0 {
        // Below the normal range: the significand slides right to the subnormals' scale,
        // rounding once from there. A carry out of rounding makes the smallest normal.
        (0, shift_right_jam(sig, -e as u32))
    } else if e as u64 >= max_field - 1 {
        return sign | max_field << fraction_bits;
    } else {
        (e, sig)
    };
    let extra = 62 - fraction_bits;
    let half = 1 << (extra - 1);
    let mut rounded = (sig + half) >> extra;
    if sig & ((half << 1) - 1) == half {
        rounded &= !1; // a tie: to even
    }
    // The significand's leading one adds one to the exponent field, and a carry out of
    // rounding one more; reaching the all-ones field is an overflow to infinity.
    let bits = ((e as u64) << fraction_bits) + rounded;
    sign | bits.min(max_field << fraction_bits)
}

/// [`round_pack`] to an f64: one copy with the format's constants folded in (variable
/// 64-bit shifts take several instructions each on a 32-bit core), shared by the
/// arithmetic.
#[inline(never)]
fn round_pack_f64(sign: u64, e: i32, sig: u64) -> u64 {
    round_pack(sign, e, sig, 52)
}

/// [`round_pack`] to an f32 (demotion, integer conversions).
#[inline(never)]
fn round_pack_f32(sign: u64, e: i32, sig: u64) -> u64 {
    round_pack(sign, e, sig, 23)
}

/// The bits of the f64 (`fraction_bits` 52) or f32 (23) nearest to the integer
/// `magnitude`, negated if `negative`, ties to even. Rust's `as` does this too, but on the
/// Cortex-M4 through a compiler-builtins routine per source and target type.
#[inline(always)]
fn from_int(negative: bool, magnitude: u64, fraction_bits: u32) -> u64 {
    if magnitude == 0 {
        return 0; // +0.0, whatever the sign
    }
    let lz = magnitude.leading_zeros();
    let sign = (negative as u64) << (fraction_bits + if fraction_bits == 52 { 11 } else { 8 });
    let bias = if fraction_bits == 52 { 1023 } else { 127 };
    if lz + fraction_bits >= 63 {
        // Exact (every i32 as an f64): the leading one moves to the exponent field's
        // lowest bit, adding one to the biased exponent written one too low. 2.5x
        // faster on the Cortex-M4 than rounding.
        let field = (bias + 62 - lz as i32) as u64;
        return sign | ((field << fraction_bits) + (magnitude << (lz + fraction_bits - 63)));
    }
    let sig = shift_right_jam(magnitude << lz, 1); // the leading one at bit 62
    if fraction_bits == 52 {
        round_pack_f64(sign, bias + 62 - lz as i32, sig)
    } else {
        round_pack_f32(sign, bias + 62 - lz as i32, sig)
    }
}

/// [`from_int`] to an f64, with the format's constants folded in.
#[inline(never)]
pub fn int_to_f64(negative: bool, magnitude: u64) -> u64 {
    from_int(negative, magnitude, 52)
}

/// [`from_int`] to an f32.
#[inline(never)]
pub fn int_to_f32(negative: bool, magnitude: u64) -> u64 {
    from_int(negative, magnitude, 23)
}

/// `a` rounded to f32, ties to even (`f32.demote_f64`). A NaN keeps its sign and the top
/// 23 bits of its payload, and gets the quiet bit. With f64 hardware a number is Rust's
/// `as`, one instruction inline: a call in the interpreter's demote arm had cost the
/// x86-64 interpreter 1.10x its instructions on the bench workloads (callgrind), by
/// changing how the whole loop's registers were allocated.
#[inline]
pub fn narrow(a: f64) -> f32 {
    if HARDWARE && !is_nan(a.to_bits()) {
        a as f32
    } else {
        narrow_bits(a)
    }
}

/// [`narrow`] on integer operations.
#[inline(never)]
fn narrow_bits(a: f64) -> f32 {
    let bits = a.to_bits();
    let sign = (bits >> 32) & 0x8000_0000;
    let magnitude = bits & !SIGN;
    if is_nan(bits) {
        let payload = (magnitude >> 29) & 0x007f_ffff;
        return f32::from_bits((sign | 0x7fc0_0000 | payload) as u32);
    }
    if magnitude == 0 {
        return f32::from_bits(sign as u32);
    }
    if magnitude == INFINITY {
        return f32::from_bits((sign | 0x7f80_0000) as u32);
    }
    let (e, m) = unpack(bits);
    f32::from_bits(round_pack_f32(sign, e - 897, m << 10) as u32)
}

/// `a` as f64, exactly (`f64.promote_f32`). A NaN keeps its sign and payload (in the top
/// payload bits), and gets the quiet bit. With f64 hardware a number is Rust's `as`, as
/// in [`narrow`].
#[inline]
pub fn widen(a: f32) -> f64 {
    if HARDWARE && !a.is_nan() {
        a as f64
    } else {
        widen_bits(a)
    }
}

/// [`widen`] on integer operations.
#[inline(never)]
fn widen_bits(a: f32) -> f64 {
    let bits = a.to_bits();
    let sign = ((bits & 0x8000_0000) as u64) << 32;
    let field = (bits >> 23) & 0xff;
    let fraction = bits & 0x007f_ffff;
    let (field, fraction) = match field {
        0xff if fraction != 0 => (0x7ff, (fraction | 0x0040_0000) as u64), // a NaN
        0xff => (0x7ff, 0),
        0 if fraction == 0 => (0, 0),
        0 => {
            // A subnormal: normal in f64, once its leading one moves to the implicit bit.
            let shift = fraction.leading_zeros() - 8;
            (
                897 - shift as u64,
                ((fraction << shift) & 0x007f_ffff) as u64,
            )
        }
        _ => (field as u64 + 896, fraction as u64),
    };
    f64::from_bits(sign | field << 52 | fraction << 29)
}

/// The 128-bit product of `a` and `b` as (high, low) halves, from 32-bit multiplies.
pub(super) fn mul_wide(a: u64, b: u64) -> (u64, u64) {
    const LOW: u64 = 0xffff_ffff;
    let (a1, a0, b1, b0) = (a >> 32, a & LOW, b >> 32, b & LOW);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let mid = (p00 >> 32) + (p01 & LOW) + (p10 & LOW);
    let high = a1 * b1 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
    (high, (mid << 32) | (p00 & LOW))
}

/// `a + b`.
#[inline(never)]
pub fn add(a: f64, b: f64) -> f64 {
    let (mut x, mut y) = (a.to_bits(), b.to_bits());
    if is_nan(x) || is_nan(y) {
        return f64::from_bits(propagate(x, y));
    }
    // The larger magnitude first: it gives the sign, and the other is shifted to it.
    if x & !SIGN < y & !SIGN {
        core::mem::swap(&mut x, &mut y);
    }
    let subtract = (x ^ y) & SIGN != 0;
    if x & !SIGN == INFINITY {
        let invalid = subtract && y & !SIGN == INFINITY;
        return f64::from_bits(if invalid { CANONICAL_NAN } else { x });
    }
    if y & !SIGN == 0 {
        // y is a zero: x + (±0) is x, but -0 + +0 is +0.
        return f64::from_bits(if x & !SIGN == 0 { x & y } else { x });
    }
    let ((ex, mx), (ey, my)) = (unpack(x), unpack(y));
    let sign = x & SIGN;
    // Significands at bit 62; the smaller one aligned, what falls off kept as sticky.
    let (sx, d) = (mx << 10, (ex - ey) as u32);
    let sy = if d == 0 {
        my << 10
    } else {
        shift_right_jam(my << 10, d)
    };
    if subtract {
        let diff = sx - sy;
        if diff == 0 {
            return 0.0; // exact cancellation is +0
        }
        // Cancellation leaves leading zeros; no sticky bit is set when there are more
        // than one, since the exponents then differed by at most one (exact alignment).
        let shift = diff.leading_zeros() as i32 - 1;
        f64::from_bits(round_pack_f64(sign, ex - 1 - shift, diff << shift))
    } else {
        let sum = sx + sy; // below 2^64: both are below 2^63
        if sum >> 63 != 0 {
            f64::from_bits(round_pack_f64(sign, ex, shift_right_jam(sum, 1)))
        } else {
            f64::from_bits(round_pack_f64(sign, ex - 1, sum))
        }
    }
}

/// `a - b`: `a + (-b)`. A NaN `b` keeps its payload, its sign flipped, which leaves a
/// canonical NaN canonical.
#[inline]
pub fn sub(a: f64, b: f64) -> f64 {
    add(a, f64::from_bits(b.to_bits() ^ SIGN))
}

/// `a * b`.
#[inline(never)]
pub fn mul(a: f64, b: f64) -> f64 {
    let (x, y) = (a.to_bits(), b.to_bits());
    if is_nan(x) || is_nan(y) {
        return f64::from_bits(propagate(x, y));
    }
    let sign = (x ^ y) & SIGN;
    let (mx, my) = (x & !SIGN, y & !SIGN);
    if mx == INFINITY || my == INFINITY {
        // inf * 0 is invalid; inf times anything else is inf.
        let invalid = mx == 0 || my == 0;
        return f64::from_bits(if invalid {
            CANONICAL_NAN
        } else {
            sign | INFINITY
        });
    }
    if mx == 0 || my == 0 {
        return f64::from_bits(sign);
    }
    let ((ex, sx), (ey, sy)) = (unpack(x), unpack(y));
    // sx * 2^10 and sy * 2^11 multiply to [2^125, 2^127): the high half has its leading
    // one at bit 61 or 62, the low half only decides the sticky bit.
    let (high, low) = mul_wide(sx << 10, sy << 11);
    let sig = high | (low != 0) as u64;
    let e = ex + ey - 1023;
    if sig >> 62 == 0 {
        f64::from_bits(round_pack_f64(sign, e - 1, sig << 1))
    } else {
        f64::from_bits(round_pack_f64(sign, e, sig))
    }
}

/// `a / b`.
#[inline(never)]
pub fn div(a: f64, b: f64) -> f64 {
    let (x, y) = (a.to_bits(), b.to_bits());
    if is_nan(x) || is_nan(y) {
        return f64::from_bits(propagate(x, y));
    }
    let sign = (x ^ y) & SIGN;
    let (mx, my) = (x & !SIGN, y & !SIGN);
    if mx == INFINITY || (mx == 0 && my != INFINITY) {
        // inf / inf and 0 / 0 are invalid; inf / y is inf, 0 / y is 0.
        let invalid = mx == my;
        return f64::from_bits(if invalid { CANONICAL_NAN } else { sign | mx });
    }
    if my == INFINITY {
        return f64::from_bits(sign); // finite / inf
    }
    if my == 0 {
        return f64::from_bits(sign | INFINITY); // non-zero / 0
    }
    let ((ex, mut sx), (ey, sy)) = (unpack(x), unpack(y));
    // sx / sy in [1, 2): then the quotient's first bit is a one.
    let mut e = ex - ey + 1022;
    if sx < sy {
        sx <<= 1;
        e -= 1;
    }
    // Long division in base 2^11: the quotient's leading one, then five 11-bit digits, 56
    // bits in all (53 and three for the rounding, the remainder deciding the sticky bit).
    // Each digit is estimated with a 32-bit division, which the Cortex-M3/M4 have in
    // hardware: the remainder's high word over the divisor's plus one. That is never too
    // large and at most one too small (the divisor's high word is at least 2^20, so the
    // estimate is off by under 2^11 / 2^20 of a unit before flooring), so one conditional
    // subtraction corrects it. A wasm loop of divisions ran 3.6x faster on the
    // Cortex-M4 than with one quotient bit per step (1.4x slower than compiler-builtins).
    let (mut q, mut r) = (1u64, sx - sy); // r < sy < 2^53
                                          // sy >> 32, spelt so that the compiler sees it below 2^21: no division-by-zero check.
    let estimate = ((sy >> 21) as u32 >> 11) + 1;
    for _ in 0..5 {
        r <<= 11; // below sy * 2^11 < 2^64
        let mut digit = ((r >> 32) as u32 / estimate) as u64;
        r -= digit * sy;
        if r >= sy {
            r -= sy;
            digit += 1;
        }
        debug_assert!(r < sy, "a quotient digit off by more than one");
        q = q << 11 | digit;
    }
    // q's leading one is at bit 55.
    f64::from_bits(round_pack_f64(sign, e, q << 7 | (r != 0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The next state of a xorshift64 generator (Marsaglia, 2003).
    fn next(x: &mut u64) -> u64 {
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x
    }

    /// Whether `got` is what the spec allows where the host computed `want`: the same
    /// bits, or both NaNs with the quiet bit set (canonical when the inputs' NaNs were).
    fn agrees(got: f64, want: f64, a: f64, b: f64) -> bool {
        let (g, w) = (got.to_bits(), want.to_bits());
        if !is_nan(w) {
            return g == w;
        }
        let canonical_in = [a, b]
            .iter()
            .all(|v| !v.is_nan() || v.to_bits() & !SIGN == CANONICAL_NAN);
        is_nan(g) && g & QUIET != 0 && (!canonical_in || g & !SIGN == CANONICAL_NAN)
    }

    /// Operands that reach every path: any bits, nearby exponents (cancellation and
    /// alignment by a few bits), subnormals, and the special values.
    fn operand(x: &mut u64, kind: u64) -> f64 {
        let r = next(x);
        let special = [
            0,
            SIGN,
            INFINITY,
            INFINITY | SIGN,
            CANONICAL_NAN,
            0x7ff4_0000_0000_0001,
        ];
        f64::from_bits(match kind % 6 {
            0 => r,
            1 => (r & (SIGN | FRACTION)) | (1020 + (r >> 61)) << 52,
            2 => r & (SIGN | FRACTION), // subnormal
            3 => special[(r % 6) as usize],
            4 => (r & (SIGN | FRACTION)) | (2000 + (r >> 59)) << 52, // near overflow
            _ => (r & (SIGN | 0xf)) | (1023 + (r >> 62)) << 52,      // short significands
        })
    }

    #[test]
    fn agrees_with_the_hosts_f64_arithmetic() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for i in 0..if cfg!(miri) { 3_000 } else { 1_000_000 } {
            let k = next(&mut x);
            let a = operand(&mut x, k);
            // The second operand often near the first: cancellation, ties, alignment.
            let b = if k >> 60 < 4 {
                f64::from_bits(a.to_bits() ^ (next(&mut x) >> (40 + (k >> 58) % 24)) ^ (k & SIGN))
            } else {
                operand(&mut x, k >> 8)
            };
            for (name, got, want) in [
                ("+", add(a, b), a + b),
                ("-", sub(a, b), a - b),
                ("*", mul(a, b), a * b),
                ("/", div(a, b), a / b),
            ] {
                assert!(
                    agrees(got, want, a, b),
                    "{i}: {a:e} {name} {b:e} ({:#x} {name} {:#x}) gave {:#x}, want {:#x}",
                    a.to_bits(),
                    b.to_bits(),
                    got.to_bits(),
                    want.to_bits()
                );
            }
        }
    }

    #[test]
    fn conversions_agree_with_rust() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for i in 0..if cfg!(miri) { 3_000 } else { 1_000_000 } {
            let k = next(&mut x);
            // f64 to f32: around f32's range and precision, subnormals and overflow too.
            let a = match k % 3 {
                0 => operand(&mut x, k >> 8),
                1 => f64::from_bits((next(&mut x) & (SIGN | FRACTION)) | (860 + k % 330) << 52),
                _ => f64::from_bits(
                    next(&mut x) & (SIGN | 0xffff_ffff_e000_0000 | 0x1fff_ffff << (k % 2)),
                ),
            };
            if !a.is_nan() {
                assert_eq!(
                    narrow_bits(a).to_bits(),
                    (a as f32).to_bits(),
                    "{i}: {a:e} ({:#x})",
                    a.to_bits()
                );
            }
            let b = f32::from_bits(next(&mut x) as u32);
            if !b.is_nan() {
                assert_eq!(widen_bits(b).to_bits(), (b as f64).to_bits(), "{b:e}");
            }
            // NaNs both ways (numeric's tests check the payloads).
            assert!(narrow_bits(f64::from_bits(INFINITY | 1 | k & SIGN)).is_nan());
            assert!(widen_bits(f32::from_bits(0x7f80_0001 | k as u32 & 0x8000_0000)).is_nan());
            // Integers at every width and around each rounding boundary (runs of ones).
            let v = match k % 4 {
                0 => x,
                1 => x >> (x % 64),
                2 => (u64::MAX >> (x % 64)) << (k % 13),
                _ => (1u64 << (x % 64)) + (k >> 60),
            };
            let s = v as i64;
            assert_eq!(from_int(false, v, 52), (v as f64).to_bits(), "{v}");
            assert_eq!(
                from_int(s < 0, s.unsigned_abs(), 52),
                (s as f64).to_bits(),
                "{s}"
            );
            assert_eq!(from_int(false, v, 23), (v as f32).to_bits() as u64, "{v}");
            assert_eq!(
                from_int(s < 0, s.unsigned_abs(), 23),
                (s as f32).to_bits() as u64,
                "{s}"
            );
        }
    }

    #[test]
    fn rounding_at_the_edges() {
        let cases: [(f64, f64); 8] = [
            (f64::MAX, f64::MAX),      // overflow to inf
            (f64::MIN_POSITIVE, 0.5),  // to the subnormals
            (5e-324, 0.5),             // halfway to zero: ties to even, 0
            (1.5 * 5e-324, 1.0 / 3.0), // subnormal rounding
            (1.0 + f64::EPSILON, 1.0 - f64::EPSILON / 2.0),
            (f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0), // rounds up to the smallest normal
            (-0.0, 0.0),
            (3.0, 1.0 / 3.0),
        ];
        for (a, b) in cases {
            assert!(agrees(mul(a, b), a * b, a, b), "{a:e} * {b:e}");
            assert!(agrees(div(a, b), a / b, a, b), "{a:e} / {b:e}");
            assert!(agrees(add(a, b), a + b, a, b), "{a:e} + {b:e}");
            assert!(agrees(sub(a, b), a - b, a, b), "{a:e} - {b:e}");
        }
        assert_eq!(add(-0.0, -0.0).to_bits(), SIGN);
        assert_eq!(sub(1.0, 1.0).to_bits(), 0);
        assert_eq!(
            add(f64::INFINITY, f64::NEG_INFINITY).to_bits(),
            CANONICAL_NAN
        );
        assert_eq!(mul(0.0, f64::INFINITY).to_bits(), CANONICAL_NAN);
        assert_eq!(div(0.0, -0.0).to_bits(), CANONICAL_NAN);
        assert_eq!(div(-1.0, 0.0), f64::NEG_INFINITY);
    }
}
