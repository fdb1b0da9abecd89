//! The one list of instructions (spec 5.4), and everything generated from it.
//!
//! Each row gives the variant name, the encoding, the text name, the immediates, and the
//! typing rule. The typing rule is either a fixed signature `(params -> results)` that the
//! validator applies mechanically, a memory access `(load T align)` / `(store T align)`, or
//! `(special)` for instructions whose typing the validator spells out by hand. The decoder
//! ([`Instr::read`]), the opcode constants ([`op`]), the signatures ([`Instr::sig`]), the
//! names ([`Instr::name`]) and the tables the validator types and skips instructions by
//! (fixed signatures, loads and stores, kinds of immediates) all come from this list, so
//! they cannot disagree (the approach wasmparser's `for_each_operator!` takes).
//!
//! The runtime itself does not build [`Instr`]s: the validator types each instruction
//! from its bytes, and constant expressions are read as `ConstInstr`s. `Instr` is for
//! tools (`barewasm prepare`, disassembly, tests).

use super::reader::Reader;
use super::types::{BlockType, MemArg, ValType};
use crate::error::{Error, ErrorKind, Result};

/// An immediate that can be decoded from the instruction stream.
pub trait Immediate: Sized {
    /// Which immediate this is: the validator's decoding-only passes read it by its kind,
    /// without building it.
    const KIND: ImmKind;
    /// Decodes the immediate.
    fn read(r: &mut Reader<'_>) -> Result<Self>;
}

/// The kinds of immediates, one per [`Immediate`] type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
#[repr(u8)]
pub enum ImmKind {
    U32 = 1,
    I32,
    I64,
    BlockType,
    MemArg,
    Ieee32,
    Ieee64,
    Zero,
    RefType,
    BrTable,
    SelectType,
}

impl Immediate for u32 {
    const KIND: ImmKind = ImmKind::U32;
    #[inline]
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        r.u32()
    }
}
impl Immediate for i32 {
    const KIND: ImmKind = ImmKind::I32;
    #[inline]
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        r.i32()
    }
}
impl Immediate for i64 {
    const KIND: ImmKind = ImmKind::I64;
    #[inline]
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        r.i64()
    }
}
impl Immediate for BlockType {
    const KIND: ImmKind = ImmKind::BlockType;
    #[inline]
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        BlockType::read(r)
    }
}
impl Immediate for MemArg {
    const KIND: ImmKind = ImmKind::MemArg;
    #[inline]
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        MemArg::read(r)
    }
}

/// The bits of an `f32.const`, stored little-endian (not LEB128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ieee32(pub u32);
impl Immediate for Ieee32 {
    const KIND: ImmKind = ImmKind::Ieee32;
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        r.fixed_u32().map(Ieee32)
    }
}

/// The bits of an `f64.const`, stored little-endian (not LEB128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ieee64(pub u64);
impl Immediate for Ieee64 {
    const KIND: ImmKind = ImmKind::Ieee64;
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        r.fixed_u64().map(Ieee64)
    }
}

/// A reserved byte that must be zero (the memory index of WebAssembly 2.0's memory
/// instructions, which multi-memory will turn into an index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zero;
impl Immediate for Zero {
    const KIND: ImmKind = ImmKind::Zero;
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let at = r.pos();
        match r.u8()? {
            0 => Ok(Zero),
            _ => Err(Error::new(ErrorKind::ZeroByteExpected, at)),
        }
    }
}

/// The reference type of `ref.null`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefTypeImm(pub ValType);
impl Immediate for RefTypeImm {
    const KIND: ImmKind = ImmKind::RefType;
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        super::types::read_reftype(r).map(RefTypeImm)
    }
}

/// The label table of `br_table`: `count` targets then a default, starting at byte `start`.
/// Decoding checks that every LEB128 in the table is well-formed and skips past it;
/// users re-read the targets with [`BrTable::targets`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrTable {
    /// Number of targets, not counting the default.
    pub count: u32,
    /// Absolute offset of the first target.
    pub start: u32,
}
impl Immediate for BrTable {
    const KIND: ImmKind = ImmKind::BrTable;
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let count = r.u32()?;
        let start = r.pos() as u32;
        // Each target is at least one byte: reject absurd counts before looping.
        if count as usize >= r.remaining() {
            return Err(r.err(ErrorKind::UnexpectedEnd));
        }
        for _ in 0..=count {
            r.u32()?;
        }
        Ok(BrTable { count, start })
    }
}
impl BrTable {
    /// A reader positioned at the first target (then `count` more LEB128s follow).
    pub fn targets<'wasm>(&self, bytes: &'wasm [u8]) -> Reader<'wasm> {
        Reader::at(bytes, self.start as usize, bytes.len())
    }
}

/// The type annotation of a typed `select` (WebAssembly 2.0 allows exactly one type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SelectType {
    /// Number of types in the annotation (valid only if 1).
    pub count: u32,
    /// The first type, if any.
    pub ty: Option<ValType>,
}
impl Immediate for SelectType {
    const KIND: ImmKind = ImmKind::SelectType;
    fn read(r: &mut Reader<'_>) -> Result<Self> {
        let count = r.u32()?;
        if count as usize > r.remaining() {
            return Err(r.err(ErrorKind::UnexpectedEnd));
        }
        let mut ty = None;
        for i in 0..count {
            let t = super::types::read_valtype(r)?;
            if i == 0 {
                ty = Some(t);
            }
        }
        Ok(SelectType { count, ty })
    }
}

/// How the validator types an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sig {
    /// Typed by hand in the validator.
    Special,
    /// Pops `params` (last on top), pushes `results`.
    Simple(&'static [ValType], &'static [ValType]),
    /// A load pushing `ty`, with natural alignment `2^align`.
    Load(ValType, u32),
    /// A store of `ty`, with natural alignment `2^align`.
    Store(ValType, u32),
}

macro_rules! sig_of {
    ((special)) => {
        Sig::Special
    };
    ((load $t:ident $a:literal)) => {
        Sig::Load(ValType::$t, $a)
    };
    ((store $t:ident $a:literal)) => {
        Sig::Store(ValType::$t, $a)
    };
    (($($p:ident)* -> $($r:ident)*)) => {
        Sig::Simple(&[$(ValType::$p),*], &[$(ValType::$r),*])
    };
}

