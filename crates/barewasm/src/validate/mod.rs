//! Validation (spec chapter 3, and the decoding rules of chapter 5 it relies on).
//!
//! [`Module::new`] decodes and validates a module in one pass over its sections, in order,
//! filling the module's index tables in the host's state buffer and writing the side table
//! as function bodies are validated (`func.rs`). Operand and control stacks live in the
//! host's scratch buffer, which is free again once `Module::new` returns.
//!
//! Contract: `Module::new` either returns a module for which every accessor and the
//! interpreter may assume the spec's validity rules, or an [`Error`] with a byte offset.
//! It never panics, never recurses on input-controlled depth, and never allocates.

pub(crate) mod func;
mod heapsort;

use core::cell::Cell;

use crate::binary::opcodes::{op, skip_instr, ConstInstr};
use crate::binary::reader::Reader;
use crate::binary::sections::{Range, SectionId, Sections};
use crate::binary::types::{
    read_reftype, ExternKind, FuncType, GlobalType, MemType, TableType, ValType,
};
use crate::buffer::{align_u64, take};
use crate::error::{BufferKind, Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::module::side_table::{
    SideTable, COMPACT_BODY_BYTES, COMPACT_PC_BITS, COMPACT_STP_BITS, FORMAT_VERSION, PC_BITS,
    STP_BITS,
};
use crate::module::{read_func_type, Counts, Module, Tables, ValidationFacts};
use crate::module::{FUNC_WORDS, GLOBAL_WORDS, MAX_FUNCTIONS, TYPE_WORDS};
use func::{FuncValidator, SideSink, FRAME_WORDS};
use heapsort::heapsort;

/// The context function bodies and constant expressions are validated in (spec 3.1.1 `C`).
/// Tables are `Cell`s so function records can be completed while bodies are validated.
pub(crate) struct Ctx<'wasm, 'a> {
    pub bytes: &'wasm [u8],
    types: &'a [Cell<u32>],
    funcs_w: &'a [Cell<u32>],
    tables_w: &'a [Cell<u32>],
    globals_w: &'a [Cell<u32>],
    elems_w: &'a [Cell<u32>],
    declared: &'a [Cell<u64>],
    /// Entities known so far (imports first, then as their sections are read).
    pub n_types: u32,
    pub funcs: u32,
    pub n_tables: u32,
    pub memories: u32,
    pub n_globals: u32,
    pub n_elems: u32,
    pub data_count: Option<u32>,
    /// Whether bodies may hold fused opcodes ([`crate::binary::fused`]).
    pub fused: bool,
}

impl<'wasm> Ctx<'wasm, '_> {
    pub fn func_type(&self, idx: u32) -> Option<FuncType<'wasm>> {
        if idx >= self.n_types {
            return None;
        }
        let off = self.types.get(idx as usize * TYPE_WORDS)?.get();
        Some(read_func_type(self.bytes, off))
    }

    pub fn func_sig(&self, idx: u32) -> Option<FuncType<'wasm>> {
        if idx >= self.funcs {
            return None;
        }
        self.func_type(self.funcs_w.get(idx as usize * FUNC_WORDS)?.get())
    }

    pub fn table_type(&self, idx: u32) -> Option<TableType> {
        if idx >= self.n_tables {
            return None;
        }
        let off = self.tables_w.get(idx as usize)?.get() as usize;
        TableType::read(&mut Reader::at(self.bytes, off, self.bytes.len())).ok()
    }

    pub fn table_elem(&self, idx: u32) -> Option<ValType> {
        self.table_type(idx).map(|t| t.elem)
    }

    pub fn global(&self, idx: u32) -> Option<GlobalType> {
        if idx >= self.n_globals {
            return None;
        }
        Some(GlobalType::unpack(
            self.globals_w.get(idx as usize * GLOBAL_WORDS)?.get(),
        ))
    }

    pub fn elem_type(&self, idx: u32) -> Option<ValType> {
        if idx >= self.n_elems {
            return None;
        }
        let off = self.elems_w.get(idx as usize)?.get() as usize;
        elem_header(&mut Reader::at(self.bytes, off, self.bytes.len()))
            .ok()
            .map(|h| h.ty)
    }

    fn declare(&self, func: u32) {
        if let Some(w) = self.declared.get(func as usize / 64) {
            w.set(w.get() | 1 << (func % 64));
        }
    }

    pub fn is_declared(&self, func: u32) -> bool {
        self.declared
            .get(func as usize / 64)
            .is_some_and(|w| w.get() & (1 << (func % 64)) != 0)
    }
}

/// The decoded header of an element segment (spec 5.5.12).
struct ElemHeader {
    ty: ValType,
    /// `Some(table)` for active segments.
    table: Option<u32>,
    declarative: bool,
    /// Items are expressions (flags 4-7) rather than function indices.
    exprs: bool,
    /// Offset of the offset expression for active segments.
    offset_expr: usize,
}

