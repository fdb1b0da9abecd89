//! The side table (Titzer, "A fast in-place interpreter for WebAssembly", OOPSLA 2022).
//!
//! Validation emits one entry per control transfer, in instruction order: one per `if`,
//! one per `else`, one per `br` and `br_if`, and `n + 1` per `br_table` with `n` targets.
//! The interpreter keeps a side-table pointer (stp) that advances alongside the pc, so it
//! never searches: at a branch it reads the entry at stp, and a branch not taken just
//! steps stp past its entries.
//!
//! Each entry is one `u64` with four packed fields. Targets are relative to the function
//! (its first instruction and its first side-table entry) rather than to the branch, so a
//! forward branch can be written before its target is known and patched at the `end`:
//!
//! | bits   | width | field        | meaning                                             |
//! |--------|-------|--------------|-----------------------------------------------------|
//! | 0-22   | 23    | `target_pc`  | byte offset of the target from the function's code start |
//! | 23-41  | 19    | `target_stp` | side-table index of the target from the function's first entry |
//! | 42-51  | 10    | `keep`       | values the branch carries (the label's arity)       |
//! | 52-63  | 12    | `drop`       | values removed from beneath them                    |
//!
//! A function whose fields would not fit (over 8 MiB of code, over 512 Ki entries, a label
//! with over 1023 values, or over 4095 operands to discard) is rejected with
//! [`crate::ErrorKind::FunctionTooLarge`]; nothing wraps.
//!
//! # In RAM or in the module (a prepared module)
//!
//! By default validation writes the table into the host's state buffer, 8 bytes per entry.
//! `barewasm prepare` computes it on the host instead and appends it to the module as a
//! custom section named [`SECTION_NAME`], so on the device it stays in flash beside the
//! code and costs no RAM. Its contents (after the custom section's name):
//!
//! | field     | encoding                 | meaning                                      |
//! |-----------|--------------------------|----------------------------------------------|
//! | version   | one byte                 | [`FORMAT_VERSION`]                           |
//! | count     | LEB128 `u32`             | entries in the whole module                  |
//! | entries   | `count` × 8 bytes        | each entry's `u64`, little-endian, in order  |
//!
//! Nothing may follow the entries. Functions' entries follow one another in function
//! order, so per-function starts need not be stored: validation counts them.
//!
//! Such a table is never trusted: `Module::new` validates the module as always and, instead
//! of writing each entry, checks it against the stored one ("verify mode"), in the same
//! pass and with no RAM beyond a control frame's existing fields. Entries whose targets
//! are known when met (branches to a `loop`) are compared whole. A forward branch's values
//! (keep, drop) are compared at once; its target is not known until the label's `end`, so
//! the first forward branch to a label is remembered in the label's frame, every later one
//! must state the same target, and at the `end` (or `else`) that target must be the real
//! one; `if` entries are compared when their `else` or `end` is reached. The count must
//! match and the section must hold nothing more. Any difference is
//! [`crate::ErrorKind::BadSideTable`] (malformed), so a module whose stored table is wrong
//! is rejected, never run. The interpreter reads entries from either place the same way:
//! as 8-byte little-endian groups.

use crate::error::{Error, ErrorKind, Result};

/// Name of the custom section a prepared module stores its side table in.
pub const SECTION_NAME: &str = crate::binary::sections::SIDE_TABLE_SECTION;
/// Version byte of the stored format; any other is rejected.
pub const FORMAT_VERSION: u8 = 1;

/// Bit widths of the packed fields.
pub const PC_BITS: u32 = 23;
/// See [`PC_BITS`].
pub const STP_BITS: u32 = 19;
/// See [`PC_BITS`].
pub const KEEP_BITS: u32 = 10;
/// See [`PC_BITS`].
pub const DROP_BITS: u32 = 12;

const STP_SHIFT: u32 = PC_BITS;
const KEEP_SHIFT: u32 = PC_BITS + STP_BITS;
const DROP_SHIFT: u32 = KEEP_SHIFT + KEEP_BITS;
const _: () = assert!(DROP_SHIFT + DROP_BITS == 64);