/// Calls `$m!` with the instruction list: first the single-byte opcodes, then the ones
/// behind the 0xFC prefix (whose second part is a LEB128 `u32`).
#[macro_export]
#[doc(hidden)]
macro_rules! for_each_instr {
    ($m:ident) => {
        $m! {
            single {
                Unreachable = 0x00 "unreachable" {} (special);
                Nop = 0x01 "nop" {} ( -> );
                Block = 0x02 "block" { ty: BlockType } (special);
                Loop = 0x03 "loop" { ty: BlockType } (special);
                If = 0x04 "if" { ty: BlockType } (special);
                Else = 0x05 "else" {} (special);
                End = 0x0b "end" {} (special);
                Br = 0x0c "br" { label: u32 } (special);
                BrIf = 0x0d "br_if" { label: u32 } (special);
                BrTable = 0x0e "br_table" { table: BrTable } (special);
                Return = 0x0f "return" {} (special);
                Call = 0x10 "call" { func: u32 } (special);
                CallIndirect = 0x11 "call_indirect" { ty: u32, table: u32 } (special);
                Drop = 0x1a "drop" {} (special);
                Select = 0x1b "select" {} (special);
                SelectT = 0x1c "select" { ty: SelectType } (special);
                LocalGet = 0x20 "local.get" { local: u32 } (special);
                LocalSet = 0x21 "local.set" { local: u32 } (special);
                LocalTee = 0x22 "local.tee" { local: u32 } (special);
                GlobalGet = 0x23 "global.get" { global: u32 } (special);
                GlobalSet = 0x24 "global.set" { global: u32 } (special);
                TableGet = 0x25 "table.get" { table: u32 } (special);
                TableSet = 0x26 "table.set" { table: u32 } (special);
                I32Load = 0x28 "i32.load" { m: MemArg } (load I32 2);
                I64Load = 0x29 "i64.load" { m: MemArg } (load I64 3);
                F32Load = 0x2a "f32.load" { m: MemArg } (load F32 2);
                F64Load = 0x2b "f64.load" { m: MemArg } (load F64 3);
                I32Load8S = 0x2c "i32.load8_s" { m: MemArg } (load I32 0);
                I32Load8U = 0x2d "i32.load8_u" { m: MemArg } (load I32 0);
                I32Load16S = 0x2e "i32.load16_s" { m: MemArg } (load I32 1);
                I32Load16U = 0x2f "i32.load16_u" { m: MemArg } (load I32 1);
                I64Load8S = 0x30 "i64.load8_s" { m: MemArg } (load I64 0);
                I64Load8U = 0x31 "i64.load8_u" { m: MemArg } (load I64 0);
                I64Load16S = 0x32 "i64.load16_s" { m: MemArg } (load I64 1);
                I64Load16U = 0x33 "i64.load16_u" { m: MemArg } (load I64 1);
                I64Load32S = 0x34 "i64.load32_s" { m: MemArg } (load I64 2);
                I64Load32U = 0x35 "i64.load32_u" { m: MemArg } (load I64 2);
                I32Store = 0x36 "i32.store" { m: MemArg } (store I32 2);
                I64Store = 0x37 "i64.store" { m: MemArg } (store I64 3);
                F32Store = 0x38 "f32.store" { m: MemArg } (store F32 2);
                F64Store = 0x39 "f64.store" { m: MemArg } (store F64 3);
                I32Store8 = 0x3a "i32.store8" { m: MemArg } (store I32 0);
                I32Store16 = 0x3b "i32.store16" { m: MemArg } (store I32 1);
                I64Store8 = 0x3c "i64.store8" { m: MemArg } (store I64 0);
                I64Store16 = 0x3d "i64.store16" { m: MemArg } (store I64 1);
                I64Store32 = 0x3e "i64.store32" { m: MemArg } (store I64 2);
                MemorySize = 0x3f "memory.size" { mem: Zero } (special);
                MemoryGrow = 0x40 "memory.grow" { mem: Zero } (special);
                I32Const = 0x41 "i32.const" { value: i32 } ( -> I32);
                I64Const = 0x42 "i64.const" { value: i64 } ( -> I64);
                F32Const = 0x43 "f32.const" { value: Ieee32 } ( -> F32);
                F64Const = 0x44 "f64.const" { value: Ieee64 } ( -> F64);
                I32Eqz = 0x45 "i32.eqz" {} (I32 -> I32);
                I32Eq = 0x46 "i32.eq" {} (I32 I32 -> I32);
                I32Ne = 0x47 "i32.ne" {} (I32 I32 -> I32);
                I32LtS = 0x48 "i32.lt_s" {} (I32 I32 -> I32);
                I32LtU = 0x49 "i32.lt_u" {} (I32 I32 -> I32);
                I32GtS = 0x4a "i32.gt_s" {} (I32 I32 -> I32);
                I32GtU = 0x4b "i32.gt_u" {} (I32 I32 -> I32);
                I32LeS = 0x4c "i32.le_s" {} (I32 I32 -> I32);
                I32LeU = 0x4d "i32.le_u" {} (I32 I32 -> I32);
                I32GeS = 0x4e "i32.ge_s" {} (I32 I32 -> I32);
                I32GeU = 0x4f "i32.ge_u" {} (I32 I32 -> I32);
                I64Eqz = 0x50 "i64.eqz" {} (I64 -> I32);
                I64Eq = 0x51 "i64.eq" {} (I64 I64 -> I32);
                I64Ne = 0x52 "i64.ne" {} (I64 I64 -> I32);
                I64LtS = 0x53 "i64.lt_s" {} (I64 I64 -> I32);
                I64LtU = 0x54 "i64.lt_u" {} (I64 I64 -> I32);
                I64GtS = 0x55 "i64.gt_s" {} (I64 I64 -> I32);
                I64GtU = 0x56 "i64.gt_u" {} (I64 I64 -> I32);
                I64LeS = 0x57 "i64.le_s" {} (I64 I64 -> I32);
                I64LeU = 0x58 "i64.le_u" {} (I64 I64 -> I32);
                I64GeS = 0x59 "i64.ge_s" {} (I64 I64 -> I32);
                I64GeU = 0x5a "i64.ge_u" {} (I64 I64 -> I32);
                F32Eq = 0x5b "f32.eq" {} (F32 F32 -> I32);
                F32Ne = 0x5c "f32.ne" {} (F32 F32 -> I32);
                F32Lt = 0x5d "f32.lt" {} (F32 F32 -> I32);
                F32Gt = 0x5e "f32.gt" {} (F32 F32 -> I32);
                F32Le = 0x5f "f32.le" {} (F32 F32 -> I32);
                F32Ge = 0x60 "f32.ge" {} (F32 F32 -> I32);
                F64Eq = 0x61 "f64.eq" {} (F64 F64 -> I32);
                F64Ne = 0x62 "f64.ne" {} (F64 F64 -> I32);
                F64Lt = 0x63 "f64.lt" {} (F64 F64 -> I32);
                F64Gt = 0x64 "f64.gt" {} (F64 F64 -> I32);
                F64Le = 0x65 "f64.le" {} (F64 F64 -> I32);
                F64Ge = 0x66 "f64.ge" {} (F64 F64 -> I32);
                I32Clz = 0x67 "i32.clz" {} (I32 -> I32);
                I32Ctz = 0x68 "i32.ctz" {} (I32 -> I32);
                I32Popcnt = 0x69 "i32.popcnt" {} (I32 -> I32);
                I32Add = 0x6a "i32.add" {} (I32 I32 -> I32);
                I32Sub = 0x6b "i32.sub" {} (I32 I32 -> I32);
                I32Mul = 0x6c "i32.mul" {} (I32 I32 -> I32);
                I32DivS = 0x6d "i32.div_s" {} (I32 I32 -> I32);
                I32DivU = 0x6e "i32.div_u" {} (I32 I32 -> I32);
                I32RemS = 0x6f "i32.rem_s" {} (I32 I32 -> I32);
                I32RemU = 0x70 "i32.rem_u" {} (I32 I32 -> I32);
                I32And = 0x71 "i32.and" {} (I32 I32 -> I32);
                I32Or = 0x72 "i32.or" {} (I32 I32 -> I32);
                I32Xor = 0x73 "i32.xor" {} (I32 I32 -> I32);
                I32Shl = 0x74 "i32.shl" {} (I32 I32 -> I32);
                I32ShrS = 0x75 "i32.shr_s" {} (I32 I32 -> I32);
                I32ShrU = 0x76 "i32.shr_u" {} (I32 I32 -> I32);
                I32Rotl = 0x77 "i32.rotl" {} (I32 I32 -> I32);
                I32Rotr = 0x78 "i32.rotr" {} (I32 I32 -> I32);
                I64Clz = 0x79 "i64.clz" {} (I64 -> I64);
                I64Ctz = 0x7a "i64.ctz" {} (I64 -> I64);
                I64Popcnt = 0x7b "i64.popcnt" {} (I64 -> I64);
                I64Add = 0x7c "i64.add" {} (I64 I64 -> I64);
                I64Sub = 0x7d "i64.sub" {} (I64 I64 -> I64);
                I64Mul = 0x7e "i64.mul" {} (I64 I64 -> I64);
                I64DivS = 0x7f "i64.div_s" {} (I64 I64 -> I64);
                I64DivU = 0x80 "i64.div_u" {} (I64 I64 -> I64);
                I64RemS = 0x81 "i64.rem_s" {} (I64 I64 -> I64);
                I64RemU = 0x82 "i64.rem_u" {} (I64 I64 -> I64);
                I64And = 0x83 "i64.and" {} (I64 I64 -> I64);
                I64Or = 0x84 "i64.or" {} (I64 I64 -> I64);
                I64Xor = 0x85 "i64.xor" {} (I64 I64 -> I64);
                I64Shl = 0x86 "i64.shl" {} (I64 I64 -> I64);
                I64ShrS = 0x87 "i64.shr_s" {} (I64 I64 -> I64);
                I64ShrU = 0x88 "i64.shr_u" {} (I64 I64 -> I64);
                I64Rotl = 0x89 "i64.rotl" {} (I64 I64 -> I64);
                I64Rotr = 0x8a "i64.rotr" {} (I64 I64 -> I64);
                F32Abs = 0x8b "f32.abs" {} (F32 -> F32);
                F32Neg = 0x8c "f32.neg" {} (F32 -> F32);
                F32Ceil = 0x8d "f32.ceil" {} (F32 -> F32);
                F32Floor = 0x8e "f32.floor" {} (F32 -> F32);
                F32Trunc = 0x8f "f32.trunc" {} (F32 -> F32);
                F32Nearest = 0x90 "f32.nearest" {} (F32 -> F32);
                F32Sqrt = 0x91 "f32.sqrt" {} (F32 -> F32);
                F32Add = 0x92 "f32.add" {} (F32 F32 -> F32);
                F32Sub = 0x93 "f32.sub" {} (F32 F32 -> F32);
                F32Mul = 0x94 "f32.mul" {} (F32 F32 -> F32);
                F32Div = 0x95 "f32.div" {} (F32 F32 -> F32);
                F32Min = 0x96 "f32.min" {} (F32 F32 -> F32);
                F32Max = 0x97 "f32.max" {} (F32 F32 -> F32);
                F32Copysign = 0x98 "f32.copysign" {} (F32 F32 -> F32);
                F64Abs = 0x99 "f64.abs" {} (F64 -> F64);
                F64Neg = 0x9a "f64.neg" {} (F64 -> F64);
                F64Ceil = 0x9b "f64.ceil" {} (F64 -> F64);
                F64Floor = 0x9c "f64.floor" {} (F64 -> F64);
                F64Trunc = 0x9d "f64.trunc" {} (F64 -> F64);
                F64Nearest = 0x9e "f64.nearest" {} (F64 -> F64);
                F64Sqrt = 0x9f "f64.sqrt" {} (F64 -> F64);
                F64Add = 0xa0 "f64.add" {} (F64 F64 -> F64);
                F64Sub = 0xa1 "f64.sub" {} (F64 F64 -> F64);
                F64Mul = 0xa2 "f64.mul" {} (F64 F64 -> F64);
                F64Div = 0xa3 "f64.div" {} (F64 F64 -> F64);
                F64Min = 0xa4 "f64.min" {} (F64 F64 -> F64);
                F64Max = 0xa5 "f64.max" {} (F64 F64 -> F64);
                F64Copysign = 0xa6 "f64.copysign" {} (F64 F64 -> F64);
                I32WrapI64 = 0xa7 "i32.wrap_i64" {} (I64 -> I32);
                I32TruncF32S = 0xa8 "i32.trunc_f32_s" {} (F32 -> I32);
                I32TruncF32U = 0xa9 "i32.trunc_f32_u" {} (F32 -> I32);
                I32TruncF64S = 0xaa "i32.trunc_f64_s" {} (F64 -> I32);
                I32TruncF64U = 0xab "i32.trunc_f64_u" {} (F64 -> I32);
                I64ExtendI32S = 0xac "i64.extend_i32_s" {} (I32 -> I64);
                I64ExtendI32U = 0xad "i64.extend_i32_u" {} (I32 -> I64);
                I64TruncF32S = 0xae "i64.trunc_f32_s" {} (F32 -> I64);
                I64TruncF32U = 0xaf "i64.trunc_f32_u" {} (F32 -> I64);
                I64TruncF64S = 0xb0 "i64.trunc_f64_s" {} (F64 -> I64);
                I64TruncF64U = 0xb1 "i64.trunc_f64_u" {} (F64 -> I64);
                F32ConvertI32S = 0xb2 "f32.convert_i32_s" {} (I32 -> F32);
                F32ConvertI32U = 0xb3 "f32.convert_i32_u" {} (I32 -> F32);
                F32ConvertI64S = 0xb4 "f32.convert_i64_s" {} (I64 -> F32);
                F32ConvertI64U = 0xb5 "f32.convert_i64_u" {} (I64 -> F32);
                F32DemoteF64 = 0xb6 "f32.demote_f64" {} (F64 -> F32);
                F64ConvertI32S = 0xb7 "f64.convert_i32_s" {} (I32 -> F64);
                F64ConvertI32U = 0xb8 "f64.convert_i32_u" {} (I32 -> F64);
                F64ConvertI64S = 0xb9 "f64.convert_i64_s" {} (I64 -> F64);
                F64ConvertI64U = 0xba "f64.convert_i64_u" {} (I64 -> F64);
                F64PromoteF32 = 0xbb "f64.promote_f32" {} (F32 -> F64);
                I32ReinterpretF32 = 0xbc "i32.reinterpret_f32" {} (F32 -> I32);
                I64ReinterpretF64 = 0xbd "i64.reinterpret_f64" {} (F64 -> I64);
                F32ReinterpretI32 = 0xbe "f32.reinterpret_i32" {} (I32 -> F32);
                F64ReinterpretI64 = 0xbf "f64.reinterpret_i64" {} (I64 -> F64);
                I32Extend8S = 0xc0 "i32.extend8_s" {} (I32 -> I32);
                I32Extend16S = 0xc1 "i32.extend16_s" {} (I32 -> I32);
                I64Extend8S = 0xc2 "i64.extend8_s" {} (I64 -> I64);
                I64Extend16S = 0xc3 "i64.extend16_s" {} (I64 -> I64);
                I64Extend32S = 0xc4 "i64.extend32_s" {} (I64 -> I64);
                RefNull = 0xd0 "ref.null" { ty: RefTypeImm } (special);
                RefIsNull = 0xd1 "ref.is_null" {} (special);
                RefFunc = 0xd2 "ref.func" { func: u32 } (special);
            }
            prefix_fc {
                I32TruncSatF32S = 0 "i32.trunc_sat_f32_s" {} (F32 -> I32);
                I32TruncSatF32U = 1 "i32.trunc_sat_f32_u" {} (F32 -> I32);
                I32TruncSatF64S = 2 "i32.trunc_sat_f64_s" {} (F64 -> I32);
                I32TruncSatF64U = 3 "i32.trunc_sat_f64_u" {} (F64 -> I32);
                I64TruncSatF32S = 4 "i64.trunc_sat_f32_s" {} (F32 -> I64);
                I64TruncSatF32U = 5 "i64.trunc_sat_f32_u" {} (F32 -> I64);
                I64TruncSatF64S = 6 "i64.trunc_sat_f64_s" {} (F64 -> I64);
                I64TruncSatF64U = 7 "i64.trunc_sat_f64_u" {} (F64 -> I64);
                MemoryInit = 8 "memory.init" { data: u32, mem: Zero } (special);
                DataDrop = 9 "data.drop" { data: u32 } (special);
                MemoryCopy = 10 "memory.copy" { dst: Zero, src: Zero } (special);
                MemoryFill = 11 "memory.fill" { mem: Zero } (special);
                TableInit = 12 "table.init" { elem: u32, table: u32 } (special);
                ElemDrop = 13 "elem.drop" { elem: u32 } (special);
                TableCopy = 14 "table.copy" { dst: u32, src: u32 } (special);
                TableGrow = 15 "table.grow" { table: u32 } (special);
                TableSize = 16 "table.size" { table: u32 } (special);
                TableFill = 17 "table.fill" { table: u32 } (special);
            }
        }
    };
}