/// Reads an element segment up to its items, skipping its offset expression.
fn elem_header(r: &mut Reader<'_>) -> Result<ElemHeader> {
    let at = r.pos();
    let flags = r.u32()?;
    if flags > 7 {
        return Err(Error::new(ErrorKind::BadSegmentFlags, at));
    }
    let passive_or_declarative = flags & 1 != 0;
    let explicit_table = flags & 2 != 0;
    let exprs = flags & 4 != 0;
    let mut table = None;
    let mut offset_expr = 0;
    if !passive_or_declarative {
        table = Some(if explicit_table { r.u32()? } else { 0 });
        offset_expr = r.pos();
        skip_const_expr(r)?;
    }
    let ty = if passive_or_declarative || explicit_table {
        if exprs {
            read_reftype(r)?
        } else {
            let k = r.pos();
            if r.u8()? != 0 {
                return Err(Error::new(ErrorKind::BadSegmentFlags, k));
            }
            ValType::FuncRef
        }
    } else {
        ValType::FuncRef
    };
    Ok(ElemHeader {
        ty,
        table,
        declarative: passive_or_declarative && explicit_table,
        exprs,
        offset_expr,
    })
}

/// Skips a constant expression (decoding each instruction) up to and including its `end`.
fn skip_const_expr(r: &mut Reader<'_>) -> Result<()> {
    loop {
        if r.is_empty() {
            return Err(r.err(ErrorKind::UnexpectedEnd));
        }
        if let (op::End, _) = skip_instr(r, false)? {
            return Ok(());
        }
    }
}

/// Bytes of scratch [`Module::new`] needs for a module with these counts under `limits`.
pub fn scratch_bytes(counts: &Counts, limits: &Limits) -> usize {
    let bitset = (counts.funcs as usize).div_ceil(64) * 8;
    let bodies = limits.max_nesting as usize * FRAME_WORDS * 4
        + (limits.max_function_slots as usize).next_multiple_of(8);
    let exports = counts.exports as usize * 8;
    bitset + bodies.max(exports)
}

