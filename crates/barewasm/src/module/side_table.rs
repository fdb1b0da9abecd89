//! The side table (Titzer, "A fast in-place interpreter for WebAssembly", OOPSLA 2022).
//!
//! Validation emits one entry per control transfer, in instruction order: one per `if`,
//! one per `else`, one per `br` and `br_if`, and `n + 1` per `br_table` with `n` targets.
//! The interpreter keeps a side-table pointer (stp) that advances alongside the pc, so it
//! never searches: at a branch it reads the entry at stp, and a branch not taken just
//! steps stp past its entries.
//!
//! # Entries
//!
//! An entry holds four fields. Targets are relative to the function (its first
//! instruction and its first side-table entry) rather than to the branch, so a forward
//! branch can be written before its target is known and patched at the `end`:
//!
//! | field        | meaning                                                        |
//! |--------------|----------------------------------------------------------------|
//! | `target_pc`  | byte offset of the target from the function's code start       |
//! | `target_stp` | side-table index of the target from the function's first entry |
//! | `keep`       | values the branch carries (the label's arity)                  |
//! | `drop`       | values removed from beneath them                               |
//!
//! Most branches drop nothing (every one in the bench guest: compilers pass values
//! through locals), and then `keep` does not matter either, since nothing moves: such an
//! entry is stored with `keep` 0. The table therefore has two forms of entry, and a
//! branch reads one `u32` where it used to read a `u64`, which halves the table's RAM:
//!
//! - **compact** (bit 31 clear): `target_pc` in bits 0-15, `target_stp` in bits 16-30,
//!   for an entry with `drop` 0 whose targets fit those widths;
//! - **wide** (bit 31 set): bits 0-30 index the wide entries, one `u64` each (a
//!   [`SideEntry`]: all four fields, widths below). A wide entry is used exactly when the
//!   entry does not fit the compact form, so each entry has one encoding.
//!
//! | bits of a wide entry | width | field        |
//! |----------------------|-------|--------------|
//! | 0-22                 | 23    | `target_pc`  |
//! | 23-41                | 19    | `target_stp` |
//! | 42-51                | 10    | `keep`       |
//! | 52-63                | 12    | `drop`       |
//!
//! A function whose fields would not fit the wide form (over 8 MiB of code, over 512 Ki
//! entries, a label with over 1023 values, or over 4095 operands to discard) is rejected
//! with [`crate::ErrorKind::FunctionTooLarge`]; nothing wraps.
//!
//! Building the table in one pass means choosing an entry's form when the branch is
//! met, before a forward branch's target is known. In a function body under 32 KiB every
//! target fits the compact widths (a target pc is inside the body, and every entry takes
//! at least one byte of code), so there the choice depends only on `drop`. So it does in
//! a body of up to 64 KiB with under 2^15 entries, which validation counts first by
//! decoding the body. In a larger body a forward branch takes a wide entry at once, and if
//! its target turns out to fit, the entry becomes compact when patched and its wide slot
//! stays unused (12 bytes for such an entry). The choice never depends on the buffer's
//! size, so a too-small state buffer still learns exactly how many bytes it needs.
//!
//! # In RAM or in the module (a prepared module)
//!
//! By default validation writes the table into the host's state buffer: compact entries
//! two to a word from the front, wide entries from the back, moved to follow the compact
//! ones when validation ends. `barewasm prepare` computes the table on the host instead
//! and appends it to the module as a custom section named [`SECTION_NAME`], so on the
//! device it stays in flash beside the code and costs no RAM. Its contents (after the
//! custom section's name):
//!
//! | field     | encoding                 | meaning                                      |
//! |-----------|--------------------------|----------------------------------------------|
//! | version   | one byte                 | [`FORMAT_VERSION`]                           |
//! | count     | LEB128 `u32`             | entries in the whole module                  |
//! | entries   | `count` × 4 bytes        | each entry's `u32`, little-endian, in order  |
//! | wide      | LEB128 `u32`             | wide entries                                 |
//! | wide entries | `wide` × 8 bytes      | each wide entry's `u64`, little-endian       |
//!
//! Nothing may follow. The wide entries appear in the order of the entries that refer to
//! them (the first wide entry is referred to by the first entry with bit 31 set, and so
//! on), with no unused ones. Functions' entries follow one another in function order, so
//! per-function starts need not be stored: validation counts them.
//!
//! Such a table is never trusted: `Module::new` validates the module as always and, instead
//! of writing each entry, checks it against the stored one ("verify mode"), in the same
//! pass and with no RAM beyond a control frame's existing fields. A stored entry is first
//! decoded: a wide entry must be the next one in order, and must not fit the compact
//! form. Entries whose targets are known when met (branches to a `loop`) are compared
//! whole. A forward branch's values (keep, drop) are compared at once; its target is not
//! known until the label's `end`, so the first forward branch to a label is remembered in
//! the label's frame, every later one must state the same target, and at the `end` (or
//! `else`) that target must be the real one; `if` entries are compared when their `else`
//! or `end` is reached. The counts must match and the section must hold nothing more. Any
//! difference is [`crate::ErrorKind::BadSideTable`] (malformed), so a module whose stored
//! table is wrong is rejected, never run. The interpreter reads entries from either place
//! the same way, through a [`SideTable`].

use crate::error::{Error, ErrorKind, Result};

/// Name of the custom section a prepared module stores its side table in.
pub const SECTION_NAME: &str = crate::binary::sections::SIDE_TABLE_SECTION;
/// Version byte of the stored format; any other is rejected.
pub const FORMAT_VERSION: u8 = 2;

/// Bit widths of a wide entry's fields.
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