macro_rules! define_instr {
    (
        single { $( $name:ident = $code:literal $text:literal { $($f:ident : $ft:ty),* } $sig:tt ; )* }
        prefix_fc { $( $fname:ident = $fcode:literal $ftext:literal { $($ff:ident : $fft:ty),* } $fsig:tt ; )* }
    ) => {
        /// A decoded instruction with its immediates.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[allow(missing_docs)]
        pub enum Instr {
            $( $name { $($f: $ft),* }, )*
            $( $fname { $($ff: $fft),* }, )*
        }

        /// Opcode bytes, named like the [`Instr`] variants. Prefixed opcodes (`0xFC n`)
        /// are in [`op::fc`].
        #[allow(non_upper_case_globals, missing_docs)]
        pub mod op {
            $( pub const $name: u8 = $code; )*
            /// The `0xFC` prefix.
            pub const PREFIX_FC: u8 = 0xfc;
            /// Second parts of the `0xFC`-prefixed opcodes.
            pub mod fc {
                $( pub const $fname: u32 = $fcode; )*
            }
        }

        impl Instr {
            /// Decodes one instruction. Unknown opcodes, SIMD included, are malformed.
            #[inline]
            pub fn read(r: &mut Reader<'_>) -> Result<Instr> {
                Self::read_with(r, false)
            }

            /// Decodes one instruction of a body that may hold [fused](super::fused)
            /// opcodes (`fused`): one is checked against the bytes after it and read as
            /// the first instruction of its sequence. They are looked for only where an
            /// opcode is unknown, so ordinary instructions cost nothing more (measured: a
            /// test per instruction made validation 3-4% slower).
            #[inline]
            pub fn read_with(r: &mut Reader<'_>, fused: bool) -> Result<Instr> {
                let at = r.pos();
                let code = r.u8()?;
                Ok(match code {
                    $( $code => Instr::$name { $($f: <$ft as Immediate>::read(r)?),* }, )*
                    0xfc => {
                        let sub = r.u32()?;
                        match sub {
                            $( $fcode => Instr::$fname { $($ff: <$fft as Immediate>::read(r)?),* }, )*
                            _ => return Err(Error::new(ErrorKind::UnknownOpcode, at)),
                        }
                    }
                    _ if fused => return super::fused::read_first(code, at, r),
                    _ => return Err(Error::new(ErrorKind::UnknownOpcode, at)),
                })
            }

            /// The text-format name.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Instr::$name { .. } => $text, )*
                    $( Instr::$fname { .. } => $ftext, )*
                }
            }

            /// How the validator types this instruction.
            pub fn sig(&self) -> Sig {
                match self {
                    $( Instr::$name { .. } => sig_of!($sig), )*
                    $( Instr::$fname { .. } => sig_of!($fsig), )*
                }
            }
        }

        /// The typing of the loads and stores, opcodes [`MEMORY_FIRST`] to
        /// [`MEMORY_LAST`], by opcode minus the first (see [`MemoryOp`]).
        #[allow(unused_comparisons)]
        const MEMORY_OPS: [MemoryOp; MEMORY_COUNT] = {
            let mut t = [MemoryOp { ty: 0, natural: 0, store: false }; MEMORY_COUNT];
            $( if MEMORY_FIRST as usize <= $code && $code <= MEMORY_LAST as usize {
                t[($code as usize).wrapping_sub(MEMORY_FIRST as usize)] =
                    MemoryOp::of(sig_of!($sig));
            } )*
            t
        };

        /// The one-parameter, one-result signatures of the `0xFC`-prefixed instructions
        /// (the saturating truncations), by second part: the parameter's type byte, the
        /// result's in the high byte; 0 for the others.
        const FC_UNARY: &[u16] = &[$( unary_of(sig_of!($fsig)) ),*];

        /// The [`ImmKind`]s of each single-byte opcode's immediates, packed by
        /// [`pack_kinds`]; [`NOT_AN_OPCODE`] for the bytes that are none.
        const SKIPS: [u8; 256] = {
            let mut t = [NOT_AN_OPCODE; 256];
            $( t[$code] = pack_kinds(&[$(<$ft as Immediate>::KIND),*]); )*
            t
        };

        /// The same for the `0xFC`-prefixed instructions, by second part.
        const FC_SKIPS: &[u8] = &[$( pack_kinds(&[$(<$fft as Immediate>::KIND),*]) ),*];

        const _: () = {
            // `FC_SIGS` is indexed by the second part: the list must number them from 0.
            let mut i = 0u32;
            $( assert!($fcode == i); i += 1; )*
            let _ = i;
        };

        /// [`SimpleOp`] of every single-byte opcode, by opcode byte.
        const SIMPLE_OPS: [SimpleOp; 256] = {
            let mut t = [SimpleOp::NONE; 256];
            $( t[$code] = SimpleOp::of(
                sig_of!($sig),
                0 $( + { let _ = stringify!($f); 1 } )*,
                $code,
            ); )*
            t
        };
    };
}