impl<'wasm, 's> Module<'wasm, 's> {
    /// Decodes and validates `bytes`, building the module's index tables and side table in
    /// `state`, using `scratch` for the validator's stacks.
    ///
    /// Returns the module and the unused tail of `state` (for instances). `scratch` is only
    /// borrowed for the call: pass a buffer that is free now and used later, such as the
    /// value-stack or linear-memory buffer.
    ///
    /// Errors: [`Category::Malformed`](crate::Category::Malformed) or
    /// [`Category::Invalid`](crate::Category::Invalid) with the byte offset, or a
    /// [`BufferTooSmall`](ErrorKind::BufferTooSmall) that says how many bytes were needed.
    pub fn new(
        bytes: &'wasm [u8],
        state: &'s mut [u8],
        scratch: &mut [u8],
        limits: &Limits,
    ) -> Result<(Module<'wasm, 's>, &'s mut [u8])> {
        let sections = Sections::index(bytes)?;
        let counts = count_entities(bytes, &sections)?;
        // A prepared module brings its side table: it is checked, not built, and costs no
        // state.
        let stored = match sections.side_table() {
            Some(r) => Some(stored_side_table(bytes, r)?),
            None => None,
        };

        // Carve the state buffer: index tables (u32 words), then the side table (u64).
        let state_len = state.len();
        let (words, skipped) = align_u64(state);
        let index_u64 = counts.index_words().div_ceil(2);
        let needed_index = skipped + index_u64 * 8;
        let mut rest = words;
        if rest.len() < index_u64 {
            // Without room for the index tables nothing can be validated; still, say what
            // the whole module needs, side table included, so that a retry gets further.
            // Decoding alone cannot tell which entries are wide (that takes the operand
            // stack's height), so this counts them all compact: exact unless some branch
            // drops values or a body is over 32 KiB; then the retry's error is exact.
            let side = match stored {
                Some(_) => 0,
                None => count_side_entries(bytes, &sections).unwrap_or(0),
            };
            return Err(Error::buffer(
                BufferKind::State,
                needed_index + side.div_ceil(2) * 8,
                state_len,
            ));
        }
        let index = take(
            &mut rest,
            index_u64,
            BufferKind::State,
            needed_index,
            state_len,
        )?;
        let index: &'s mut [u32] = bytemuck::cast_slice_mut(index);
        let mut iw: &'s mut [u32] = index;
        let types = take(
            &mut iw,
            counts.types as usize * TYPE_WORDS,
            BufferKind::State,
            0,
            0,
        )?;
        let funcs = take(
            &mut iw,
            counts.funcs as usize * FUNC_WORDS,
            BufferKind::State,
            0,
            0,
        )?;
        let tables = take(&mut iw, counts.tables as usize, BufferKind::State, 0, 0)?;
        let memories = take(&mut iw, counts.memories as usize, BufferKind::State, 0, 0)?;
        let globals = take(
            &mut iw,
            counts.globals as usize * GLOBAL_WORDS,
            BufferKind::State,
            0,
            0,
        )?;
        let elems = take(&mut iw, counts.elems as usize, BufferKind::State, 0, 0)?;
        let datas = take(&mut iw, counts.datas as usize, BufferKind::State, 0, 0)?;

        // Carve the scratch buffer.
        let need_scratch = scratch_bytes(&counts, limits);
        let scratch_len = scratch.len();
        let (sw, s_skipped) = align_u64(scratch);
        if sw.len() * 8 < need_scratch {
            return Err(Error::buffer(
                BufferKind::Scratch,
                need_scratch + s_skipped,
                scratch_len,
            ));
        }
        let mut srest = sw;
        let declared = take(
            &mut srest,
            (counts.funcs as usize).div_ceil(64),
            BufferKind::Scratch,
            0,
            0,
        )?;
        declared.fill(0);
        let work: &mut [u64] = srest;

        let (words, spare): (&'s mut [u64], &'s mut [u64]) = match stored {
            Some(_) => (&mut [], rest),
            None => (rest, &mut []),
        };
        let mut side = SideSink::new(words, stored);
        let start;
        let mut facts = ValidationFacts::default();
        {
            let mut ctx = Ctx {
                bytes,
                types: Cell::from_mut(&mut *types).as_slice_of_cells(),
                funcs_w: Cell::from_mut(&mut *funcs).as_slice_of_cells(),
                tables_w: Cell::from_mut(&mut *tables).as_slice_of_cells(),
                globals_w: Cell::from_mut(&mut *globals).as_slice_of_cells(),
                elems_w: Cell::from_mut(&mut *elems).as_slice_of_cells(),
                declared: Cell::from_mut(&mut *declared).as_slice_of_cells(),
                n_types: 0,
                funcs: 0,
                n_tables: 0,
                memories: 0,
                n_globals: 0,
                n_elems: 0,
                data_count: None,
                fused: sections.fused(),
            };
            let mut mems_w = Cell::from_mut(&mut *memories).as_slice_of_cells().iter();
            let mut datas_w = Cell::from_mut(&mut *datas).as_slice_of_cells().iter();
            let mut v = ModuleValidator {
                ctx: &mut ctx,
                sections: &sections,
                counts: &counts,
            };
            v.types(work)?;
            v.imports(&mut mems_w)?;
            v.functions()?;
            v.tables()?;
            v.memories(&mut mems_w)?;
            v.globals()?;
            v.exports(work)?;
            start = v.start()?;
            v.elements()?;
            v.data_count()?;
            v.code(work, limits, &mut side, &mut facts)?;
            v.data(&mut datas_w)?;
        }
        let (side_len, side_wide) = (side.len, side.wide);
        let (side_used, tail, needed_state) = match stored {
            Some(table) => {
                if side_len != table.len() || side_wide != table.wide.len() {
                    let at = sections.side_table().map_or(0, |r| r.start as usize);
                    return Err(Error::new(ErrorKind::BadSideTable, at));
                }
                (([].as_slice(), [].as_slice()), spare, needed_index)
            }
            None => {
                let needed_state = needed_index + side.words_needed() * 8;
                if side.overflow || side.words_needed() > side.words.len() {
                    return Err(Error::buffer(BufferKind::State, needed_state, state_len));
                }
                let placed = place_side_table(side.words, side_len, side_wide);
                let too_small = Error::buffer(BufferKind::State, needed_state, state_len);
                let (main, wide, tail) = placed.ok_or(too_small)?;
                ((main, wide), tail, needed_state)
            }
        };
        facts.side_entries = side_len as u32;
        facts.side_wide_entries = side_wide as u32;
        facts.scratch_bytes = need_scratch as u32;
        let module = Module {
            bytes,
            sections,
            counts,
            tables: Tables {
                types,
                funcs,
                tables,
                memories,
                globals,
                elems,
                datas,
            },
            side: side_used.0,
            side_wide: side_used.1,
            side_len: side_len as u32,
            side_stored: stored,
            start,
            // What an aligned buffer needs: the padding this buffer's address cost is not
            // part of the module's footprint.
            state_bytes: needed_state - skipped,
            facts,
        };
        Ok((module, bytemuck::cast_slice_mut(tail)))
    }
}

/// A prepared module's side table, from its custom section's contents `r` (format in
/// [`crate::module::side_table`]): the version byte, the count and that many 4-byte
/// entries, the wide count and that many 8-byte wide entries, and nothing more.
fn stored_side_table(bytes: &[u8], r: Range) -> Result<SideTable<'_>> {
    let bad = Error::new(ErrorKind::BadSideTable, r.start as usize);
    let mut c = Reader::at(bytes, r.start as usize, r.end as usize);
    if c.u8().map_err(|_| bad)? != FORMAT_VERSION {
        return Err(bad);
    }
    let n = c.u32().map_err(|_| bad)? as usize;
    let entries = c.bytes(n.checked_mul(4).ok_or(bad)?).map_err(|_| bad)?;
    let w = c.u32().map_err(|_| bad)? as usize;
    let wide = c.bytes(w.checked_mul(8).ok_or(bad)?).map_err(|_| bad)?;
    if !c.is_empty() {
        return Err(bad);
    }
    Ok(SideTable {
        entries: bytemuck::try_cast_slice(entries).map_err(|_| bad)?,
        wide: bytemuck::try_cast_slice(wide).map_err(|_| bad)?,
    })
}

