//! Typed arrays carved out of a byte buffer, for things whose count is only known at run
//! time (the spec image's modules and instance slots) and that are too many for the native
//! stack. Built for the host and run under Miri by
//! `crates/barewasm-cli/tests/firmware_carve.rs` (`scripts/miri.sh`).

use core::mem::{align_of, size_of};

/// Splits `n` values of `T`, each made by `init`, off the front of `bytes` (after padding
/// to `T`'s alignment). Returns them and the bytes after them, or `None` if they do not fit.
///
/// The values are never dropped (they are forgotten when the borrow ends), which is safe;
/// use it for types whose `Drop` does nothing that matters.
pub fn carve<T>(bytes: &mut [u8], n: usize, init: impl Fn() -> T) -> Option<(&mut [T], &mut [u8])> {
    let pad = bytes.as_ptr().align_offset(align_of::<T>());
    let size = n.checked_mul(size_of::<T>())?;
    if pad.checked_add(size)? > bytes.len() {
        return None;
    }
    let (head, rest) = bytes.split_at_mut(pad + size);
    let first = head[pad..].as_mut_ptr().cast::<T>();
    for i in 0..n {
        // SAFETY: `first + i` lies within `head[pad..]` (n values of `T` fit there, checked
        // above) and is aligned for `T` (`pad` aligns the start, `size_of` is a multiple of
        // the alignment). Writing does not read or drop the bytes that were there.
        unsafe { first.add(i).write(init()) };
    }
    // SAFETY: all `n` values were just initialised, in memory aligned for `T` that `head`
    // borrows mutably for as long as `bytes` was borrowed, and that nothing else can reach: the returned slice takes
    // over that borrow (`head` is not used again).
    let values = unsafe { core::slice::from_raw_parts_mut(first, n) };
    Some((values, rest))
}
