//! Fused instructions: barewasm's one extension of the binary format, for prepared modules.
//!
//! An interpreter that executes the module's own bytes dispatches once per instruction, and
//! on the bench workloads the dispatch and the operand-stack traffic between neighbours
//! are most of the cost. `barewasm prepare` therefore marks frequent
//! short sequences (`local.get a; i32.const c; i32.add`, ...) by overwriting the *first
//! opcode byte* of each with a fused opcode from bytes no standardized instruction uses
//! (0xd7 upward). Every other byte stays as it was, so:
//!
//! - code offsets, and with them the side table and every error offset, are unchanged;
//! - no sequence contains a control instruction but `block`, which does nothing at run
//!   time and whose label's target is after its `end`: a sequence runs straight through;
//! - undoing the fusion is overwriting those bytes back (`barewasm prepare` does it before
//!   preparing a module again).
//!
//! Every immediate in a fused sequence is one byte (local 0 to 127, constant -64 to 63),
//! except the constant of the *wide* forms, two bytes (-8192 to 8191: masks such as 255
//! are the commonest), so the interpreter reads them at fixed offsets without decoding
//! LEB128. No sequence branches, so fusion changes no fuel (it is charged at taken
//! branches and calls, see [`Stack::set_fuel`](crate::Stack::set_fuel)).
//!
//! A module enables fused opcodes with a custom section named [`SECTION_NAME`] holding one
//! byte, [`FORMAT_VERSION`]; without it they are unknown opcodes, as the spec requires.
//! The validator never trusts a fused opcode: where it meets one (`unfuse_checked`; the
//! decoder, [`Instr::read_with`]), it checks that the bytes after it spell out its
//! sequence, and then types the sequence instruction by instruction as if the first byte
//! were the original opcode. A tampered byte is either a sequence that validates on its
//! own or [`BadFusedInstruction`](ErrorKind::BadFusedInstruction). The interpreter's
//! fixed-offset reads rely on that check: the bytes exist within the function body, and
//! each immediate is the value validation decoded.
//!
//! Superinstructions are an old idea (Proebsting, "Optimizing an ANSI C interpreter with
//! superoperators", POPL 1995; Ertl and Gregg, "Combining stack caching with dynamic
//! superinstructions", IVME 2004); keeping them the length of the code they replace, so a
//! verifier can check them in place, is this project's.

use super::opcodes::{op, Instr};
use super::reader::Reader;
use super::types::BlockType;
use crate::error::{Error, ErrorKind, Result};

/// Name of the custom section that enables fused opcodes.
pub const SECTION_NAME: &str = "barewasm.fused";

/// The one byte that section holds: the version of the table below (2 added 0xe4 to
/// 0xeb, 3 the wide forms 0xec to 0xee, 4 the sequences of three to five instructions
/// 0xef to 0xfa; a module prepared for an earlier version is rejected and must be
/// prepared again).
pub const FORMAT_VERSION: u8 = 4;

macro_rules! fused_table {
    (@wide) => { false };
    (@wide wide) => { true };
    ($( $code:literal $name:ident $text:literal [$($seq:ident)+] $($wide:ident)?; )*) => {
        /// The fused opcodes.
        pub mod code {
            $(
                #[doc = $text]
                pub const $name: u8 = $code;
            )*
        }

        /// Every fused opcode with its name and the instruction sequence it stands for, in
        /// opcode order (contiguous from [`FIRST`]).
        pub const TABLE: &[Fused] = &[
            $( Fused {
                code: $code,
                seq: &[$(op::$seq),+],
                wide: fused_table!(@wide $($wide)?),
            }, )*
        ];

        /// [`Fused::name`]s, apart from [`TABLE`] so that an image that does not print
        /// them does not link them (about 800 bytes of flash).
        const NAMES: &[&str] = &[$($text),*];
    };
}

