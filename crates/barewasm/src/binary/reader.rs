//! A zero-copy cursor over module bytes (spec 5.1-5.2: conventions and values).
//!
//! The reader never copies: it hands out sub-slices of the module, which in firmware live in
//! flash. Positions are absolute offsets into the whole module so every error can say where
//! it happened. LEB128 decoding has an inlined one-byte fast path (most immediates are small)
//! and a cold general path, the approach wasmparser takes.

use crate::error::{Error, ErrorKind, Result};

/// A cursor over `module[pos..end]`.
///
/// It keeps `module[..end]`, so that one comparison (`get(pos)`) both bounds the read
/// and checks for the end, and no read can panic.
#[derive(Clone, Debug)]
pub struct Reader<'wasm> {
    bytes: &'wasm [u8],
    pos: usize,
}

impl<'wasm> Reader<'wasm> {
    /// A reader over the whole of `bytes`.
    pub fn new(bytes: &'wasm [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// A reader over `bytes[start..end]` that reports offsets relative to `bytes`.
    ///
    /// The range is clamped to the input, so a bad range yields `UnexpectedEnd` on read.
    /// Out of line: its thirty-odd uses, inlined, took 0.6 KB of flash at opt-level "z".
    #[inline(never)]
    pub fn at(bytes: &'wasm [u8], start: usize, end: usize) -> Self {
        let bytes = bytes.get(..end).unwrap_or(bytes);
        Reader {
            bytes,
            pos: start.min(bytes.len()),
        }
    }

    /// The absolute offset of the next byte.
    #[inline]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The absolute offset one past the last readable byte.
    #[inline]
    pub fn end(&self) -> usize {
        self.bytes.len()
    }

    /// Whether every byte has been read.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.bytes.len()
    }

