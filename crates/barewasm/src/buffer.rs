//! Carving typed regions out of the byte buffers the host hands over.
//!
//! The host gives plain `&mut [u8]` (typically a `static`); the runtime needs aligned
//! `u32`/`u64` slices. `bytemuck` does the aligned cast without `unsafe` in this crate.
//! Bytes lost to alignment at the front are at most 7; [`AlignedBuffer`] avoids even those.

use crate::error::{BufferKind, Error, Result};

/// A byte buffer aligned for the runtime's word tables; declare one as a `static` per
/// buffer the memory plan asks for.
///
/// ```
/// use barewasm::AlignedBuffer;
/// static mut STATE: AlignedBuffer<4096> = AlignedBuffer::new();
/// ```
#[derive(Clone, Debug)]
#[repr(C, align(8))]
pub struct AlignedBuffer<const N: usize>(pub [u8; N]);

impl<const N: usize> AlignedBuffer<N> {
    /// A zeroed buffer (usable in `static` initialisers).
    pub const fn new() -> Self {
        AlignedBuffer([0; N])
    }

    /// The bytes.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl<const N: usize> Default for AlignedBuffer<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// The `u64`-aligned middle of `buf`, and the number of bytes skipped before it.
///
/// The skip is computed from the address, so it is right even when `buf` is too short to
/// reach an aligned byte at all (the "needs N" figures depend on it).
pub(crate) fn align_u64(buf: &mut [u8]) -> (&mut [u64], usize) {
    // Even an empty slice has an address: a host that grows it in place needs the skip
    // too, and over-reporting by a few bytes is harmless where under-reporting is not.
    let skipped = (8 - (buf.as_ptr() as usize) % 8) % 8;
    let (_head, body, _tail) = bytemuck::pod_align_to_mut::<u8, u64>(buf);
    (body, skipped)
}

/// Splits `n` elements off the front of `*rest`, or reports how many bytes were needed.
pub(crate) fn take<'a, T>(
    rest: &mut &'a mut [T],
    n: usize,
    which: BufferKind,
    needed_bytes: usize,
    got_bytes: usize,
) -> Result<&'a mut [T]> {
    if n > rest.len() {
        return Err(Error::buffer(which, needed_bytes, got_bytes));
    }
    let taken = core::mem::take(rest);
    // Checked again so that no `split_at_mut` (and its panic) is linked.
    let Some((a, b)) = taken.split_at_mut_checked(n) else {
        return Err(Error::buffer(which, needed_bytes, got_bytes));
    };
    *rest = b;
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alignment_loses_at_most_seven_bytes() {
        let mut b = AlignedBuffer::<64>::new();
        let (w, skipped) = align_u64(&mut b.0[3..]);
        assert_eq!((w.len(), skipped), (7, 5));
        let (w, skipped) = align_u64(&mut b.0);
        assert_eq!((w.len(), skipped), (8, 0));
        let (w, _) = align_u64(&mut b.0[..0]);
        assert!(w.is_empty());
    }

    #[test]
    fn take_reports_needs() {
        let mut store = [0u32; 4];
        let mut rest: &mut [u32] = &mut store;
        assert_eq!(
            take(&mut rest, 3, BufferKind::State, 12, 16).unwrap().len(),
            3
        );
        let e = take(&mut rest, 2, BufferKind::State, 20, 16).unwrap_err();
        assert_eq!(needed_got(&e), (20, 16));
    }

    fn needed_got(e: &Error) -> (u32, u32) {
        match e.kind() {
            crate::ErrorKind::BufferTooSmall { needed, got, .. } => (needed, got),
            _ => (0, 0),
        }
    }
}

/// Below this distance in bytes between source and destination, [`copy_within`] copies
/// byte by byte.
const SHORT_STEP: usize = 16;

