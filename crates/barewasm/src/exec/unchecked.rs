//! Reads of code bytes and value-stack slots without a bounds check: the interpreter's hot
//! path, and the only `unsafe` code in the runtime.
//!
//! **Why.** Every instruction fetches an opcode and moves operand slots, and each of those
//! indexings was a compare and a branch to a panic. Without them the bench workloads
//! execute about a quarter fewer instructions on x86-64 (callgrind) and a third fewer on
//! the Cortex-M4 (QEMU plugin); `bench/insns.sh` and `scripts/qemu.sh` measure it. The
//! dispatch's jump table goes without its range check on the same grounds
//! ([`unreachable_opcode`]).
//!
//! **Contract.** The functions are safe to call only with indices the interpreter's
//! invariants keep in bounds; they are `pub(super)` and only [`super::interp`] calls them:
//!
//! - *Code*: `pc` is an instruction boundary inside a body of the module whose bytes are
//!   read (or one of that instruction's immediates). Validation decoded every body
//!   exactly as the interpreter does and checked that it ends with `end`, and every
//!   branch target comes from the side table validation wrote or verified.
//! - *Values*: an index lies in the frame [`enter_frame`](super::interp) reserved (for
//!   [`set_low`], the slot's low half is written through a `u32` pointer): locals
//!   below `fp + locals`, operands below that plus the maximum height validation computed,
//!   which `enter_frame` checked against the stack's length.
//! - *Resumption*: registers saved in a paused [`Stack`](super::stack::Stack) are only
//!   used again with the store that saved them: a store has a unique id, the stack records
//!   it when it runs, and resuming on any other store is
//!   [`NotResumable`](crate::ErrorKind::NotResumable). Nothing outside the interpreter can
//!   write a stack's registers or frames.
//!
//! **Checked where it can be.** Debug builds assert every index: the test suite and the
//! whole spec suite (`cargo test` keeps debug assertions on), and the fuzzers, which
//! build with them. Miri runs the interpreter's tests and spec scripts over these reads. A target without atomic
//! read-modify-write (`thumbv6m`) cannot hand out unique store ids, so there the reads keep
//! their bounds checks and [`UNCHECKED`] is false.

#![allow(unsafe_code)]

/// Whether the reads skip their bounds checks on this target (see the module docs).
pub(crate) const UNCHECKED: bool = cfg!(target_has_atomic = "32");

/// The code byte at `i`.
#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
pub(super) fn byte(code: &[u8], i: usize) -> u8 {
    debug_assert!(i < code.len(), "code read at {i} of {}", code.len());
    #[cfg(target_has_atomic = "32")]
    // SAFETY: `i` is in bounds by the module's contract (validated bodies, same store).
    unsafe {
        *code.get_unchecked(i)
    }
    #[cfg(not(target_has_atomic = "32"))]
    code[i]
}

/// The value-stack slot at `i`.
#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
pub(super) fn get(values: &[u64], i: usize) -> u64 {
    debug_assert!(i < values.len(), "slot read at {i} of {}", values.len());
    #[cfg(target_has_atomic = "32")]
    // SAFETY: `i` lies in the current frame by the module's contract.
    unsafe {
        *values.get_unchecked(i)
    }
    #[cfg(not(target_has_atomic = "32"))]
    values[i]
}

/// Writes the value-stack slot at `i`.
#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
pub(super) fn set(values: &mut [u64], i: usize, v: u64) {
    debug_assert!(i < values.len(), "slot write at {i} of {}", values.len());
    #[cfg(target_has_atomic = "32")]
    // SAFETY: `i` lies in the current frame by the module's contract.
    unsafe {
        *values.get_unchecked_mut(i) = v;
    }
    #[cfg(not(target_has_atomic = "32"))]
    {
        values[i] = v;
    }
}

/// What debug builds put in the high half of a slot written by [`set_low`], so that any
/// reader wrongly using it fails the tests, the spec suite and the fuzzers.
pub(super) const HIGH_MARK: u64 = 0xa5a5_5a5a_0000_0000;

/// Writes an i32 or f32 result to slot `i`: its low 32 bits only, the high half being
/// unspecified for such values (see [`super::interp`]). On a 32-bit core this is one
/// store instead of two (measured: 4.5% fewer Cortex-M4 and 1.8% fewer x86-64
/// instructions on the bench workloads). The safe way, a `bytemuck` view of the slots as
/// `u32` halves, keeps a bounds check and executes 20% more Cortex-M4 and 14% more x86-64
/// instructions than this. Debug builds first fill the slot with [`HIGH_MARK`].
#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
pub(super) fn set_low(values: &mut [u64], i: usize, v: u32) {
    debug_assert!(i < values.len(), "slot write at {i} of {}", values.len());
    #[cfg(target_has_atomic = "32")]
    // SAFETY: `i` lies in the current frame by the module's contract, so the slot's 8
    // bytes are in bounds; a `u64` slot is 8-aligned, so both of its 32-bit halves are
    // 4-aligned. The low half comes first on a little-endian target, second on big-endian.
    unsafe {
        let slot = values.as_mut_ptr().add(i);
        if cfg!(debug_assertions) {
            slot.write(HIGH_MARK);
        }
        slot.cast::<u32>()
            .add(cfg!(target_endian = "big") as usize)
            .write(v);
    }
    #[cfg(not(target_has_atomic = "32"))]
    {
        values[i] = if cfg!(debug_assertions) {
            HIGH_MARK | v as u64
        } else {
            v as u64
        };
    }
}

/// Declares that the dispatch's fallback arm, the bytes that are no opcode, is never
/// reached. With it LLVM drops the range check in front of the jump table: about 7% of
/// the bench workloads' instructions on both targets (two instructions per dispatch).
/// Where the reads are checked this does nothing, and the arm returns its error.
#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
pub(super) fn unreachable_opcode(op: u8) {
    debug_assert!(false, "byte {op:#04x} dispatched as an opcode");
    #[cfg(target_has_atomic = "32")]
    // SAFETY: `pc` is an instruction boundary of a validated body (the code contract
    // above), and validation rejects every byte that is not an opcode the dispatch names.
    unsafe {
        core::hint::unreachable_unchecked()
    }
}