const fn mask(bits: u32) -> u64 {
    (1u64 << bits) - 1
}

/// One packed side-table entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SideEntry(pub u64);

impl SideEntry {
    /// Packs an entry; fails if a field does not fit.
    pub fn new(target_pc: u32, target_stp: u32, keep: u32, drop: u32, at: usize) -> Result<Self> {
        let fits = (target_pc as u64) <= mask(PC_BITS)
            && (target_stp as u64) <= mask(STP_BITS)
            && (keep as u64) <= mask(KEEP_BITS)
            && (drop as u64) <= mask(DROP_BITS);
        if !fits {
            return Err(Error::new(ErrorKind::FunctionTooLarge, at));
        }
        Ok(SideEntry(
            target_pc as u64
                | (target_stp as u64) << STP_SHIFT
                | (keep as u64) << KEEP_SHIFT
                | (drop as u64) << DROP_SHIFT,
        ))
    }

    /// Target byte offset from the function's first instruction.
    #[inline(always)]
    pub const fn target_pc(self) -> u32 {
        (self.0 & mask(PC_BITS)) as u32
    }

    /// Target side-table index from the function's first entry.
    #[inline(always)]
    pub const fn target_stp(self) -> u32 {
        ((self.0 >> STP_SHIFT) & mask(STP_BITS)) as u32
    }

    /// Values the branch carries to its target.
    #[inline(always)]
    pub const fn keep(self) -> u32 {
        ((self.0 >> KEEP_SHIFT) & mask(KEEP_BITS)) as u32
    }

    /// Values dropped from beneath the carried ones.
    #[inline(always)]
    pub const fn drop(self) -> u32 {
        (self.0 >> DROP_SHIFT) as u32
    }

    /// The target fields alone (`target_pc` and `target_stp`).
    #[inline]
    pub const fn targets(self) -> u64 {
        self.0 & mask(KEEP_SHIFT)
    }

    /// The value fields alone (`keep` and `drop`).
    #[inline]
    pub const fn values(self) -> u64 {
        self.0 >> KEEP_SHIFT
    }

    /// The same entry with its targets replaced (used to patch forward branches).
    pub fn with_targets(self, target_pc: u32, target_stp: u32, at: usize) -> Result<Self> {
        SideEntry::new(target_pc, target_stp, self.keep(), self.drop(), at)
    }

    /// While a forward branch waits for its target, the target fields hold the link to the
    /// previous pending entry of the same label (function-relative index + 1, 0 ends).
    pub(crate) const fn pending_link(self) -> u32 {
        self.target_pc()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip() {
        let e = SideEntry::new(0x7f_ffff, 0x7_ffff, 1023, 4095, 0).unwrap();
        assert_eq!(
            (e.target_pc(), e.target_stp(), e.keep(), e.drop()),
            (0x7f_ffff, 0x7_ffff, 1023, 4095)
        );
        let e = SideEntry::new(5, 3, 1, 2, 0).unwrap();
        assert_eq!(
            (e.target_pc(), e.target_stp(), e.keep(), e.drop()),
            (5, 3, 1, 2)
        );
        let p = e.with_targets(9, 4, 0).unwrap();
        assert_eq!(
            (p.target_pc(), p.target_stp(), p.keep(), p.drop()),
            (9, 4, 1, 2)
        );
    }

    #[test]
    fn overflow_is_an_error_not_a_wrap() {
        for (pc, stp, keep, drop) in [
            (1 << 23, 0, 0, 0),
            (0, 1 << 19, 0, 0),
            (0, 0, 1024, 0),
            (0, 0, 0, 4096),
        ] {
            let e = SideEntry::new(pc, stp, keep, drop, 42).unwrap_err();
            assert_eq!((e.kind(), e.offset()), (ErrorKind::FunctionTooLarge, 42));
        }
    }
}