// Chosen by how many dispatches each saves on the bench workloads (counted per executed
// instruction on the x86-64 build), longest first where they overlap; sequences saving
// under half a percent of the dispatches were left out, as each arm costs flash. The
// second group (0xe4 on) came once fuel was charged at branches only: prepared bench
// workloads 0.943x the Cortex-M4 instructions and 0.939x the x86-64 ones, unprepared the
// same. The comparisons push their result; letting them take a following `br_if` at once
// (as the interpreter's unfused comparisons do) cost 0.5% more on the M4. The third group
// (0xef on, the last bytes before the prefixes) was chosen greedily, one at a time, by
// the geomean over the workloads of the dispatches left, from every executed sequence of
// two to five fusable instructions (a simulation of `barewasm prepare` over per-offset
// execution counts, which matched the measured dispatches of the second group to 0.1%):
// 0.897x the dispatches of the first two groups (0.76x-0.99x per workload), prepared
// 0.943x the Cortex-M4 instructions and 0.967x the x86-64 ones, unprepared the same
// (1.001x, 0.989x); flash +2.1 KB at `z`. Two sequences with an `i32.load8_u` (one byte of
// alignment and offset each) would have saved 3.5% more dispatches, but with them LLVM
// kept the code pointer of the x86-64 loop on the stack: 1.18x the prepared instructions
// and 1.29x the unprepared ones.
fused_table! {
    0xd7 LOCAL_CONST_ADD "local.get+i32.const+i32.add" [LocalGet I32Const I32Add];
    0xd8 LOCAL_LOCAL_ADD "local.get+local.get+i32.add" [LocalGet LocalGet I32Add];
    0xd9 LOCAL_LOCAL "local.get+local.get" [LocalGet LocalGet];
    0xda SET_LOCAL "local.set+local.get" [LocalSet LocalGet];
    0xdb TEE_LOCAL "local.tee+local.get" [LocalTee LocalGet];
    0xdc CONST_ADD "i32.const+i32.add" [I32Const I32Add];
    0xdd LOCAL_ADD "local.get+i32.add" [LocalGet I32Add];
    0xde CONST_SET "i32.const+local.set" [I32Const LocalSet];
    0xdf LOCAL_CONST_SHR_U "local.get+i32.const+i32.shr_u" [LocalGet I32Const I32ShrU];
    0xe0 LOCAL_CONST_SHL "local.get+i32.const+i32.shl" [LocalGet I32Const I32Shl];
    0xe1 BLOCK_BLOCK "block+block" [Block Block];
    0xe2 BLOCK4 "block+block+block+block" [Block Block Block Block];
    0xe3 BLOCK_LOCAL "block+local.get" [Block LocalGet];
    0xe4 CONST_AND "i32.const+i32.and" [I32Const I32And];
    0xe5 CONST_SHL "i32.const+i32.shl" [I32Const I32Shl];
    0xe6 CONST_ROTL "i32.const+i32.rotl" [I32Const I32Rotl];
    0xe7 LOCAL_XOR "local.get+i32.xor" [LocalGet I32Xor];
    0xe8 TEE_CONST "local.tee+i32.const" [LocalTee I32Const];
    0xe9 SET_LOCAL_CONST_ADD "local.set+local.get+i32.const+i32.add" [LocalSet LocalGet I32Const I32Add];
    0xea CONST_EQ "i32.const+i32.eq" [I32Const I32Eq];
    0xeb CONST_NE "i32.const+i32.ne" [I32Const I32Ne];
    0xec CONST2_AND "i32.const+i32.and" [I32Const I32And] wide;
    0xed CONST2_ADD "i32.const+i32.add" [I32Const I32Add] wide;
    0xee CONST2_NE "i32.const+i32.ne" [I32Const I32Ne] wide;
    0xef LOCAL_LOCAL_CONST_SHL_ADD "local.get+local.get+i32.const+i32.shl+i32.add" [LocalGet LocalGet I32Const I32Shl I32Add];
    0xf0 LOCAL_CONST_ROTL_XOR "local.get+i32.const+i32.rotl+i32.xor" [LocalGet I32Const I32Rotl I32Xor];
    0xf1 LOCAL_CONST_SHR_U_XOR "local.get+i32.const+i32.shr_u+i32.xor" [LocalGet I32Const I32ShrU I32Xor];
    0xf2 CONST2_AND_CONST_SHL "i32.const+i32.and+i32.const+i32.shl" [I32Const I32And I32Const I32Shl] wide;
    0xf3 LOCAL_XOR_TEE_CONST "local.get+i32.xor+local.tee+i32.const" [LocalGet I32Xor LocalTee I32Const];
    0xf4 SET_CONST_SET_LOCAL "local.set+i32.const+local.set+local.get" [LocalSet I32Const LocalSet LocalGet];
    0xf5 LOCAL_LOCAL_CONST_ADD "local.get+local.get+i32.const+i32.add" [LocalGet LocalGet I32Const I32Add];
    0xf6 CONST_SET_BLOCK_LOCAL "i32.const+local.set+block+local.get" [I32Const LocalSet Block LocalGet];
    0xf7 LOCAL_CONST_ADD_SET "local.get+i32.const+i32.add+local.set" [LocalGet I32Const I32Add LocalSet];
    0xf8 LOCAL_CONST_ADD_TEE "local.get+i32.const+i32.add+local.tee" [LocalGet I32Const I32Add LocalTee];
    0xf9 LOCAL_CONST_SHR_U_XOR_SET "local.get+i32.const+i32.shr_u+i32.xor+local.set" [LocalGet I32Const I32ShrU I32Xor LocalSet];
    0xfa LOCAL3 "local.get+local.get+local.get" [LocalGet LocalGet LocalGet];
}

