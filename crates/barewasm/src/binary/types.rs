//! Types (spec 2.3 and their binary encodings, 5.3).
//!
//! Types are read straight from the module bytes. A function type is a view of two byte
//! slices (parameters and results): in WebAssembly 2.0 every value type is one byte, so a
//! type's parameter list *is* a contiguous slice of the module, and nothing is copied.

use super::reader::Reader;
use crate::error::{ErrorKind, Result};

/// A value type (spec 2.3.4). The discriminants are the binary encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ValType {
    /// 32-bit integer.
    I32 = 0x7f,
    /// 64-bit integer.
    I64 = 0x7e,
    /// 32-bit IEEE-754 float.
    F32 = 0x7d,
    /// 64-bit IEEE-754 float.
    F64 = 0x7c,
    /// A nullable function reference.
    FuncRef = 0x70,
    /// A nullable host reference.
    ExternRef = 0x6f,
}

impl ValType {
    /// Decodes a value type from its byte. SIMD's `v128` (0x7b) is not supported.
    #[inline]
    pub const fn from_byte(b: u8) -> Option<ValType> {
        Some(match b {
            0x7f => ValType::I32,
            0x7e => ValType::I64,
            0x7d => ValType::F32,
            0x7c => ValType::F64,
            0x70 => ValType::FuncRef,
            0x6f => ValType::ExternRef,
            _ => return None,
        })
    }

    /// Whether this is a reference type.
    pub const fn is_ref(self) -> bool {
        matches!(self, ValType::FuncRef | ValType::ExternRef)
    }

    /// The text-format name.
    pub const fn name(self) -> &'static str {
        match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::FuncRef => "funcref",
            ValType::ExternRef => "externref",
        }
    }
}

/// Reads a value type.
pub fn read_valtype(r: &mut Reader<'_>) -> Result<ValType> {
    let at = r.pos();
    let b = r.u8()?;
    ValType::from_byte(b).ok_or(crate::Error::new(ErrorKind::BadValType, at))
}

/// Reads a reference type (`funcref` or `externref`).
pub fn read_reftype(r: &mut Reader<'_>) -> Result<ValType> {
    let at = r.pos();
    match r.u8()? {
        0x70 => Ok(ValType::FuncRef),
        0x6f => Ok(ValType::ExternRef),
        _ => Err(crate::Error::new(ErrorKind::BadRefType, at)),
    }
}

/// A function type (spec 2.3.6), viewed in place: each byte of `params` and `results` is
/// a valid [`ValType`] encoding (checked when the type section was decoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncType<'wasm> {
    /// Parameter types, one byte each.
    pub params: &'wasm [u8],
    /// Result types, one byte each.
    pub results: &'wasm [u8],
}

impl<'wasm> FuncType<'wasm> {
    /// The empty type `[] -> []`.
    pub const EMPTY: FuncType<'static> = FuncType {
        params: &[],
        results: &[],
    };

    /// Reads and checks a function type at the reader's position (after the 0x60 byte).
    pub fn read_body(r: &mut Reader<'wasm>) -> Result<Self> {
        let params = read_valtype_vec(r)?;
        let results = read_valtype_vec(r)?;
        Ok(FuncType { params, results })
    }

    /// Parameter `i`'s type.
    pub fn param(&self, i: usize) -> ValType {
        // Checked at decode time; a corrupt state cannot happen, but never panic.
        ValType::from_byte(self.params[i]).unwrap_or(ValType::I32)
    }

    /// Result `i`'s type.
    pub fn result(&self, i: usize) -> ValType {
        ValType::from_byte(self.results[i]).unwrap_or(ValType::I32)
    }
}

fn read_valtype_vec<'wasm>(r: &mut Reader<'wasm>) -> Result<&'wasm [u8]> {
    let n = r.count()?;
    let start = r.pos();
    let bytes = r.bytes(n)?;
    for (i, &b) in bytes.iter().enumerate() {
        if ValType::from_byte(b).is_none() {
            return Err(crate::Error::new(ErrorKind::BadValType, start + i));
        }
    }
    Ok(bytes)
}

/// Size limits of a memory or table (spec 2.3.8), with the custom-page-sizes extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Minimum size (pages or elements).
    pub min: u64,
    /// Maximum size, if declared.
    pub max: Option<u64>,
}

