//! A validated module (spec 2.5): the bytes, where they stand in flash, plus the small index
//! tables kept in the host's state buffer.
//!
//! Contract: a [`Module`] exists only after full validation ([`Module::new`]), so every
//! index it holds is in range and every offset points at well-formed bytes. Accessors
//! still never panic: they fall back to defaults, because a panic on a device is worse
//! than a wrong answer that cannot happen.
//!
//! What lives in RAM, per module, as `u32` words unless said otherwise:
//! - per type: offset of its parameter count (just after `0x60`), a canonical index (the
//!   first structurally equal type, so `call_indirect` compares two words), and its
//!   numbers of parameters and results (so calls and returns need not decode the type);
//! - per function: [`FUNC_WORDS`] words (see [`FuncInfo`]);
//! - per table and memory: offset of its type;
//! - per global: packed type and offset of its initialiser;
//! - per element and data segment: offset of the segment;
//! - the side table, one `u32` per control transfer and one `u64` for each of the rare
//!   ones that need all four fields ([`side_table`]), unless the module is prepared: then
//!   it stays in the module's bytes and the state holds none of it.
//!
//! The code itself is never copied.

pub mod side_table;

use crate::binary::reader::Reader;
use crate::binary::sections::{SectionId, Sections};
use crate::binary::types::{FuncType, GlobalType, MemType, TableType};
use side_table::{SideEntry, SideTable};

/// Words per function in the function index.
pub const FUNC_WORDS: usize = 6;
/// Functions one module may have, imports included (2^24): a call frame keeps a function
/// index in 24 bits (see [`FRAME_SLOTS`](crate::exec::stack::FRAME_SLOTS)). A module with
/// more is rejected with [`ImplementationLimit`](crate::ErrorKind::ImplementationLimit).
pub const MAX_FUNCTIONS: u32 = 1 << 24;
/// Words per type in the type index: offset of its body, canonical index, number of
/// parameters, number of results (the last two so calls and returns need not decode it).
pub const TYPE_WORDS: usize = 4;
/// Words per global in the global index.
pub const GLOBAL_WORDS: usize = 2;

/// How many of each kind of entity a module has (imports included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Function types.
    pub types: u32,
    /// Functions, imported first.
    pub funcs: u32,
    /// Imported functions.
    pub imported_funcs: u32,
    /// Tables, imported first.
    pub tables: u32,
    /// Imported tables.
    pub imported_tables: u32,
    /// Memories (at most one), imported first.
    pub memories: u32,
    /// Imported memories.
    pub imported_memories: u32,
    /// Globals, imported first.
    pub globals: u32,
    /// Imported globals.
    pub imported_globals: u32,
    /// Element segments.
    pub elems: u32,
    /// Data segments.
    pub datas: u32,
    /// Exports.
    pub exports: u32,
    /// Imports.
    pub imports: u32,
}

impl Counts {
    /// Words the module's index tables take in the state buffer (side table excluded).
    pub const fn index_words(&self) -> usize {
        self.types as usize * TYPE_WORDS
            + self.funcs as usize * FUNC_WORDS
            + self.tables as usize
            + self.memories as usize
            + self.globals as usize * GLOBAL_WORDS
            + self.elems as usize
            + self.datas as usize
    }
}

/// What the interpreter needs to call a function defined in the module.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FuncInfo {
    /// Index of the function's type.
    pub type_idx: u32,
    /// Absolute offset of the first instruction (after the local declarations); 0 for
    /// imported functions.
    pub code_start: u32,
    /// Index of the function's first side-table entry.
    pub side_start: u32,
    /// Number of declared locals, parameters excluded.
    pub locals: u32,
    /// Highest operand-stack height the body can reach (locals excluded).
    pub max_height: u32,
    /// Absolute offset of the body's final `end`.
    pub code_end: u32,
}