/// Lays out a side table built in `words` (`len` entries from the front, two to a word,
/// and `wide` wide entries from the back, the first last) as the module keeps it: the
/// entries, then the wide entries in order, then the rest of the buffer, which is
/// returned. The caller has checked that everything fits.
fn place_side_table(
    words: &mut [u64],
    len: usize,
    wide: usize,
) -> Option<(&[u64], &[u64], &mut [u64])> {
    // Every step is checked (`None` if the table does not fit), so none can panic.
    let n = words.len();
    let main = len.div_ceil(2);
    if len % 2 == 1 {
        // The unused half of the last word: no stale host bytes in the table.
        if let Some(w) = words.get_mut(main - 1) {
            *w = (u64::from_le(*w) & 0xffff_ffff).to_le();
        }
    }
    let from = n.checked_sub(wide).filter(|&from| main <= from)?;
    crate::buffer::copy_words_within(words, from, main, n - from)?;
    let (used, tail) = words.split_at_mut_checked(main + wide)?;
    let (entries, wide) = used.split_at_mut_checked(main)?;
    // `reverse`, spelt so that it keeps no bounds check at opt-level "z".
    let (front, back) = wide.split_at_mut_checked(wide.len() / 2)?;
    for (a, b) in front.iter_mut().zip(back.iter_mut().rev()) {
        core::mem::swap(a, b);
    }
    Some((entries, wide, tail))
}

/// How many of each entity the module in `bytes` has, read from its section headers (the
/// import section is decoded for it). Enough to size scratch with [`scratch_bytes`].
pub fn counts(bytes: &[u8]) -> Result<Counts> {
    count_entities(bytes, &Sections::index(bytes)?)
}

fn count_entities(bytes: &[u8], s: &Sections) -> Result<Counts> {
    let mut c = Counts::default();
    let count = |id| -> Result<u32> {
        let mut r = s.reader(bytes, id);
        if r.is_empty() {
            Ok(0)
        } else {
            r.u32()
        }
    };
    c.types = count(SectionId::Type)?;
    let mut r = s.reader(bytes, SectionId::Import);
    if !r.is_empty() {
        c.imports = r.u32()?;
        for _ in 0..c.imports {
            r.name()?;
            r.name()?;
            match ExternKind::read(&mut r)? {
                ExternKind::Func => {
                    r.u32()?;
                    c.imported_funcs += 1;
                }
                ExternKind::Table => {
                    TableType::read(&mut r)?;
                    c.imported_tables += 1;
                }
                ExternKind::Memory => {
                    MemType::read(&mut r)?;
                    c.imported_memories += 1;
                }
                ExternKind::Global => {
                    GlobalType::read(&mut r)?;
                    c.imported_globals += 1;
                }
            }
        }
        if !r.is_empty() {
            return Err(r.err(ErrorKind::SectionSizeMismatch));
        }
    }
    // Every entity takes at least one byte of the module: a larger count is malformed (the
    // section ends first), checked before any sum so that a huge count cannot overflow.
    let limit = bytes.len() as u32;
    let count = |id| -> Result<u32> {
        let n = count(id)?;
        match s.get(id) {
            Some(r) if n > limit => Err(Error::new(ErrorKind::UnexpectedEnd, r.end as usize)),
            _ => Ok(n),
        }
    };
    c.funcs = c.imported_funcs + count(SectionId::Function)?;
    c.tables = c.imported_tables + count(SectionId::Table)?;
    c.memories = c.imported_memories + count(SectionId::Memory)?;
    c.globals = c.imported_globals + count(SectionId::Global)?;
    c.exports = count(SectionId::Export)?;
    c.elems = count(SectionId::Element)?;
    c.datas = count(SectionId::Data)?;
    // Sums with imports, and the type count, get the same bound.
    for n in [
        c.types, c.funcs, c.tables, c.memories, c.globals, c.exports, c.elems, c.datas,
    ] {
        if n > limit {
            return Err(Error::new(ErrorKind::UnexpectedEnd, bytes.len()));
        }
    }
    if c.funcs > MAX_FUNCTIONS {
        let at = s.get(SectionId::Function).map_or(0, |r| r.start as usize);
        return Err(Error::new(ErrorKind::ImplementationLimit, at));
    }
    Ok(c)
}

struct ModuleValidator<'v, 'wasm, 'a> {
    ctx: &'v mut Ctx<'wasm, 'a>,
    sections: &'v Sections,
    counts: &'v Counts,
}

/// Fails unless the reader consumed its section exactly.
/// Word `i` of a table that [`count_entities`] sized from the same section headers, so it
/// is in bounds; checked all the same, as an error at `at` rather than a panic (the
/// runtime has no panic paths: `scripts/qemu.sh` checks its flash image for them).
fn word(t: &[Cell<u32>], i: usize, at: usize) -> Result<&Cell<u32>> {
    t.get(i).ok_or(Error::internal(at))
}