/// One fused opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fused {
    /// Its byte.
    pub code: u8,
    /// The opcodes of the instructions it stands for (none of them prefixed).
    pub seq: &'static [u8],
    /// Whether the first instruction, then an `i32.const`, has a two-byte immediate
    /// (every other immediate is one byte).
    pub wide: bool,
}

impl Fused {
    /// The names of its instructions, joined by `+`.
    pub fn name(&self) -> &'static str {
        let i = self.code.wrapping_sub(FIRST) as usize;
        NAMES.get(i).copied().unwrap_or_default()
    }

    /// The bytes its sequence takes: every immediate is one byte, but a wide constant.
    pub const fn byte_len(&self) -> usize {
        let mut n = self.wide as usize;
        let mut i = 0;
        while i < self.seq.len() {
            n += 1 + has_immediate(self.seq[i]) as usize;
            i += 1;
        }
        n
    }
}

/// Whether `op`, an instruction fused sequences may hold, has an immediate: a local index,
/// an `i32.const` value or a block type. Fused sequences only hold those whose immediate
/// is one byte (local 0 to 127, constant -64 to 63, a block type other than a type index
/// of 64 or more), or two for the constant of a [wide](Fused::wide) form, so the
/// interpreter reads them at fixed offsets.
pub const fn has_immediate(op: u8) -> bool {
    matches!(
        op,
        op::LocalGet | op::LocalSet | op::LocalTee | op::I32Const | op::Block
    )
}

/// The instructions fused sequences may hold: those with a one-byte immediate, and i32
/// arithmetic and comparisons without one. `block` is the one control instruction: it does
/// nothing at run time, and its label's target is after its `end`, so the sequence stays
/// straight-line.
const fn fusable(b: u8) -> bool {
    has_immediate(b)
        || matches!(
            b,
            op::I32Add
                | op::I32ShrU
                | op::I32Shl
                | op::I32And
                | op::I32Rotl
                | op::I32Xor
                | op::I32Eq
                | op::I32Ne
        )
}

/// The lowest fused opcode.
pub const FIRST: u8 = 0xd7;

const _: () = {
    // 0xfb and up are prefixes (GC, numeric, SIMD, threads).
    assert!(FIRST as usize + TABLE.len() <= 0xfb);
    let mut i = 0;
    while i < TABLE.len() {
        assert!(TABLE[i].code as usize == FIRST as usize + i);
        assert!(TABLE[i].seq.len() >= 2);
        // `read_first` decodes these, and only these, as a sequence's first instruction.
        assert!(has_immediate(TABLE[i].seq[0]));
        assert!(!TABLE[i].wide || TABLE[i].seq[0] == op::I32Const);
        let mut k = 0;
        while k < TABLE[i].seq.len() {
            assert!(fusable(TABLE[i].seq[k]));
            k += 1;
        }
        i += 1;
    }
};

/// The fused opcode `b`, if it is one.
pub fn lookup(b: u8) -> Option<&'static Fused> {
    TABLE.get(b.wrapping_sub(FIRST) as usize)
}

/// What the bytes after a fused opcode must be, packed in a `u64` read as little-endian
/// bytes: its sequence's later opcodes where they go, zero at each immediate's last byte
/// (under 0x80; no fusable opcode is zero), 0x80 at the first byte of a wide constant (a
/// continued LEB128, so at least 0x80; every opcode is under it), and in the top byte how
/// many bytes that is. Generated from [`TABLE`]: every sequence fits in the seven bytes.
const fn pattern(f: &Fused) -> u64 {
    let mut ops = 0u64;
    let mut len = 0;
    if f.wide {
        ops = 0x80;
        len = 1;
    }
    let mut k = 0;
    while k < f.seq.len() {
        let op = f.seq[k];
        assert!(op != 0 && op < 0x80);
        if k > 0 {
            ops |= (op as u64) << (8 * len);
            len += 1;
        }
        len += has_immediate(op) as usize;
        k += 1;
    }
    assert!(len <= 7);
    ops | (len as u64) << 56
}