/// The index tables carved from the state buffer.
#[derive(Debug, Default)]
pub(crate) struct Tables<'s> {
    pub types: &'s [u32],
    pub funcs: &'s [u32],
    pub tables: &'s [u32],
    pub memories: &'s [u32],
    pub globals: &'s [u32],
    pub elems: &'s [u32],
    pub datas: &'s [u32],
}

/// A validated module, executing in place from `'wasm` bytes, with its index tables and
/// side table in `'s` state memory.
#[derive(Debug)]
pub struct Module<'wasm, 's> {
    pub(crate) bytes: &'wasm [u8],
    pub(crate) sections: Sections,
    pub(crate) counts: Counts,
    pub(crate) tables: Tables<'s>,
    /// The side table built in RAM: `side_len` little-endian `u32` entries two to a word,
    /// and the wide entries; both empty for a prepared module.
    pub(crate) side: &'s [u64],
    pub(crate) side_wide: &'s [u64],
    pub(crate) side_len: u32,
    /// A prepared module's side table, in its bytes (checked by validation).
    pub(crate) side_stored: Option<SideTable<'wasm>>,
    pub(crate) start: Option<u32>,
    /// Bytes of the state buffer this module uses (alignment padding included).
    pub(crate) state_bytes: usize,
    /// Validation facts kept for the memory plan.
    pub(crate) facts: ValidationFacts,
}

/// Facts measured while validating, reported by the memory plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ValidationFacts {
    /// Deepest block nesting of any function (the function body counts as one).
    pub max_nesting: u32,
    /// Highest operand-stack height of any function.
    pub max_height: u32,
    /// Most locals (parameters included) of any function.
    pub max_locals: u32,
    /// Side-table entries.
    pub side_entries: u32,
    /// Wide side-table entries (in RAM, unused ones included; see
    /// [`side_table`]).
    pub side_wide_entries: u32,
    /// Scratch bytes validation needs under the limits it ran with.
    pub scratch_bytes: u32,
}