/// The first load or store opcode: they are contiguous, typed by [`memory_op`].
pub(crate) const MEMORY_FIRST: u8 = op::I32Load;
/// The last load or store opcode.
pub(crate) const MEMORY_LAST: u8 = op::I64Store32;
const MEMORY_COUNT: usize = (MEMORY_LAST - MEMORY_FIRST + 1) as usize;

/// How a load or store is typed, in three bytes (a [`Sig`] takes 20 on a 32-bit target).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MemoryOp {
    /// The type byte of the value loaded or stored.
    pub ty: u8,
    /// log2 of its natural alignment.
    pub natural: u8,
    /// A store (else a load).
    pub store: bool,
}

impl MemoryOp {
    const fn of(sig: Sig) -> MemoryOp {
        match sig {
            Sig::Load(t, a) => MemoryOp {
                ty: t as u8,
                natural: a as u8,
                store: false,
            },
            Sig::Store(t, a) => MemoryOp {
                ty: t as u8,
                natural: a as u8,
                store: true,
            },
            _ => panic!("not a load or store"),
        }
    }
}

/// The typing of load or store opcode `code` (None for any other byte).
pub(crate) fn memory_op(code: u8) -> Option<MemoryOp> {
    MEMORY_OPS
        .get(code.wrapping_sub(MEMORY_FIRST) as usize)
        .copied()
}