/// Words `i..i + N` of such a table, as [`word`].
fn words<const N: usize>(t: &[Cell<u32>], i: usize, at: usize) -> Result<&[Cell<u32>; N]> {
    t.get(i..i.wrapping_add(N))
        .and_then(|w| w.try_into().ok())
        .ok_or(Error::internal(at))
}

fn finish(r: &Reader<'_>) -> Result<()> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(r.err(ErrorKind::SectionSizeMismatch))
    }
}

fn check_limits(
    min: u64,
    max: Option<u64>,
    bound: u64,
    too_large: ErrorKind,
    at: usize,
) -> Result<()> {
    if min > bound || max.is_some_and(|m| m > bound) {
        return Err(Error::new(too_large, at));
    }
    if max.is_some_and(|m| m < min) {
        return Err(Error::new(ErrorKind::BadLimits, at));
    }
    Ok(())
}

fn check_mem_type(m: &MemType, at: usize) -> Result<()> {
    if !m.page_size_ok() {
        return Err(Error::new(ErrorKind::BadPageSize, at));
    }
    check_limits(
        m.limits.min,
        m.limits.max,
        m.max_pages(),
        ErrorKind::MemoryTooLarge,
        at,
    )
}

fn check_table_type(t: &TableType, at: usize) -> Result<()> {
    check_limits(
        t.limits.min,
        t.limits.max,
        u32::MAX as u64,
        ErrorKind::BadLimits,
        at,
    )
}