impl<'wasm, 's> Module<'wasm, 's> {
    /// The module's bytes.
    pub fn bytes(&self) -> &'wasm [u8] {
        self.bytes
    }

    /// How many of each entity the module has.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// The section layout.
    pub fn sections(&self) -> &Sections {
        &self.sections
    }

    /// The start function, if any.
    pub fn start(&self) -> Option<u32> {
        self.start
    }

    /// Bytes of an 8-byte-aligned state buffer the module occupies (a misaligned buffer
    /// also loses up to 7 bytes to alignment).
    pub fn state_bytes(&self) -> usize {
        self.state_bytes
    }

    /// Facts measured during validation.
    pub fn facts(&self) -> &ValidationFacts {
        &self.facts
    }

    /// Whether the side table is the module's own precomputed one (a module prepared by
    /// `barewasm prepare`), read from its bytes, rather than built in the state buffer.
    pub fn is_prepared(&self) -> bool {
        self.side_stored.is_some()
    }

    /// The side table, wherever it is.
    #[inline]
    pub fn side_table(&self) -> SideTable<'_> {
        match self.side_stored {
            Some(t) => t,
            None => {
                let entries: &[[u8; 4]] = bytemuck::try_cast_slice(self.side).unwrap_or(&[]);
                SideTable {
                    entries: entries.get(..self.side_len as usize).unwrap_or(&[]),
                    wide: bytemuck::try_cast_slice(self.side_wide).unwrap_or(&[]),
                }
            }
        }
    }

    /// Side-table entry `i` with all its fields (0 past the end).
    #[inline]
    pub fn side_entry(&self, i: usize) -> SideEntry {
        self.side_table().entry(i).unwrap_or_default()
    }

    /// Function type `idx`.
    pub fn func_type(&self, idx: u32) -> FuncType<'wasm> {
        let off = self
            .tables
            .types
            .get(idx as usize * TYPE_WORDS)
            .copied()
            .unwrap_or(0);
        read_func_type(self.bytes, off)
    }

    /// The canonical index of type `idx`: equal for structurally equal types.
    pub fn canonical_type(&self, idx: u32) -> u32 {
        self.tables
            .types
            .get(idx as usize * TYPE_WORDS + 1)
            .copied()
            .unwrap_or(u32::MAX)
    }

    /// Numbers of parameters and results of type `idx`.
    #[inline]
    pub fn type_arity(&self, idx: u32) -> (u32, u32) {
        // One bounds check for the whole record (the interpreter asks on every call).
        const _: () = assert!(TYPE_WORDS == 4 && FUNC_WORDS == 6, "the patterns below");
        let at = idx as usize * TYPE_WORDS;
        match self.tables.types.get(at..at + TYPE_WORDS) {
            Some(&[_, _, params, results]) => (params, results),
            _ => (0, 0),
        }
    }

    /// Function `idx`'s record.
    #[inline]
    pub fn func(&self, idx: u32) -> FuncInfo {
        let at = idx as usize * FUNC_WORDS;
        match self.tables.funcs.get(at..at + FUNC_WORDS) {
            Some(&[type_idx, code_start, side_start, locals, max_height, code_end]) => FuncInfo {
                type_idx,
                code_start,
                side_start,
                locals,
                max_height,
                code_end,
            },
            _ => FuncInfo::default(),
        }
    }

    /// The type of function `idx`.
    pub fn func_sig(&self, idx: u32) -> FuncType<'wasm> {
        self.func_type(self.func(idx).type_idx)
    }

    /// Table `idx`'s type.
    pub fn table_type(&self, idx: u32) -> Option<TableType> {
        let off = *self.tables.tables.get(idx as usize)?;
        TableType::read(&mut Reader::at(self.bytes, off as usize, self.bytes.len())).ok()
    }

    /// Memory `idx`'s type.
    pub fn memory_type(&self, idx: u32) -> Option<MemType> {
        let off = *self.tables.memories.get(idx as usize)?;
        MemType::read(&mut Reader::at(self.bytes, off as usize, self.bytes.len())).ok()
    }

    /// Global `idx`'s type.
    pub fn global_type(&self, idx: u32) -> Option<GlobalType> {
        self.tables
            .globals
            .get(idx as usize * GLOBAL_WORDS)
            .map(|&w| GlobalType::unpack(w))
    }

    /// Offset of defined global `idx`'s initialiser expression (0 for imports).
    pub fn global_init(&self, idx: u32) -> u32 {
        self.tables
            .globals
            .get(idx as usize * GLOBAL_WORDS + 1)
            .copied()
            .unwrap_or(0)
    }

    /// Offset of element segment `idx`.
    pub fn elem_offset(&self, idx: u32) -> Option<u32> {
        self.tables.elems.get(idx as usize).copied()
    }

    /// Offset of data segment `idx`.
    pub fn data_offset(&self, idx: u32) -> Option<u32> {
        self.tables.datas.get(idx as usize).copied()
    }

    /// Finds the export called `name`: its kind and index.
    pub fn export(&self, name: &str) -> Option<(crate::ExternKind, u32)> {
        let mut r = self.section_reader(SectionId::Export);
        let n = r.u32().ok()?;
        for _ in 0..n {
            let this = r.name().ok()?;
            let kind = crate::ExternKind::read(&mut r).ok()?;
            let idx = r.u32().ok()?;
            if this == name {
                return Some((kind, idx));
            }
        }
        None
    }

    /// A reader over section `id`.
    pub fn section_reader(&self, id: SectionId) -> Reader<'wasm> {
        self.sections.reader(self.bytes, id)
    }
}

/// Reads the function type whose parameter count starts at `off` (checked at validation).
pub(crate) fn read_func_type(bytes: &[u8], off: u32) -> FuncType<'_> {
    FuncType::read_body(&mut Reader::at(bytes, off as usize, bytes.len()))
        .unwrap_or(FuncType::EMPTY)
}