    /// Bytes left to read.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.pos)
    }

    /// The bytes left to read.
    pub fn rest(&self) -> &'wasm [u8] {
        self.bytes.get(self.pos..).unwrap_or(&[])
    }

    /// An error of `kind` at the current position.
    #[cold]
    pub fn err(&self, kind: ErrorKind) -> Error {
        Error::new(kind, self.pos)
    }

    #[cold]
    fn eof(&self) -> Error {
        Error::new(ErrorKind::UnexpectedEnd, self.pos)
    }

    /// Reads one byte.
    #[inline]
    pub fn u8(&mut self) -> Result<u8> {
        match self.bytes.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.eof()),
        }
    }

    /// Looks at the next byte without consuming it.
    #[inline]
    pub fn peek(&self) -> Result<u8> {
        self.bytes.get(self.pos).copied().ok_or_else(|| self.eof())
    }

    /// Reads `n` bytes as a slice of the module.
    pub fn bytes(&mut self, n: usize) -> Result<&'wasm [u8]> {
        let s = self
            .bytes
            .get(self.pos..)
            .and_then(|rest| rest.get(..n))
            .ok_or_else(|| self.eof())?;
        self.pos += n;
        Ok(s)
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> Result<()> {
        self.bytes(n).map(|_| ())
    }

    /// Reads a little-endian u32 (the binary version field, f32 bits).
    pub fn fixed_u32(&mut self) -> Result<u32> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes(b.try_into().unwrap_or_default()))
    }

    /// Reads a little-endian u64 (f64 bits).
    pub fn fixed_u64(&mut self) -> Result<u64> {
        let b = self.bytes(8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or_default()))
    }

    /// Reads an unsigned 32-bit LEB128 (`u32` in the spec).
    #[inline]
    pub fn u32(&mut self) -> Result<u32> {
        if let Some(&b) = self.bytes.get(self.pos) {
            if b & 0x80 == 0 {
                self.pos += 1;
                return Ok(b as u32);
            }
        }
        self.u32_slow()
    }

    #[cold]
    fn u32_slow(&mut self) -> Result<u32> {
        let mut result: u32 = 0;
        let mut shift = 0;
        loop {
            let b = self.u8()?;
            if shift == 28 {
                // Fifth byte: only the low 4 bits may be used, and no continuation.
                if b & 0x80 != 0 {
                    return Err(Error::new(ErrorKind::IntegerTooLong, self.pos - 1));
                }
                if b & 0x70 != 0 {
                    return Err(Error::new(ErrorKind::IntegerTooLarge, self.pos - 1));
                }
            }
            result |= ((b & 0x7f) as u32) << shift;
            if b & 0x80 == 0 {
                return Ok(result);
            }
            shift += 7;
        }
    }

    /// Reads an unsigned 64-bit LEB128 (memory limits under the custom-page-sizes encoding).
    pub fn u64(&mut self) -> Result<u64> {
        let mut result: u64 = 0;
        let mut shift = 0;
        loop {
            let b = self.u8()?;
            if shift == 63 {
                if b & 0x80 != 0 {
                    return Err(Error::new(ErrorKind::IntegerTooLong, self.pos - 1));
                }
                if b & 0x7e != 0 {
                    return Err(Error::new(ErrorKind::IntegerTooLarge, self.pos - 1));
                }
            }
            result |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Ok(result);
            }
            shift += 7;
        }
    }

    /// Reads a `u32` LEB128 that counts or indexes something, as a `usize`.
    #[inline]
    pub fn count(&mut self) -> Result<usize> {
        self.u32().map(|n| n as usize)
    }

    /// Reads a signed 32-bit LEB128.
    #[inline]
    pub fn i32(&mut self) -> Result<i32> {
        if let Some(&b) = self.bytes.get(self.pos) {
            if b & 0x80 == 0 {
                self.pos += 1;
                // Sign-extend the 7-bit payload.
                return Ok(((b << 1) as i8 >> 1) as i32);
            }
        }
        self.i32_slow()
    }

    /// [`Self::i32`] past one byte: [`Self::signed_slow`] specialised to 32 bits, as
    /// constants of two to five bytes are common in code (a fifth of rustc's `i32.const`s).
    #[cold]
    fn i32_slow(&mut self) -> Result<i32> {
        let mut result: u32 = 0;
        let mut shift = 0;
        loop {
            let b = self.u8()?;
            if shift == 28 {
                // Fifth byte: 4 payload bits, the highest the sign, which the 3 unused
                // bits above it must repeat; and no continuation.
                if b & 0x80 != 0 {
                    return Err(Error::new(ErrorKind::IntegerTooLong, self.pos - 1));
                }
                if !matches!(b & 0x78, 0 | 0x78) {
                    return Err(Error::new(ErrorKind::IntegerTooLarge, self.pos - 1));
                }
                return Ok((result | (b as u32) << 28) as i32);
            }
            result |= ((b & 0x7f) as u32) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                // Sign-extend from the payload's top bit.
                let unused = 32 - shift;
                return Ok(((result << unused) as i32) >> unused);
            }
        }
    }

    /// Reads a signed 64-bit LEB128.
    #[inline]
    pub fn i64(&mut self) -> Result<i64> {
        if let Some(&b) = self.bytes.get(self.pos) {
            if b & 0x80 == 0 {
                self.pos += 1;
                return Ok(((b << 1) as i8 >> 1) as i64);
            }
        }
        self.signed_slow(64)
    }

    /// Reads a signed 33-bit LEB128 (block types with a type index).
    pub fn s33(&mut self) -> Result<i64> {
        self.signed_slow(33)
    }

    /// General signed LEB128 of `bits` bits (32, 33 or 64).
    #[cold]
    fn signed_slow(&mut self, bits: u32) -> Result<i64> {
        let max_bytes = bits.div_ceil(7);
        let mut result: i64 = 0;
        let mut shift: u32 = 0;
        let mut n = 0;
        loop {
            let b = self.u8()?;
            n += 1;
            if n == max_bytes {
                if b & 0x80 != 0 {
                    return Err(Error::new(ErrorKind::IntegerTooLong, self.pos - 1));
                }
                // The last byte's unused high bits must all repeat the sign bit: take the
                // sign bit and everything above it, which must be all zeros or all ones.
                let used = bits - shift; // payload bits in this byte, 1..=7
                let sign_and_unused = (b & 0x7f) >> (used - 1);
                if sign_and_unused != 0 && sign_and_unused != (0x7f >> (used - 1)) {
                    return Err(Error::new(ErrorKind::IntegerTooLarge, self.pos - 1));
                }
            }
            result |= ((b & 0x7f) as i64) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && (b & 0x40) != 0 {
                    result |= -1i64 << shift;
                }
                return Ok(result);
            }
        }
    }

    /// Reads a name: a length-prefixed UTF-8 string (spec 5.2.4).
    pub fn name(&mut self) -> Result<&'wasm str> {
        let len = self.count()?;
        let start = self.pos;
        let b = self.bytes(len)?;
        core::str::from_utf8(b).map_err(|_| Error::new(ErrorKind::BadUtf8, start))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_of(b: &[u8]) -> Result<u32> {
        Reader::new(b).u32()
    }
    fn i32_of(b: &[u8]) -> Result<i32> {
        Reader::new(b).i32()
    }
    fn i64_of(b: &[u8]) -> Result<i64> {
        Reader::new(b).i64()
    }

    #[test]
    fn unsigned_leb() {
        assert_eq!(u32_of(&[0x00]), Ok(0));
        assert_eq!(u32_of(&[0x7f]), Ok(127));
        assert_eq!(u32_of(&[0x80, 0x01]), Ok(128));
        assert_eq!(u32_of(&[0xff, 0xff, 0xff, 0xff, 0x0f]), Ok(u32::MAX));
        // Padded encodings are allowed up to the maximum length.
        assert_eq!(u32_of(&[0x85, 0x80, 0x80, 0x80, 0x00]), Ok(5));
        assert_eq!(
            u32_of(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x00])
                .unwrap_err()
                .kind(),
            ErrorKind::IntegerTooLong
        );
        assert_eq!(
            u32_of(&[0xff, 0xff, 0xff, 0xff, 0x1f]).unwrap_err().kind(),
            ErrorKind::IntegerTooLarge
        );
        let e = u32_of(&[0x80, 0x80]).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::UnexpectedEnd, 2));
    }

    /// The 32-bit fast path agrees with the general decoder, value, error and position,
    /// on every value of up to 14 bits in every length (padded or cut short), and on five-byte encodings with
    /// every last byte.
    #[test]
    fn i32_agrees_with_the_general_decoder() {
        let check = |b: &[u8]| {
            let mut fast = Reader::new(b);
            let mut general = Reader::new(b);
            let want = general.signed_slow(32).map(|v| v as i32);
            assert_eq!(fast.i32(), want, "{b:x?}");
            assert_eq!(fast.pos(), general.pos(), "{b:x?}");
        };
        // Under Miri every 61st value (all of them took it over three minutes).
        let step = if cfg!(miri) { 61 } else { 1 };
        for v in (-(1i32 << 13)..(1 << 13)).step_by(step) {
            let v = v as u32;
            for len in 1..=5 {
                let mut b = [0u8; 6];
                for (k, byte) in b.iter_mut().enumerate().take(len) {
                    let more = if k + 1 < len { 0x80 } else { 0 };
                    *byte = ((v >> (7 * k).min(31)) & 0x7f) as u8 | more;
                }
                check(&b[..len]);
                check(&b[..len - 1]);
            }
        }
        for last in 0..=255u8 {
            check(&[0x80, 0xff, 0x80, 0xff, last, 0x00]);
            check(&[0xff, 0xff, 0xff, 0xff, last, 0x00]);
        }
    }

    #[test]
    fn signed_leb() {
        assert_eq!(i32_of(&[0x7f]), Ok(-1));
        assert_eq!(i32_of(&[0x3f]), Ok(63));
        assert_eq!(i32_of(&[0x40]), Ok(-64));
        assert_eq!(i32_of(&[0x80, 0x7f]), Ok(-128));
        assert_eq!(i32_of(&[0xff, 0xff, 0xff, 0xff, 0x07]), Ok(i32::MAX));
        assert_eq!(i32_of(&[0x80, 0x80, 0x80, 0x80, 0x78]), Ok(i32::MIN));
        assert_eq!(i32_of(&[0xff, 0xff, 0xff, 0xff, 0x7f]), Ok(-1));
        assert_eq!(
            i32_of(&[0xff, 0xff, 0xff, 0xff, 0x0f]).unwrap_err().kind(),
            ErrorKind::IntegerTooLarge
        );
        assert_eq!(
            i32_of(&[0x80, 0x80, 0x80, 0x80, 0x70]).unwrap_err().kind(),
            ErrorKind::IntegerTooLarge
        );
        assert_eq!(
            i32_of(&[0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])
                .unwrap_err()
                .kind(),
            ErrorKind::IntegerTooLong
        );
        assert_eq!(
            i64_of(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00]),
            Ok(i64::MAX)
        );
        assert_eq!(
            i64_of(&[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]),
            Ok(i64::MIN)
        );
        assert_eq!(
            i64_of(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
                .unwrap_err()
                .kind(),
            ErrorKind::IntegerTooLarge
        );
        assert_eq!(
            i64_of(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7e])
                .unwrap_err()
                .kind(),
            ErrorKind::IntegerTooLarge
        );
        assert_eq!(Reader::new(&[0x40]).s33(), Ok(-64));
        assert_eq!(
            Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f]).s33(),
            Ok(u32::MAX as i64)
        );
        assert_eq!(
            Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x1f])
                .s33()
                .unwrap_err()
                .kind(),
            ErrorKind::IntegerTooLarge
        );
    }

    #[test]
    fn unsigned_leb64() {
        assert_eq!(
            Reader::new(&[0x80, 0x80, 0x80, 0x80, 0x10]).u64(),
            Ok(1 << 32)
        );
        let max = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
        assert_eq!(Reader::new(&max).u64(), Ok(u64::MAX));
        let big = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x03];
        assert_eq!(
            Reader::new(&big).u64().unwrap_err().kind(),
            ErrorKind::IntegerTooLarge
        );
    }

    #[test]
    fn names_are_utf8() {
        assert_eq!(Reader::new(&[2, b'h', b'i']).name(), Ok("hi"));
        assert_eq!(
            Reader::new(&[1, 0xff]).name().unwrap_err().kind(),
            ErrorKind::BadUtf8
        );
        assert_eq!(
            Reader::new(&[5, b'h']).name().unwrap_err().kind(),
            ErrorKind::UnexpectedEnd
        );
    }

    #[test]
    fn offsets_are_absolute() {
        let bytes = [0u8, 0, 0, 0x80];
        let e = Reader::at(&bytes, 3, 4).u32().unwrap_err();
        assert_eq!(e.offset(), 4);
    }
}