const fn unary_of(sig: Sig) -> u16 {
    match sig {
        Sig::Simple(&[p], &[r]) => p as u16 | (r as u16) << 8,
        _ => 0,
    }
}

/// The parameter and result types of the `0xFC`-prefixed instruction `sub` if it has one
/// of each and a fixed signature (the saturating truncations), else None.
pub(crate) fn fc_unary(sub: u32) -> Option<(u8, u8)> {
    match FC_UNARY.get(sub as usize) {
        Some(&t) if t != 0 => Some((t as u8, (t >> 8) as u8)),
        _ => None,
    }
}

/// [`SKIPS`] of a byte that is no single-byte opcode (the `0xFC` prefix included).
const NOT_AN_OPCODE: u8 = 0xff;

/// An instruction's immediates' kinds in a byte: the first in the low four bits, the
/// second in the high four, 0 where there is none (no instruction has more than two).
const fn pack_kinds(kinds: &[ImmKind]) -> u8 {
    assert!(kinds.len() <= 2);
    let mut packed = 0;
    let mut i = 0;
    while i < kinds.len() {
        packed |= (kinds[i] as u8) << (4 * i);
        i += 1;
    }
    packed
}

/// Whether `code` is a single-byte opcode (not a prefix, not fused).
pub(crate) fn is_opcode(code: u8) -> bool {
    OPCODE_BYTES[code as usize] != NOT_AN_OPCODE
}

/// What flash keeps of [`SKIPS`] and of [`SIMPLE_TABLES`]' index, in one byte per opcode
/// (256 bytes saved): [`NOT_AN_OPCODE`]; an instruction's packed immediate kinds (below
/// [`NO_IMMEDIATES`]: two nibbles of at most 11); or, for one without immediates,
/// [`NO_IMMEDIATES`] plus the index of its [`SimpleOp`] (0 when it has none).
const OPCODE_BYTES: [u8; 256] = {
    let mut t = [NOT_AN_OPCODE; 256];
    let mut code = 0;
    while code < 256 {
        let (kinds, simple) = (SKIPS[code], SIMPLE_TABLES.0[code]);
        t[code] = if kinds == NOT_AN_OPCODE {
            NOT_AN_OPCODE
        } else if kinds != 0 {
            assert!(kinds < NO_IMMEDIATES && simple == 0);
            kinds
        } else {
            assert!(simple < 32);
            NO_IMMEDIATES | simple
        };
        code += 1;
    }
    t
};

/// See [`OPCODE_BYTES`].
const NO_IMMEDIATES: u8 = 0xc0;

/// The packed immediate kinds of single-byte opcode `code` (as [`SKIPS`] has them).
fn skips(code: u8) -> u8 {
    match OPCODE_BYTES[code as usize] {
        NOT_AN_OPCODE => NOT_AN_OPCODE,
        b if b >= NO_IMMEDIATES => 0,
        b => b,
    }
}