/// `s.copy_within(src..src + n, dst)`, or None (copying nothing) if either range is not
/// within `s`.
///
/// Not `copy_within` itself: that is a `memmove`, whose Cortex-M4 implementation takes
/// 1.6 KB of flash. Overlapping ranges are copied instead in pieces no longer than the
/// distance between them, each piece from a part of `s` disjoint from its destination (a
/// `memcpy`, which firmware links anyway): front to back when moving down, back to front
/// when moving up; ranges apart by at least their length take one piece. Ranges fewer than
/// [`SHORT_STEP`] bytes apart are copied byte by byte instead.
#[inline(never)]
pub(crate) fn copy_within(s: &mut [u8], src: usize, dst: usize, n: usize) -> Option<()> {
    let fits = |start: usize| start.checked_add(n).is_some_and(|end| end <= s.len());
    if !fits(src) || !fits(dst) {
        return None;
    }
    let step = src.abs_diff(dst).min(n);
    if step < SHORT_STEP {
        // Ranges a few elements apart: element by element, as a piece each would be a
        // call each.
        if dst < src {
            for i in 0..n {
                *s.get_mut(dst + i)? = *s.get(src + i)?;
            }
        } else {
            for i in (0..n).rev() {
                *s.get_mut(dst + i)? = *s.get(src + i)?;
            }
        }
        return Some(());
    }
    let mut done = 0;
    while done < n && step > 0 {
        let k = step.min(n - done);
        if dst < src {
            // Moving down: the piece at `src + done` lands below it.
            let (low, high) = s.split_at_mut_checked(src + done)?;
            let to = low.get_mut(dst + done..dst + done + k)?;
            to.copy_from_slice(high.get(..k)?);
        } else {
            // Moving up: the last piece not yet copied lands above its source.
            let e = n - done;
            let (low, high) = s.split_at_mut_checked(dst + e - k)?;
            let from = low.get(src + e - k..src + e)?;
            high.get_mut(..k)?.copy_from_slice(from);
        }
        done += k;
    }
    Some(())
}

/// [`copy_within`] on 64-bit words (value stack, state arena, side table), through their
/// bytes: one copy of the code is linked, not one per element type (280 B at "z"). Words
/// one apart are thus copied byte by byte; only a branch through a wide side-table entry
/// and `table.copy` move words that close. None if the ranges are not within `s`.
pub(crate) fn copy_words_within(s: &mut [u64], src: usize, dst: usize, n: usize) -> Option<()> {
    const W: usize = core::mem::size_of::<u64>();
    let bytes: &mut [u8] = bytemuck::cast_slice_mut(s);
    copy_within(
        bytes,
        src.checked_mul(W)?,
        dst.checked_mul(W)?,
        n.checked_mul(W)?,
    )
}

#[cfg(test)]
mod copy_tests {
    use super::{copy_within, copy_words_within};
    use core::fmt::Debug;

    type CopyFn<T> = fn(&mut [T], usize, usize, usize) -> Option<()>;

    /// `copy` against `copy_within` on pairs of ranges of every length in `start`: every
    /// pair natively.
    fn like_copy_within<T: Copy + PartialEq + Debug, const N: usize>(
        start: [T; N],
        copy: CopyFn<T>,
    ) {
        // Under Miri every third start (86 s for all of them there): distances under and
        // over SHORT_STEP, both directions, still.
        let step = if cfg!(miri) { 3 } else { 1 };
        for n in 0..=N {
            for src in (0..=N - n).step_by(step) {
                for dst in (0..=N - n).step_by(step) {
                    let (mut want, mut got) = (start, start);
                    want.copy_within(src..src + n, dst);
                    assert_eq!(copy(&mut got, src, dst, n), Some(()));
                    assert_eq!(got, want, "src {src} dst {dst} n {n}");
                }
            }
        }
    }

    /// Bytes, in a slice long enough for both ways of copying; out of bounds copies nothing.
    #[test]
    fn copies_like_copy_within() {
        let start: [u8; 40] = core::array::from_fn(|i| i as u8 + 100);
        like_copy_within(start, copy_within);
        let mut s = start;
        assert_eq!(copy_within(&mut s, 36, 0, 5), None);
        assert_eq!(copy_within(&mut s, 0, 36, 5), None);
        assert_eq!(copy_within(&mut s, usize::MAX, 0, 2), None);
        assert_eq!(s, start);
    }

    /// Words move whole; ranges out of bounds, or whose byte offsets overflow, copy nothing.
    #[test]
    fn copies_words_like_copy_within() {
        let start: [u64; 12] = core::array::from_fn(|i| 0x0101_0101_0101_0101 * (i as u64 + 1));
        like_copy_within(start, copy_words_within);
        let mut s = start;
        assert_eq!(copy_words_within(&mut s, 10, 0, 3), None);
        assert_eq!(copy_words_within(&mut s, usize::MAX / 4, 0, 1), None);
        assert_eq!(copy_words_within(&mut s, 0, 1, usize::MAX / 4), None);
        assert_eq!(s, start);
    }
}