impl<'wasm> ModuleValidator<'_, 'wasm, '_> {
    fn reader(&self, id: SectionId) -> Reader<'wasm> {
        self.sections.reader(self.ctx.bytes, id)
    }

    fn types(&mut self, work: &mut [u64]) -> Result<()> {
        let mut r = self.reader(SectionId::Type);
        if r.is_empty() {
            return Ok(());
        }
        let n = r.u32()? as usize;
        for i in 0..n {
            let at = r.pos();
            if r.u8()? != 0x60 {
                return Err(Error::new(ErrorKind::BadFuncType, at));
            }
            let off = r.pos() as u32;
            let ty = FuncType::read_body(&mut r)?;
            let w = words::<TYPE_WORDS>(self.ctx.types, i * TYPE_WORDS, at)?;
            w[0].set(off);
            w[2].set(ty.params.len() as u32);
            w[3].set(ty.results.len() as u32);
            self.ctx.n_types = i as u32 + 1;
        }
        finish(&r)?;
        // Canonical index: the first structurally equal type, so `call_indirect` compares
        // one word. Sorting by (type, index) puts equal types together, first one first:
        // O(n log n), where comparing every pair would let a hostile module with many
        // types take seconds.
        let bytes = self.ctx.bytes;
        let types = self.ctx.types;
        let type_word = |i: u64, k: usize| types.get(i as usize * TYPE_WORDS + k);
        let ty = |i: u64| read_func_type(bytes, type_word(i, 0).map_or(0, Cell::get));
        let len = n.min(work.len());
        let order = &mut work[..len];
        for (i, w) in order.iter_mut().enumerate() {
            *w = i as u64;
        }
        heapsort(order, &mut |a, b| {
            let (ta, tb) = (ty(a), ty(b));
            (ta.params, ta.results, a).cmp(&(tb.params, tb.results, b))
        });
        let (mut canon, mut prev) = (0u64, None);
        for &i in order.iter() {
            let t = ty(i);
            if prev != Some(t) {
                (canon, prev) = (i, Some(t));
            }
            if let Some(c) = type_word(i, 1) {
                c.set(canon as u32);
            }
        }
        Ok(())
    }

    fn imports<'c>(&mut self, mems: &mut impl Iterator<Item = &'c Cell<u32>>) -> Result<()> {
        let mut r = self.reader(SectionId::Import);
        if r.is_empty() {
            return Ok(());
        }
        let n = r.u32()?;
        for _ in 0..n {
            r.name()?;
            r.name()?;
            let at = r.pos();
            match ExternKind::read(&mut r)? {
                ExternKind::Func => {
                    let t_at = r.pos();
                    let t = r.u32()?;
                    if t >= self.ctx.n_types {
                        return Err(Error::new(ErrorKind::UnknownType, t_at));
                    }
                    word(self.ctx.funcs_w, self.ctx.funcs as usize * FUNC_WORDS, at)?.set(t);
                    self.ctx.funcs += 1;
                }
                ExternKind::Table => {
                    let off = r.pos();
                    let t = TableType::read(&mut r)?;
                    check_table_type(&t, off)?;
                    word(self.ctx.tables_w, self.ctx.n_tables as usize, off)?.set(off as u32);
                    self.ctx.n_tables += 1;
                }
                ExternKind::Memory => {
                    let off = r.pos();
                    let m = MemType::read(&mut r)?;
                    check_mem_type(&m, off)?;
                    self.add_memory(mems, off, at)?;
                }
                ExternKind::Global => {
                    let g = GlobalType::read(&mut r)?;
                    let i = self.ctx.n_globals as usize * GLOBAL_WORDS;
                    word(self.ctx.globals_w, i, at)?.set(g.pack());
                    self.ctx.n_globals += 1;
                }
            }
        }
        finish(&r)
    }

    fn add_memory<'c>(
        &mut self,
        mems: &mut impl Iterator<Item = &'c Cell<u32>>,
        off: usize,
        at: usize,
    ) -> Result<()> {
        if self.ctx.memories >= 1 {
            return Err(Error::new(ErrorKind::MultipleMemories, at));
        }
        if let Some(c) = mems.next() {
            c.set(off as u32);
        }
        self.ctx.memories += 1;
        Ok(())
    }

    fn functions(&mut self) -> Result<()> {
        let mut r = self.reader(SectionId::Function);
        if r.is_empty() {
            return Ok(());
        }
        let n = r.u32()?;
        for _ in 0..n {
            let at = r.pos();
            let t = r.u32()?;
            if t >= self.ctx.n_types {
                return Err(Error::new(ErrorKind::UnknownType, at));
            }
            word(self.ctx.funcs_w, self.ctx.funcs as usize * FUNC_WORDS, at)?.set(t);
            self.ctx.funcs += 1;
        }
        finish(&r)
    }

    fn tables(&mut self) -> Result<()> {
        let mut r = self.reader(SectionId::Table);
        if r.is_empty() {
            return Ok(());
        }
        let n = r.u32()?;
        for _ in 0..n {
            let off = r.pos();
            let t = TableType::read(&mut r)?;
            check_table_type(&t, off)?;
            word(self.ctx.tables_w, self.ctx.n_tables as usize, off)?.set(off as u32);
            self.ctx.n_tables += 1;
        }
        finish(&r)
    }

    fn memories<'c>(&mut self, mems: &mut impl Iterator<Item = &'c Cell<u32>>) -> Result<()> {
        let mut r = self.reader(SectionId::Memory);
        if r.is_empty() {
            return Ok(());
        }
        let n = r.u32()?;
        for _ in 0..n {
            let off = r.pos();
            let m = MemType::read(&mut r)?;
            check_mem_type(&m, off)?;
            self.add_memory(mems, off, off)?;
        }
        finish(&r)
    }

    /// Validates a constant expression of type `ty` (spec 3.3.10) that may read the first
    /// `globals` globals; returns the offset just past its `end`.
    fn const_expr(&self, r: &mut Reader<'wasm>, ty: ValType, globals: u32) -> Result<()> {
        let start = r.pos();
        let mut produced: Option<ValType> = None;
        let mut count = 0u32;
        loop {
            let at = r.pos();
            if r.is_empty() {
                return Err(Error::new(ErrorKind::UnexpectedEnd, at));
            }
            let mut instr = r.clone();
            let t = match ConstInstr::read(r)? {
                ConstInstr::End => break,
                ConstInstr::I32Const(_) => ValType::I32,
                ConstInstr::I64Const(_) => ValType::I64,
                ConstInstr::F32Const(_) => ValType::F32,
                ConstInstr::F64Const(_) => ValType::F64,
                ConstInstr::RefNull(t) => t,
                ConstInstr::RefFunc(func) => {
                    if func >= self.ctx.funcs {
                        return Err(Error::new(ErrorKind::UnknownFunction, at));
                    }
                    self.ctx.declare(func);
                    ValType::FuncRef
                }
                ConstInstr::GlobalGet(global) => {
                    let g = match self.ctx.global(global) {
                        Some(g) if global < globals => g,
                        _ => return Err(Error::new(ErrorKind::UnknownGlobal, at)),
                    };
                    if g.mutable {
                        return Err(Error::new(ErrorKind::ConstExprRequired, at));
                    }
                    g.ty
                }
                ConstInstr::Other => {
                    // Decoding comes first (spec 5): a malformed immediate is reported
                    // as such, before the instruction is found not constant.
                    skip_instr(&mut instr, false)?;
                    return Err(Error::new(ErrorKind::ConstExprRequired, at));
                }
            };
            produced = Some(t);
            count += 1;
        }
        if count != 1 || produced != Some(ty) {
            return Err(Error::new(ErrorKind::TypeMismatch, start));
        }
        Ok(())
    }

    fn globals(&mut self) -> Result<()> {
        let mut r = self.reader(SectionId::Global);
        if r.is_empty() {
            return Ok(());
        }
        let n = r.u32()?;
        for _ in 0..n {
            let g = GlobalType::read(&mut r)?;
            let init = r.pos();
            // An initialiser may read the globals defined before it.
            self.const_expr(&mut r, g.ty, self.ctx.n_globals)?;
            let i = self.ctx.n_globals as usize * GLOBAL_WORDS;
            let w = words::<GLOBAL_WORDS>(self.ctx.globals_w, i, init)?;
            w[0].set(g.pack());
            w[1].set(init as u32);
            self.ctx.n_globals += 1;
        }
        finish(&r)
    }

    fn exports(&mut self, work: &mut [u64]) -> Result<()> {
        let mut r = self.reader(SectionId::Export);
        if r.is_empty() {
            return Ok(());
        }
        let n = r.u32()? as usize;
        for i in 0..n {
            let name_at = r.pos();
            let name = r.name()?;
            let kind = ExternKind::read(&mut r)?;
            let at = r.pos();
            let idx = r.u32()?;
            let (count, err) = match kind {
                ExternKind::Func => (self.ctx.funcs, ErrorKind::UnknownFunction),
                ExternKind::Table => (self.ctx.n_tables, ErrorKind::UnknownTable),
                ExternKind::Memory => (self.ctx.memories, ErrorKind::UnknownMemory),
                ExternKind::Global => (self.ctx.n_globals, ErrorKind::UnknownGlobal),
            };
            if idx >= count {
                return Err(Error::new(err, at));
            }
            if kind == ExternKind::Func {
                self.ctx.declare(idx);
            }
            if let Some(slot) = work.get_mut(i) {
                *slot = (fnv1a(name.as_bytes()) as u64) << 32 | name_at as u64;
            }
        }
        finish(&r)?;
        // Names must be unique: sort by name (the hash orders most pairs without reading
        // the names), then duplicates are neighbours. O(n log n) even for hostile names.
        let len = n.min(work.len());
        let names = &mut work[..len];
        let bytes = self.ctx.bytes;
        let name_at = |w: u64| {
            let mut nr = Reader::at(bytes, (w & 0xffff_ffff) as usize, bytes.len());
            nr.name().unwrap_or("")
        };
        heapsort(names, &mut |a, b| {
            (a >> 32, name_at(a)).cmp(&(b >> 32, name_at(b)))
        });
        for pair in names.windows(2) {
            if pair[0] >> 32 == pair[1] >> 32 && name_at(pair[0]) == name_at(pair[1]) {
                let at = (pair[0] & 0xffff_ffff).max(pair[1] & 0xffff_ffff);
                return Err(Error::new(ErrorKind::DuplicateExport, at as usize));
            }
        }
        Ok(())
    }

    fn start(&mut self) -> Result<Option<u32>> {
        let mut r = self.reader(SectionId::Start);
        if r.is_empty() {
            return Ok(None);
        }
        let at = r.pos();
        let f = r.u32()?;
        finish(&r)?;
        let ty = self
            .ctx
            .func_sig(f)
            .ok_or(Error::new(ErrorKind::UnknownFunction, at))?;
        if !ty.params.is_empty() || !ty.results.is_empty() {
            return Err(Error::new(ErrorKind::BadStartFunction, at));
        }
        Ok(Some(f))
    }

    fn elements(&mut self) -> Result<()> {
        let mut r = self.reader(SectionId::Element);
        if r.is_empty() {
            return Ok(());
        }
        let n = r.u32()?;
        for _ in 0..n {
            let seg = r.pos();
            let h = elem_header(&mut r)?;
            if let Some(table) = h.table {
                let t = self
                    .ctx
                    .table_type(table)
                    .ok_or(Error::new(ErrorKind::UnknownTable, seg))?;
                let mut e = Reader::at(self.ctx.bytes, h.offset_expr, self.ctx.bytes.len());
                self.const_expr(&mut e, ValType::I32, self.ctx.n_globals)?;
                if t.elem != h.ty {
                    return Err(Error::new(ErrorKind::TypeMismatch, seg));
                }
            }
            let _ = h.declarative;
            let items = r.u32()?;
            if items as usize > r.remaining() {
                return Err(r.err(ErrorKind::UnexpectedEnd));
            }
            for _ in 0..items {
                if h.exprs {
                    self.const_expr(&mut r, h.ty, self.ctx.n_globals)?;
                } else {
                    let at = r.pos();
                    let f = r.u32()?;
                    if f >= self.ctx.funcs {
                        return Err(Error::new(ErrorKind::UnknownFunction, at));
                    }
                    self.ctx.declare(f);
                }
            }
            word(self.ctx.elems_w, self.ctx.n_elems as usize, seg)?.set(seg as u32);
            self.ctx.n_elems += 1;
        }
        finish(&r)
    }

    fn data_count(&mut self) -> Result<()> {
        let mut r = self.reader(SectionId::DataCount);
        if self.sections.get(SectionId::DataCount).is_none() {
            return Ok(());
        }
        let n = r.u32()?;
        finish(&r)?;
        if n != self.counts.datas {
            return Err(Error::new(ErrorKind::DataCountMismatch, r.pos()));
        }
        self.ctx.data_count = Some(n);
        Ok(())
    }

    fn code(
        &mut self,
        work: &mut [u64],
        limits: &Limits,
        side: &mut SideSink<'_, 'wasm>,
        facts: &mut ValidationFacts,
    ) -> Result<()> {
        let mut r = self.reader(SectionId::Code);
        let defined = self.counts.funcs - self.counts.imported_funcs;
        let n = if r.is_empty() { 0 } else { r.u32()? };
        if n != defined {
            return Err(Error::new(ErrorKind::FunctionCodeMismatch, r.pos()));
        }
        let work: &mut [u32] = bytemuck::cast_slice_mut(work);
        let frames_len = (limits.max_nesting as usize * FRAME_WORDS).min(work.len());
        let (frames, slots) = work
            .split_at_mut_checked(frames_len)
            .ok_or(Error::internal(r.pos()))?;
        let slots: &mut [u8] = bytemuck::cast_slice_mut(slots);
        let slots_len = (limits.max_function_slots as usize).min(slots.len());
        let slots = &mut slots[..slots_len];
        let ctx: &Ctx<'wasm, '_> = self.ctx;
        for i in 0..n {
            let size = r.count()?;
            let start = r.pos();
            r.skip(size)?;
            let mut body = Reader::at(ctx.bytes, start, start + size);
            let func = (self.counts.imported_funcs + i) as usize;
            let w = words::<FUNC_WORDS>(ctx.funcs_w, func * FUNC_WORDS, start)?;
            let ty = ctx.func_type(w[0].get()).unwrap_or(FuncType::EMPTY);
            let side_start = side.len as u32;
            side.large_body =
                side.stored.is_none() && large_body(body.clone(), size, self.sections);
            let v = FuncValidator::new(ctx, slots, frames, limits.max_nesting as usize, side);
            let f = v.validate(&mut body, ty)?;
            // A call frame keeps its return point in the side-table fields' widths
            // (`exec::stack::FRAME_SLOTS`), so the whole body and all its entries must
            // fit them, not only its branch targets.
            let entries = side.len - side_start as usize;
            if (f.code_end - f.code_start) as u64 >= 1 << PC_BITS || entries as u64 >= 1 << STP_BITS
            {
                return Err(Error::new(ErrorKind::FunctionTooLarge, start));
            }
            w[1].set(f.code_start);
            w[2].set(side_start);
            w[3].set(f.locals);
            w[4].set(f.max_height);
            w[5].set(f.code_end);
            facts.max_nesting = facts.max_nesting.max(f.max_nesting);
            facts.max_height = facts.max_height.max(f.max_height);
            facts.max_locals = facts.max_locals.max(f.locals + ty.params.len() as u32);
        }
        finish(&r)
    }

    fn data<'c>(&mut self, datas: &mut impl Iterator<Item = &'c Cell<u32>>) -> Result<()> {
        let mut r = self.reader(SectionId::Data);
        if r.is_empty() {
            return Ok(());
        }
        let n = r.u32()?;
        for _ in 0..n {
            let seg = r.pos();
            let flags = r.u32()?;
            match flags {
                0 | 2 => {
                    let mem_at = r.pos();
                    let mem = if flags == 2 { r.u32()? } else { 0 };
                    if mem >= self.ctx.memories {
                        return Err(Error::new(ErrorKind::UnknownMemory, mem_at));
                    }
                    self.const_expr(&mut r, ValType::I32, self.ctx.n_globals)?;
                }
                1 => {}
                _ => return Err(Error::new(ErrorKind::BadSegmentFlags, seg)),
            }
            let len = r.count()?;
            r.skip(len)?;
            if let Some(c) = datas.next() {
                c.set(seg as u32);
            }
        }
        finish(&r)
    }
}