/// Reads past one instruction, checking its encoding only (the same checks as
/// [`Instr::read_with`], whose [`Instr`] it does not build): its opcode, the first of its
/// sequence for a fused one, and a `br_table`'s number of targets (0 for the others).
/// For the passes that count side-table entries by decoding alone.
pub(crate) fn skip_instr(r: &mut Reader<'_>, fused: bool) -> Result<(u8, u32)> {
    const U32: u8 = ImmKind::U32 as u8;
    const I32: u8 = ImmKind::I32 as u8;
    const I64: u8 = ImmKind::I64 as u8;
    const BLOCK_TYPE: u8 = ImmKind::BlockType as u8;
    const MEM_ARG: u8 = ImmKind::MemArg as u8;
    const IEEE32: u8 = ImmKind::Ieee32 as u8;
    const IEEE64: u8 = ImmKind::Ieee64 as u8;
    const ZERO: u8 = ImmKind::Zero as u8;
    const REF_TYPE: u8 = ImmKind::RefType as u8;
    const BR_TABLE: u8 = ImmKind::BrTable as u8;
    const SELECT_TYPE: u8 = ImmKind::SelectType as u8;
    let at = r.pos();
    let mut code = r.u8()?;
    if fused {
        code = super::fused::unfuse_checked(code, at, r.rest())?;
    }
    let kinds = match code {
        op::PREFIX_FC => FC_SKIPS.get(r.u32()? as usize).copied(),
        _ => Some(skips(code)),
    };
    let kinds = match kinds {
        Some(k) if k != NOT_AN_OPCODE => k,
        _ => return Err(Error::new(ErrorKind::UnknownOpcode, at)),
    };
    let mut targets = 0;
    for kind in [kinds & 0xf, kinds >> 4] {
        match kind {
            U32 => r.u32().map(drop)?,
            I32 => r.i32().map(drop)?,
            I64 => r.i64().map(drop)?,
            BLOCK_TYPE => BlockType::read(r).map(drop)?,
            MEM_ARG => MemArg::read(r).map(drop)?,
            IEEE32 => r.fixed_u32().map(drop)?,
            IEEE64 => r.fixed_u64().map(drop)?,
            ZERO => Zero::read(r).map(drop)?,
            REF_TYPE => super::types::read_reftype(r).map(drop)?,
            BR_TABLE => targets = BrTable::read(r)?.count,
            SELECT_TYPE => SelectType::read(r).map(drop)?,
            _ => {}
        }
    }
    Ok((code, targets))
}

/// One instruction of a constant expression (spec 3.3.10), as the validator and the store
/// read them: the instructions a constant expression may hold, `end`, and [`Other`] for
/// any other opcode, whose immediates are not read. Decoding these does not link the
/// decoder of every instruction ([`Instr::read`]) into the runtime.
///
/// [`Other`]: ConstInstr::Other
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConstInstr {
    End,
    I32Const(i32),
    I64Const(i64),
    F32Const(u32),
    F64Const(u64),
    RefNull(ValType),
    RefFunc(u32),
    GlobalGet(u32),
    /// An instruction that is not constant.
    Other,
}

impl ConstInstr {
    /// Reads one; a byte that is no opcode is [`ErrorKind::UnknownOpcode`], as in
    /// [`Instr::read`].
    pub(crate) fn read(r: &mut Reader<'_>) -> Result<ConstInstr> {
        let at = r.pos();
        let code = r.u8()?;
        Ok(match code {
            op::End => ConstInstr::End,
            op::I32Const => ConstInstr::I32Const(r.i32()?),
            op::I64Const => ConstInstr::I64Const(r.i64()?),
            op::F32Const => ConstInstr::F32Const(r.fixed_u32()?),
            op::F64Const => ConstInstr::F64Const(r.fixed_u64()?),
            op::RefNull => ConstInstr::RefNull(super::types::read_reftype(r)?),
            op::RefFunc => ConstInstr::RefFunc(r.u32()?),
            op::GlobalGet => ConstInstr::GlobalGet(r.u32()?),
            op::PREFIX_FC if (r.u32()? as usize) < FC_SKIPS.len() => ConstInstr::Other,
            _ if is_opcode(code) => ConstInstr::Other,
            _ => return Err(Error::new(ErrorKind::UnknownOpcode, at)),
        })
    }
}

/// [`SIMPLE_OPS`] stored as an index per opcode into a list of the distinct signatures:
/// 384 bytes of flash instead of 1,024.
const SIMPLE_TABLES: ([u8; 256], [SimpleOp; SIMPLE_SIGS]) = {
    let mut index = [0u8; 256];
    let mut sigs = [SimpleOp::NONE; SIMPLE_SIGS];
    let mut n = 1;
    let mut code = 0;
    while code < 256 {
        let s = SIMPLE_OPS[code];
        let mut i = 0;
        while i < n && sigs[i].0 != s.0 {
            i += 1;
        }
        if i == n {
            sigs[n] = s;
            n += 1;
        }
        index[code] = i as u8;
        code += 1;
    }
    (index, sigs)
};

/// Room for the distinct signatures of [`SimpleOp`]s, [`SimpleOp::NONE`] first (the
/// build fails if they outgrow it).
const SIMPLE_SIGS: usize = 32;

/// The [`SimpleOp`] of single-byte opcode `code` ([`SimpleOp::NONE`] if it is none).
#[inline]
pub(crate) fn simple_op(code: u8) -> SimpleOp {
    let b = OPCODE_BYTES[code as usize];
    if b & 0xe0 != NO_IMMEDIATES {
        return SimpleOp::NONE; // immediates, or no opcode
    }
    // A const of its own, so that only the list, not the whole tuple, is kept in flash.
    const SIGS: [SimpleOp; SIMPLE_SIGS] = SIMPLE_TABLES.1;
    SIGS.get((b & 31) as usize)
        .copied()
        .unwrap_or(SimpleOp::NONE)
}

/// The typing of a one-byte instruction without immediates whose signature is fixed
/// (`i32.add`, `f64.sqrt`, `nop`: most of the numeric instructions), packed so the
/// validator types it from its opcode byte without decoding an [`Instr`]: byte 0 is one
/// more than the number of parameters (0 for every other opcode), bytes 1 and 2 the
/// parameters' type bytes (last on top), byte 3 the result's (0 if none). Generated from
/// the instruction list; no such instruction has more than two parameters or one result.
/// Without the `float` feature, the instructions [`computes_float`] names are left out, so
/// they take the path that rejects them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SimpleOp(pub u32);