/// Bit 31 of an entry: set for a wide one, whose other bits index the wide entries.
pub const WIDE: u32 = 1 << 31;
/// Bits of a compact entry's `target_pc` (bits 0-15).
pub const COMPACT_PC_BITS: u32 = 16;
/// Bits of a compact entry's `target_stp` (bits 16-30).
pub const COMPACT_STP_BITS: u32 = 15;
/// Function bodies smaller than this (32 KiB) have every branch target fit a compact
/// entry: a target pc lies within the body and a target index counts entries, each of
/// which takes at least one byte of the body.
pub const COMPACT_BODY_BYTES: usize = 1 << COMPACT_STP_BITS;
const _: () = assert!(COMPACT_PC_BITS + COMPACT_STP_BITS == 31);
const _: () = assert!(COMPACT_BODY_BYTES <= 1 << COMPACT_PC_BITS);

/// One side-table entry with all its fields: a wide entry as stored, and what a compact
/// one decodes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SideEntry(pub u64);

impl SideEntry {
    /// Packs an entry; fails if a field does not fit. With `drop` 0 the branch moves
    /// nothing, so `keep` is stored as 0 (one encoding per behaviour).
    pub fn new(target_pc: u32, target_stp: u32, keep: u32, drop: u32, at: usize) -> Result<Self> {
        let fits = (target_pc as u64) <= mask(PC_BITS)
            && (target_stp as u64) <= mask(STP_BITS)
            && (keep as u64) <= mask(KEEP_BITS)
            && (drop as u64) <= mask(DROP_BITS);
        if !fits {
            return Err(Error::new(ErrorKind::FunctionTooLarge, at));
        }
        let keep = if drop == 0 { 0 } else { keep };
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

    /// The compact form of this entry, if it has one.
    #[inline]
    pub const fn compact(self) -> Option<u32> {
        if self.drop() == 0
            && self.target_pc() < 1 << COMPACT_PC_BITS
            && self.target_stp() < 1 << COMPACT_STP_BITS
        {
            Some(self.target_pc() | self.target_stp() << COMPACT_PC_BITS)
        } else {
            None
        }
    }

    /// A compact entry's fields (bit 31 ignored).
    #[inline(always)]
    pub const fn from_compact(raw: u32) -> SideEntry {
        let pc = raw & ((1 << COMPACT_PC_BITS) - 1);
        let stp = (raw & !WIDE) >> COMPACT_PC_BITS;
        SideEntry(pc as u64 | (stp as u64) << STP_SHIFT)
    }
}

/// A side table as the interpreter reads it, in RAM or in a prepared module's bytes: one
/// little-endian `u32` per entry, and the wide entries those with [`WIDE`] set refer to.
#[derive(Clone, Copy, Debug, Default)]
pub struct SideTable<'a> {
    /// Every entry, in order.
    pub entries: &'a [[u8; 4]],
    /// The wide entries.
    pub wide: &'a [[u8; 8]],
}

impl SideTable<'_> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entry `i` as stored.
    #[inline]
    pub fn raw(&self, i: usize) -> Option<u32> {
        self.entries.get(i).map(|&b| u32::from_le_bytes(b))
    }

    /// Entry `i` with all its fields (`None` past the end, or for a wide entry whose index
    /// is past the wide entries).
    pub fn entry(&self, i: usize) -> Option<SideEntry> {
        let raw = self.raw(i)?;
        if raw & WIDE == 0 {
            Some(SideEntry::from_compact(raw))
        } else {
            self.wide
                .get((raw & !WIDE) as usize)
                .map(|&b| SideEntry(u64::from_le_bytes(b)))
        }
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
        // With nothing dropped, nothing is kept either.
        let e = SideEntry::new(5, 3, 1, 0, 0).unwrap();
        assert_eq!((e.keep(), e.drop()), (0, 0));
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

    #[test]
    fn compact_form_round_trips_exactly_when_it_fits() {
        let max_pc = (1 << COMPACT_PC_BITS) - 1;
        let max_stp = (1 << COMPACT_STP_BITS) - 1;
        for (pc, stp) in [(0, 0), (5, 3), (max_pc, max_stp), (max_pc, 0), (0, max_stp)] {
            let e = SideEntry::new(pc, stp, 0, 0, 0).unwrap();
            let raw = e.compact().unwrap();
            assert_eq!(raw & WIDE, 0);
            assert_eq!(SideEntry::from_compact(raw), e);
        }
        for (pc, stp, keep, drop) in [
            (max_pc + 1, 0, 0, 0),
            (0, max_stp + 1, 0, 0),
            (0, 0, 1, 1),
            (0, 0, 0, 1),
        ] {
            assert_eq!(
                SideEntry::new(pc, stp, keep, drop, 0).unwrap().compact(),
                None
            );
        }
    }

    #[test]
    fn table_decodes_both_forms() {
        let wide = SideEntry::new(7, 2, 1, 3, 0).unwrap();
        let entries = [
            SideEntry::new(9, 4, 0, 0, 0)
                .unwrap()
                .compact()
                .unwrap()
                .to_le_bytes(),
            WIDE.to_le_bytes(),
            (WIDE | 1).to_le_bytes(),
        ];
        let wides = [wide.0.to_le_bytes()];
        let t = SideTable {
            entries: &entries,
            wide: &wides,
        };
        assert_eq!(t.len(), 3);
        let e = t.entry(0).unwrap();
        assert_eq!(
            (e.target_pc(), e.target_stp(), e.keep(), e.drop()),
            (9, 4, 0, 0)
        );
        assert_eq!(t.entry(1), Some(wide));
        // A wide index past the wide entries, or an index past the table: no entry.
        assert_eq!(t.entry(2), None);
        assert_eq!(t.entry(3), None);
    }
}