/// Counts the side-table entries of every function body by decoding alone (no type
/// checks): exact for a valid module, which is all the "needs N bytes" figure is for.
fn count_side_entries(bytes: &[u8], s: &Sections) -> Result<usize> {
    let mut r = s.reader(bytes, SectionId::Code);
    if r.is_empty() {
        return Ok(0);
    }
    let mut entries = 0usize;
    for _ in 0..r.u32()? {
        let size = r.count()?;
        let body = Reader::at(bytes, r.pos(), r.pos().saturating_add(size));
        r.skip(size)?;
        entries += count_body_entries(body, s)?;
    }
    Ok(entries)
}

/// The side-table entries of the function body in `body` (local declarations, then
/// code), by decoding alone.
fn count_body_entries(mut body: Reader<'_>, s: &Sections) -> Result<usize> {
    for _ in 0..body.u32()? {
        body.u32()?;
        body.u8()?;
    }
    let mut entries = 0usize;
    while !body.is_empty() {
        entries += match skip_instr(&mut body, s.fused())? {
            (op::If | op::Else | op::Br | op::BrIf, _) => 1,
            (op::BrTable, targets) => targets as usize + 1,
            _ => 0,
        };
    }
    Ok(entries)
}

/// Whether a body of `size` bytes (at `body`) may have forward branch targets that do not
/// fit a compact side-table entry, so that its forward branches must take wide ones when
/// met (see [`crate::module::side_table`]). Under 32 KiB none can; up to 64 KiB, none can
/// if it has under 2^15 entries, which a decoding pass over the body counts.
fn large_body(body: Reader<'_>, size: usize, s: &Sections) -> bool {
    if size < COMPACT_BODY_BYTES {
        return false;
    }
    size > 1 << COMPACT_PC_BITS
        || count_body_entries(body, s).map_or(true, |n| n >= 1 << COMPACT_STP_BITS)
}

/// FNV-1a, 32 bits: a tiny hash for export-name uniqueness.
fn fnv1a(b: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &x in b {
        h = (h ^ x as u32).wrapping_mul(0x0100_0193);
    }
    h
}