impl SimpleOp {
    /// Not such an instruction.
    pub(crate) const NONE: SimpleOp = SimpleOp(0);

    const fn of(sig: Sig, immediates: u32, code: u8) -> SimpleOp {
        let Sig::Simple(params, results) = sig else {
            return SimpleOp::NONE;
        };
        if immediates != 0 || (!cfg!(feature = "float") && float_opcode(code)) {
            return SimpleOp::NONE;
        }
        assert!(params.len() <= 2 && results.len() <= 1);
        let mut packed = 1 + params.len() as u32;
        let mut i = 0;
        while i < params.len() {
            packed |= (params[i] as u32) << (8 * (i + 1));
            i += 1;
        }
        if results.len() == 1 {
            packed |= (results[0] as u32) << 24;
        }
        SimpleOp(packed)
    }
}

/// The single-byte opcodes of instructions that compute on floats (see [`computes_float`]).
pub(crate) const fn float_opcode(code: u8) -> bool {
    matches!(code, 0x5b..=0x66 | 0x8b..=0xa6 | 0xa8..=0xab | 0xae..=0xbb)
}

for_each_instr!(define_instr);

/// Whether an instruction computes on floats: the f32 and f64 comparisons and arithmetic
/// (`0x5B`-`0x66`, `0x8B`-`0xA6`), the conversions to, from and between them (`0xA8`-`0xAB`,
/// `0xAE`-`0xBB`) and the saturating truncations (`0xFC 0`-`7`). `opcode` is the
/// instruction's first byte. Float constants, loads, stores and reinterpretations only move
/// bits and are not included.
///
/// Built without its `float` feature, the runtime rejects these with
/// [`ErrorKind::FloatUnsupported`] and links no float code (no soft-float routines on a
/// Cortex-M4 for f64, no rounding functions), as Wasm3's `d_m3HasFloat` does.
pub fn computes_float(opcode: u8, instr: &Instr) -> bool {
    match opcode {
        _ if float_opcode(opcode) => true,
        op::PREFIX_FC => matches!(
            instr,
            Instr::I32TruncSatF32S {}
                | Instr::I32TruncSatF32U {}
                | Instr::I32TruncSatF64S {}
                | Instr::I32TruncSatF64U {}
                | Instr::I64TruncSatF32S {}
                | Instr::I64TruncSatF32U {}
                | Instr::I64TruncSatF64S {}
                | Instr::I64TruncSatF64U {}
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;
    use std::vec::Vec;

    fn decode(b: &[u8]) -> Result<Instr> {
        Instr::read(&mut Reader::new(b))
    }

    /// `computes_float` against a rule on the text names: an f32/f64 instruction other than
    /// a constant, load, store or reinterpretation, or a conversion from a float.
    #[test]
    fn computes_float_matches_the_names() {
        let by_name = |n: &str| {
            let float_op = (n.starts_with("f32.") || n.starts_with("f64."))
                && !n.contains(".const")
                && !n.contains(".load")
                && !n.contains(".store")
                && !n.contains("reinterpret");
            let from_float =
                (n.contains("_f32") || n.contains("_f64")) && !n.contains("reinterpret");
            float_op || from_float
        };
        let mut floats = 0;
        for b in 0..=255u8 {
            let mut bytes = [0u8; 12];
            bytes[0] = b;
            if let Ok(i) = decode(&bytes) {
                if b != op::PREFIX_FC {
                    assert_eq!(computes_float(b, &i), by_name(i.name()), "{}", i.name());
                    floats += computes_float(b, &i) as u32;
                }
            }
        }
        for sub in 0..=17u8 {
            let i = decode(&[op::PREFIX_FC, sub, 0, 0, 0, 0]).unwrap();
            assert_eq!(
                computes_float(op::PREFIX_FC, &i),
                by_name(i.name()),
                "{}",
                i.name()
            );
            floats += computes_float(op::PREFIX_FC, &i) as u32;
        }
        assert_eq!(floats, 58 + 8);
    }

    /// Instruction encodings to compare the decoders on: every opcode byte and every
    /// `0xFC` second part, followed by byte strings that give each kind of immediate a
    /// valid value, a multi-byte one, an invalid one or none at all (truncated).
    fn samples() -> Vec<Vec<u8>> {
        let tails: [&[u8]; 8] = [
            &[],
            &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &[0x7f, 0x40, 0x01, 2, 3, 4, 5, 6, 7, 8],
            &[0x85, 0x80, 0x80, 0x80, 0x00, 0x02, 0x0b, 0x01, 9, 9],
            &[0x02, 0x01, 0x00, 0x03, 0x70, 0, 0, 0, 0, 0],
            &[0x01, 0x7f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00],
            &[0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0, 0],
            &[0x80],
        ];
        let mut out = Vec::new();
        for b in 0..=255u8 {
            for t in tails {
                let mut v = vec![b];
                v.extend_from_slice(t);
                out.push(v);
                if b == op::PREFIX_FC {
                    for sub in 0..=18u8 {
                        let mut v = vec![b, sub];
                        v.extend_from_slice(t);
                        out.push(v);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn skip_instr_reads_what_the_decoder_reads() {
        for bytes in samples() {
            for fused in [false, true] {
                let (mut a, mut b) = (Reader::new(&bytes), Reader::new(&bytes));
                let decoded = Instr::read_with(&mut a, fused);
                let skipped = skip_instr(&mut b, fused);
                match (decoded, skipped) {
                    (Ok(i), Ok((_, targets))) => {
                        assert_eq!(a.pos(), b.pos(), "{bytes:02x?}");
                        let want = match i {
                            Instr::BrTable { table } => table.count,
                            _ => 0,
                        };
                        assert_eq!(targets, want, "{bytes:02x?}");
                    }
                    (Err(e), Err(f)) => assert_eq!(e, f, "{bytes:02x?}"),
                    (d, k) => panic!("{bytes:02x?}: decoder {d:?}, skip {k:?}"),
                }
            }
        }
    }

    #[test]
    fn const_instrs_are_what_the_decoder_reads() {
        for bytes in samples() {
            let (mut a, mut b) = (Reader::new(&bytes), Reader::new(&bytes));
            let want = Instr::read(&mut a).map(|i| match i {
                Instr::End {} => ConstInstr::End,
                Instr::I32Const { value } => ConstInstr::I32Const(value),
                Instr::I64Const { value } => ConstInstr::I64Const(value),
                Instr::F32Const { value } => ConstInstr::F32Const(value.0),
                Instr::F64Const { value } => ConstInstr::F64Const(value.0),
                Instr::RefNull { ty } => ConstInstr::RefNull(ty.0),
                Instr::RefFunc { func } => ConstInstr::RefFunc(func),
                Instr::GlobalGet { global } => ConstInstr::GlobalGet(global),
                _ => ConstInstr::Other,
            });
            let got = ConstInstr::read(&mut b);
            match (want, got) {
                // The immediates of an instruction that is not constant are not read, so
                // bad ones are not reported (the expression is rejected as not constant).
                (Ok(ConstInstr::Other), Ok(ConstInstr::Other)) => {}
                (Err(_), Ok(ConstInstr::Other)) => {
                    assert!(bytes[0] == op::PREFIX_FC || is_opcode(bytes[0]));
                }
                (Ok(w), Ok(g)) => {
                    assert_eq!(w, g, "{bytes:02x?}");
                    assert_eq!(a.pos(), b.pos(), "{bytes:02x?}");
                }
                (Err(e), Err(f)) => assert_eq!(e, f, "{bytes:02x?}"),
                (w, g) => panic!("{bytes:02x?}: decoder {w:?}, const {g:?}"),
            }
        }
    }

    #[test]
    fn memory_and_prefixed_tables_agree_with_the_signatures() {
        for b in 0..=255u8 {
            let bytes = [b, 2, 0, 0, 0, 0];
            let sig = Instr::read(&mut Reader::new(&bytes)).map(|i| i.sig());
            let want = match sig {
                Ok(Sig::Load(t, a)) => Some((t as u8, a as u8, false)),
                Ok(Sig::Store(t, a)) => Some((t as u8, a as u8, true)),
                _ => None,
            };
            let got = memory_op(b).map(|m| (m.ty, m.natural, m.store));
            assert_eq!(got, want, "{b:#04x}");
        }
        for sub in 0..=18u8 {
            let sig = Instr::read(&mut Reader::new(&[op::PREFIX_FC, sub, 0, 0, 0, 0]));
            let want = match sig.map(|i| i.sig()) {
                Ok(Sig::Simple(&[p], &[r])) => Some((p as u8, r as u8)),
                _ => None,
            };
            assert_eq!(fc_unary(sub as u32), want, "0xfc {sub}");
        }
        assert_eq!(
            (0..=18).filter_map(fc_unary).count(),
            8,
            "the saturating truncations"
        );
    }

    #[test]
    fn decodes_immediates() {
        assert_eq!(decode(&[0x41, 0x7f]), Ok(Instr::I32Const { value: -1 }));
        assert_eq!(
            decode(&[0x28, 2, 8]),
            Ok(Instr::I32Load {
                m: MemArg {
                    align: 2,
                    offset: 8
                }
            })
        );
        assert_eq!(
            decode(&[0x43, 0, 0, 0x80, 0x3f]),
            Ok(Instr::F32Const {
                value: Ieee32(0x3f80_0000)
            })
        );
        assert_eq!(
            decode(&[0xfc, 0x0b, 0]),
            Ok(Instr::MemoryFill { mem: Zero })
        );
        assert_eq!(
            decode(&[0x11, 0x85, 0x80, 0x80, 0x80, 0x00, 0]),
            Ok(Instr::CallIndirect { ty: 5, table: 0 })
        );
    }

    #[test]
    fn rejects_unknown_and_truncated() {
        assert_eq!(
            decode(&[0xfd, 0]).unwrap_err().kind(),
            ErrorKind::UnknownOpcode
        );
        assert_eq!(
            decode(&[0x06]).unwrap_err().kind(),
            ErrorKind::UnknownOpcode
        );
        assert_eq!(
            decode(&[0xfc, 18]).unwrap_err().kind(),
            ErrorKind::UnknownOpcode
        );
        assert_eq!(
            decode(&[0x3f, 1]).unwrap_err().kind(),
            ErrorKind::ZeroByteExpected
        );
        assert_eq!(
            decode(&[0x0e, 0xff, 0xff, 0xff, 0xff, 0x0f])
                .unwrap_err()
                .kind(),
            ErrorKind::UnexpectedEnd
        );
        assert_eq!(
            decode(&[0x44, 0, 0]).unwrap_err().kind(),
            ErrorKind::UnexpectedEnd
        );
    }

    /// The validator's table of fixed-signature one-byte instructions agrees with
    /// [`Instr::sig`]: every one-byte instruction without immediates whose signature is
    /// [`Sig::Simple`] is in it with that signature (float ones only with the `float`
    /// feature), and nothing else is.
    #[test]
    fn simple_ops_agree_with_the_signatures() {
        let mut simple = 0;
        for b in 0..=255u8 {
            let got = simple_op(b);
            let bytes = [b, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            let mut r = Reader::new(&bytes);
            let want = match (b, Instr::read(&mut r).map(|i| i.sig())) {
                (op::PREFIX_FC, _) => None,
                (_, Ok(Sig::Simple(p, res))) if r.pos() == 1 => Some((p, res)),
                _ => None,
            };
            let want = want.filter(|_| cfg!(feature = "float") || !float_opcode(b));
            match want {
                None => assert_eq!(got, SimpleOp::NONE, "{b:#x}"),
                Some((p, res)) => {
                    let [n, first, second, result] = got.0.to_le_bytes();
                    assert_eq!(n as usize, 1 + p.len(), "{b:#x}");
                    let packed: [u8; 2] = [first, second];
                    for (k, t) in p.iter().enumerate() {
                        assert_eq!(packed[k], *t as u8, "{b:#x}");
                    }
                    assert_eq!(result, res.first().map_or(0, |&t| t as u8), "{b:#x}");
                    simple += 1;
                }
            }
        }
        // nop and 0x45-0xc4: the comparisons, arithmetic, conversions, sign extensions.
        let expect = if cfg!(feature = "float") {
            129
        } else {
            129 - 58
        };
        assert_eq!(simple, expect);
    }

    #[test]
    fn signatures_come_from_the_list() {
        assert_eq!(
            Instr::I64Eqz {}.sig(),
            Sig::Simple(&[ValType::I64], &[ValType::I32])
        );
        assert_eq!(
            Instr::I32Load8U {
                m: MemArg {
                    align: 0,
                    offset: 0
                }
            }
            .sig(),
            Sig::Load(ValType::I32, 0)
        );
        assert_eq!(Instr::Nop {}.name(), "nop");
        assert_eq!(op::I32Add, 0x6a);
        assert_eq!(op::fc::TableFill, 17);
    }
}