/// A memory type (spec 2.3.9): limits in pages, plus the page size (custom-page-sizes
/// proposal: a page is 65536 bytes unless the module declares 1-byte pages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemType {
    /// Limits in pages.
    pub limits: Limits,
    /// log2 of the page size as declared: 16 by default; validation accepts only 16 and 0.
    pub page_size_log2: u32,
}

impl MemType {
    /// Whether the page size is one this runtime supports (1 byte or 64 KiB, the two the
    /// custom-page-sizes proposal allows).
    pub const fn page_size_ok(&self) -> bool {
        self.page_size_log2 == 0 || self.page_size_log2 == 16
    }

    /// The page size in bytes (64 KiB for an unsupported page size, rejected at validation).
    pub const fn page_size(&self) -> u64 {
        if self.page_size_ok() {
            1 << self.page_size_log2
        } else {
            65536
        }
    }

    /// The largest number of pages a 32-bit memory of this page size can have: 4 GiB of
    /// bytes, and a page count that fits 32 bits (so 2^32 - 1 one-byte pages).
    pub const fn max_pages(&self) -> u64 {
        let pages = (1u64 << 32) / self.page_size();
        if pages > u32::MAX as u64 {
            u32::MAX as u64
        } else {
            pages
        }
    }

    /// Reads a memory type.
    pub fn read(r: &mut Reader<'_>) -> Result<MemType> {
        let at = r.pos();
        let flags = r.u8()?;
        // Bit 0: has maximum. Bit 1: shared (threads, unsupported). Bit 2: memory64
        // (unsupported). Bit 3: custom page size follows.
        if flags & !0b1001 != 0 {
            return Err(crate::Error::new(ErrorKind::BadLimitsFlag, at));
        }
        // With a custom page size the limits follow the newer encoding, which reads them as
        // 64-bit and leaves the bound to validation; the classic encoding reads 32 bits.
        let custom = flags & 0b1000 != 0;
        let limit = |r: &mut Reader<'_>| {
            if custom {
                r.u64()
            } else {
                r.u32().map(u64::from)
            }
        };
        let min = limit(r)?;
        let max = if flags & 1 != 0 {
            Some(limit(r)?)
        } else {
            None
        };
        let page_size_log2 = if custom { r.u32()? } else { 16 };
        if page_size_log2 >= 64 {
            // Not even a 64-bit page size: an encoding error rather than an unsupported size.
            return Err(crate::Error::new(ErrorKind::BadPageSizeEncoding, at));
        }
        Ok(MemType {
            limits: Limits { min, max },
            page_size_log2,
        })
    }
}

/// A table type (spec 2.3.10).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableType {
    /// The element type.
    pub elem: ValType,
    /// Limits in elements.
    pub limits: Limits,
}

impl TableType {
    /// Reads a table type.
    pub fn read(r: &mut Reader<'_>) -> Result<TableType> {
        let elem = read_reftype(r)?;
        let at = r.pos();
        let flags = r.u8()?;
        if flags > 1 {
            return Err(crate::Error::new(ErrorKind::BadLimitsFlag, at));
        }
        let min = r.u32()? as u64;
        let max = if flags == 1 {
            Some(r.u32()? as u64)
        } else {
            None
        };
        Ok(TableType {
            elem,
            limits: Limits { min, max },
        })
    }
}

/// A global type (spec 2.3.11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GlobalType {
    /// The value type.
    pub ty: ValType,
    /// Whether `global.set` may change it.
    pub mutable: bool,
}

impl GlobalType {
    /// Reads a global type.
    pub fn read(r: &mut Reader<'_>) -> Result<GlobalType> {
        let ty = read_valtype(r)?;
        let at = r.pos();
        let mutable = match r.u8()? {
            0 => false,
            1 => true,
            _ => return Err(crate::Error::new(ErrorKind::BadMutability, at)),
        };
        Ok(GlobalType { ty, mutable })
    }

    /// Packs into a byte: the value type's encoding with the mutable flag in bit 7 cleared.
    pub(crate) const fn pack(self) -> u32 {
        (self.ty as u32) | ((self.mutable as u32) << 8)
    }