const PATTERNS: [u64; TABLE.len()] = {
    let mut t = [0; TABLE.len()];
    let mut i = 0;
    while i < TABLE.len() {
        t[i] = pattern(&TABLE[i]);
        i += 1;
    }
    t
};

/// Checks that `after`, the bytes after fused opcode `code` (at offset `at`), spell its
/// sequence: each later instruction's opcode, and every immediate of its length. Each
/// instruction is then decoded and validated as usual, which checks the immediates'
/// values and the types.
fn check(code: u8, after: &[u8], at: usize) -> Result<()> {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let p = PATTERNS.get(code.wrapping_sub(FIRST) as usize);
    let p = *p.ok_or(Error::new(ErrorKind::BadFusedInstruction, at))?;
    let len = (p >> 56) as usize;
    if after.len() < len {
        return Err(Error::new(ErrorKind::BadFusedInstruction, at));
    }
    // Eight bytes at once where the body has them (the masks ignore the ones past the
    // sequence), else byte by byte.
    let w = match after.first_chunk::<8>() {
        Some(&b) => u64::from_le_bytes(b),
        None => after
            .iter()
            .enumerate()
            .fold(0, |w, (i, &b)| w | (b as u64) << (8 * i)),
    };
    let in_seq = (1u64 << (8 * len)) - 1;
    let ops = p & in_seq;
    // The high bit of each byte where `ops` holds an opcode (nonzero low bits), then 0xff
    // in those bytes; the high bits that must be set (continued LEB128) and clear (last
    // bytes of immediates).
    let opcodes = ((ops & !HIGH) + !HIGH) & HIGH;
    let op_mask = (opcodes >> 7) * 0xff;
    let continued = ops & HIGH;
    let last = in_seq & HIGH & !opcodes & !continued;
    if (w ^ ops) & op_mask != 0 || w & continued != continued || w & last != 0 {
        return Err(Error::new(ErrorKind::BadFusedInstruction, at));
    }
    Ok(())
}

/// For the validator: if `code`, at `at`, is a fused opcode, checks that the bytes after
/// it (`after`, from just past the opcode) spell its sequence and gives the opcode of the
/// sequence's first instruction, which is then validated in its place; any other `code`
/// unchanged.
///
/// It reads the first opcodes from their own array rather than [`TABLE`], which the
/// runtime then does not link (about 0.5 KB of flash).
pub(crate) fn unfuse_checked(code: u8, at: usize, after: &[u8]) -> Result<u8> {
    match FIRST_OPS.get(code.wrapping_sub(FIRST) as usize) {
        Some(&first) => check(code, after, at).map(|()| first),
        None => Ok(code),
    }
}

/// The first opcode of each fused opcode's sequence, by its index from [`FIRST`].
const FIRST_OPS: [u8; TABLE.len()] = {
    let mut t = [0; TABLE.len()];
    let mut i = 0;
    while i < TABLE.len() {
        t[i] = TABLE[i].seq[0];
        i += 1;
    }
    t
};