    /// Unpacks what [`GlobalType::pack`] made.
    pub(crate) fn unpack(w: u32) -> GlobalType {
        GlobalType {
            ty: ValType::from_byte(w as u8).unwrap_or(ValType::I32),
            mutable: w & 0x100 != 0,
        }
    }
}

/// The kinds of imports and exports (spec 2.5.10-11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExternKind {
    /// A function.
    Func = 0,
    /// A table.
    Table = 1,
    /// A memory.
    Memory = 2,
    /// A global.
    Global = 3,
}

impl ExternKind {
    /// Reads an extern kind byte.
    pub fn read(r: &mut Reader<'_>) -> Result<ExternKind> {
        let at = r.pos();
        Ok(match r.u8()? {
            0 => ExternKind::Func,
            1 => ExternKind::Table,
            2 => ExternKind::Memory,
            3 => ExternKind::Global,
            _ => return Err(crate::Error::new(ErrorKind::BadExternKind, at)),
        })
    }
}

/// A block type (spec 5.4.1): empty, one result, or a type index (multi-value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlockType {
    /// `[] -> []`.
    Empty,
    /// `[] -> [t]`.
    Value(ValType),
    /// The function type with this index.
    Func(u32),
}

impl BlockType {
    /// Reads a block type.
    pub fn read(r: &mut Reader<'_>) -> Result<BlockType> {
        let b = r.peek()?;
        if b == 0x40 {
            r.u8()?;
            return Ok(BlockType::Empty);
        }
        if let Some(t) = ValType::from_byte(b) {
            r.u8()?;
            return Ok(BlockType::Value(t));
        }
        let at = r.pos();
        let idx = r.s33()?;
        if idx < 0 {
            // A negative single-byte value that is not a value type.
            return Err(crate::Error::new(ErrorKind::BadValType, at));
        }
        Ok(BlockType::Func(idx as u32))
    }
}

/// The immediate of a load or store (spec 5.4.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemArg {
    /// log2 of the alignment hint.
    pub align: u32,
    /// The constant offset added to the address.
    pub offset: u32,
}

impl MemArg {
    /// Reads a memarg.
    #[inline]
    pub fn read(r: &mut Reader<'_>) -> Result<MemArg> {
        let at = r.pos();
        let align = r.u32()?;
        // Exponents of 32 and above cannot be an alignment; multi-memory gives bit 6 a
        // meaning, so the binary format treats them as malformed flags, not invalid.
        if align >= 32 {
            return Err(crate::Error::new(ErrorKind::BadMemArgFlags, at));
        }
        let offset = r.u32()?;
        Ok(MemArg { align, offset })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_types() {
        assert_eq!(
            BlockType::read(&mut Reader::new(&[0x40])),
            Ok(BlockType::Empty)
        );
        assert_eq!(
            BlockType::read(&mut Reader::new(&[0x7e])),
            Ok(BlockType::Value(ValType::I64))
        );
        assert_eq!(
            BlockType::read(&mut Reader::new(&[0x05])),
            Ok(BlockType::Func(5))
        );
        assert_eq!(
            BlockType::read(&mut Reader::new(&[0x81, 0x01])),
            Ok(BlockType::Func(129))
        );
        assert!(BlockType::read(&mut Reader::new(&[0x7b])).is_err()); // v128
    }

    #[test]
    fn mem_types() {
        let m = MemType::read(&mut Reader::new(&[0x01, 1, 2])).unwrap();
        assert_eq!(
            m.limits,
            Limits {
                min: 1,
                max: Some(2)
            }
        );
        assert_eq!(m.page_size(), 65536);
        let m = MemType::read(&mut Reader::new(&[0x08, 7, 0])).unwrap();
        assert_eq!((m.limits.min, m.page_size()), (7, 1));
        assert!(!MemType::read(&mut Reader::new(&[0x08, 7, 3]))
            .unwrap()
            .page_size_ok());
        assert_eq!(
            MemType::read(&mut Reader::new(&[0x04, 0]))
                .unwrap_err()
                .kind(),
            ErrorKind::BadLimitsFlag
        );
    }

    #[test]
    fn global_type_packs() {
        let g = GlobalType {
            ty: ValType::F64,
            mutable: true,
        };
        assert_eq!(GlobalType::unpack(g.pack()), g);
    }
}