/// The instruction fused opcode `code`, at `at`, stands for first, read from `r` (just
/// after the opcode) once the bytes after it are checked to spell its sequence; an
/// unknown opcode if `code` is none. For [`Instr::read_with`].
pub(super) fn read_first(code: u8, at: usize, r: &mut Reader<'_>) -> Result<Instr> {
    // Called for bytes the decoder does not know: if `code` is no fused opcode either, it
    // comes back unchanged and is none of these.
    Ok(match unfuse_checked(code, at, r.rest())? {
        op::LocalGet => Instr::LocalGet { local: r.u32()? },
        op::LocalSet => Instr::LocalSet { local: r.u32()? },
        op::LocalTee => Instr::LocalTee { local: r.u32()? },
        op::Block => Instr::Block {
            ty: BlockType::read(r)?,
        },
        op::I32Const => Instr::I32Const { value: r.i32()? },
        _ => return Err(Error::new(ErrorKind::UnknownOpcode, at)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_match_the_sequences() {
        for f in TABLE {
            let mut names = f.seq.iter().map(|&b| {
                let bytes = [b, 0, 0, 0];
                let mut r = Reader::new(&bytes);
                Instr::read(&mut r).unwrap().name()
            });
            let joined = f.name().split('+').all(|n| names.next() == Some(n));
            assert!(joined && names.next().is_none(), "{}", f.name());
        }
    }

    /// Every fused opcode accepts exactly its sequence: each later opcode changed, each
    /// immediate made two bytes long, or the sequence cut short, is rejected.
    #[test]
    fn every_pattern_checks_each_byte() {
        for f in TABLE {
            let mut good = [0u8; 16];
            let mut imms = [false; 16];
            let mut n = 0;
            for (k, &op) in f.seq.iter().enumerate() {
                good[n] = if k == 0 { f.code } else { op };
                n += 1;
                if k == 0 && f.wide {
                    // 0x40 | 0x80: a continued byte, and `bad` below sets it to 0x40.
                    good[n] = 0xc0;
                    imms[n] = true;
                    n += 1;
                }
                if has_immediate(op) {
                    good[n] = 0x40;
                    imms[n] = true;
                    n += 1;
                }
            }
            assert_eq!(n, f.byte_len(), "{}", f.name());
            // Followed by end-of-body bytes, and not: both ways of reading the bytes.
            for tail in [0, 8] {
                let r = Instr::read_with(&mut Reader::new(&good[..n + tail]), true);
                assert!(r.is_ok(), "{}", f.name());
                let e = Instr::read_with(&mut Reader::new(&good[..n - 1]), true).unwrap_err();
                assert_eq!(e.kind(), ErrorKind::BadFusedInstruction, "{}", f.name());
                for i in 1..n {
                    let mut bad = good;
                    // An immediate byte with its continuation bit flipped, an opcode
                    // changed.
                    bad[i] = if imms[i] { bad[i] ^ 0x80 } else { bad[i] ^ 1 };
                    let e = Instr::read_with(&mut Reader::new(&bad[..n + tail]), true);
                    assert_eq!(
                        e.map_err(|e| e.kind()),
                        Err(ErrorKind::BadFusedInstruction),
                        "{} byte {i}",
                        f.name()
                    );
                }
            }
        }
    }

    #[test]
    fn fused_bytes_are_no_opcode() {
        for f in TABLE {
            let bytes = [f.code, 0, 0, 0];
            let e = Instr::read(&mut Reader::new(&bytes)).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::UnknownOpcode);
        }
        assert_eq!(lookup(FIRST - 1), None);
        assert_eq!(lookup(FIRST + TABLE.len() as u8), None);
    }

    #[test]
    fn fused_opcodes_are_checked_and_read_as_their_first_instruction() {
        // local.get 1; i32.const -3; i32.add
        let good = [code::LOCAL_CONST_ADD, 1, 0x41, 0x7d, 0x6a];
        let mut r = Reader::new(&good);
        assert_eq!(
            Instr::read_with(&mut r, true),
            Ok(Instr::LocalGet { local: 1 })
        );
        assert_eq!(r.pos(), 2);
        assert_eq!(TABLE[0].byte_len(), 5);
        // Not enabled: an unknown opcode.
        let e = Instr::read_with(&mut Reader::new(&good), false).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnknownOpcode);
        // A different last opcode, an immediate of two bytes (i32.const 300, local 128),
        // or the sequence cut short.
        let c = code::LOCAL_CONST_ADD;
        for bad in [
            &good[..4],
            &[c, 1, 0x41, 0x7d, 0x6b][..],
            &[c, 1, 0x41, 0xac, 0x02, 0x6a],
            &[c, 0x80, 0x01, 0x41, 0x7d, 0x6a],
            &[code::LOCAL_LOCAL, 0x80],
        ] {
            let e = Instr::read_with(&mut Reader::new(bad), true).unwrap_err();
            assert_eq!((e.kind(), e.offset()), (ErrorKind::BadFusedInstruction, 0));
        }
        for f in TABLE {
            let imms = f.seq.iter().filter(|&&b| has_immediate(b)).count();
            assert_eq!(f.byte_len(), f.seq.len() + imms + f.wide as usize);
        }
        // A byte past the table is still unknown.
        let e = Instr::read_with(&mut Reader::new(&[0xfb, 0]), true).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (ErrorKind::UnknownOpcode, 0));
    }
}
