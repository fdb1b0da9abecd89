//! Validation of one function body (spec 3.3 and the algorithm of spec appendix A.3), in
//! one linear pass that also writes the body's side table.
//!
//! The operand and control stacks are explicit arrays in the host's scratch buffer, never
//! native recursion, so nesting depth costs scratch bytes, not native stack. The operand
//! type stack shares one byte array with the local types: `[locals | operands]`, mirroring
//! the value-stack frame the interpreter will build, so one limit
//! ([`crate::Limits::max_function_slots`]) bounds both.
//!
//! Every instruction is typed straight from its bytes, reading its immediates as it goes:
//! the fixed-signature ones without immediates from a table by opcode, loads and stores
//! from another, the rest by the spec's rules for each opcode. No [`Instr`] is built, so
//! the decoder of every instruction is not linked into firmware (2.2 KB of flash at
//! opt-level `z`). The top frame's height and reachability are kept unpacked, as every pop
//! reads them.
//!
//! [`Instr`]: crate::binary::opcodes::Instr
//!
//! Side-table emission (see [`crate::module::side_table`]): a branch to a `loop` knows its
//! target at once; a branch forward waits in a chain threaded through the pending entries'
//! target fields, and the chain is patched when the label's `end` is reached.

use super::Ctx;
use crate::binary::fused;
use crate::binary::opcodes::{fc_unary, memory_op, op, simple_op, SimpleOp};
use crate::binary::opcodes::{op::fc, BrTable, Immediate, SelectType, Zero};
use crate::binary::reader::Reader;
use crate::binary::types::{read_reftype, MemArg};
use crate::binary::types::{BlockType, FuncType, ValType};
use crate::error::{Error, ErrorKind, Result};
use crate::module::side_table::{SideEntry, SideTable, WIDE};

/// The type of an operand whose type is unconstrained (below an `unreachable`).
const UNKNOWN: u8 = 0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    Func = 0,
    Block = 1,
    Loop = 2,
    If = 3,
    Else = 4,
}

/// The block type of the function body's own frame: its results are the function's. No
/// real type index reaches it (modules are under 2 GiB, and each type takes a byte).
const FUNC_BODY: u32 = 0x7fff_ffff;

/// Words per control frame in scratch.
pub(crate) const FRAME_WORDS: usize = 4;

/// A control frame, kept packed in scratch as [`FRAME_WORDS`] words:
/// `[kind | unreachable << 3 | link << 8, block type, height, aux]`.
#[derive(Clone, Copy, Debug)]
struct Frame {
    kind: Kind,
    unreachable: bool,
    /// Forward labels: head of the pending-entry chain (function-relative index + 1, 0 =
    /// empty). Loops: the target's function-relative side-table index.
    link: u32,
    ty: BlockType,
    /// Slot count (locals + operands) when the block was entered, its parameters excluded.
    height: u32,
    /// `if`: function-relative index of its entry. `loop`: function-relative target pc.
    aux: u32,
}

impl Frame {
    fn pack(&self, w: &mut [u32; FRAME_WORDS]) {
        w[0] = self.kind as u32 | (self.unreachable as u32) << 3 | self.link << 8;
        w[1] = match self.ty {
            BlockType::Empty => 0x40,
            BlockType::Value(t) => t as u32,
            BlockType::Func(i) => 0x8000_0000 | i,
        };
        w[2] = self.height;
        w[3] = self.aux;
    }

    fn unpack(w: &[u32; FRAME_WORDS]) -> Frame {
        let kind = match w[0] & 7 {
            0 => Kind::Func,
            1 => Kind::Block,
            2 => Kind::Loop,
            3 => Kind::If,
            _ => Kind::Else,
        };
        let ty = if w[1] & 0x8000_0000 != 0 {
            BlockType::Func(w[1] & 0x7fff_ffff)
        } else if w[1] == 0x40 {
            BlockType::Empty
        } else {
            BlockType::Value(ValType::from_byte(w[1] as u8).unwrap_or(ValType::I32))
        };
        Frame {
            kind,
            unreachable: w[0] & 8 != 0,
            link: w[0] >> 8,
            ty,
            height: w[2],
            aux: w[3],
        }
    }
}

fn one(t: ValType) -> &'static [u8] {
    match t {
        ValType::I32 => &[0x7f],
        ValType::I64 => &[0x7e],
        ValType::F32 => &[0x7d],
        ValType::F64 => &[0x7c],
        ValType::FuncRef => &[0x70],
        ValType::ExternRef => &[0x6f],
    }
}

/// Where the side table is written, or, for a prepared module, what it is checked against
/// (the two forms of entry are in [`crate::module::side_table`]).
///
/// Build mode (`stored` is `None`): compact entries go to `words` from the front, two to
/// a word, and wide entries from the back, one to a word, all little-endian so the
/// interpreter reads both kinds of table alike. When the two meet, validation goes on
/// counting so the error can say exactly how many words were needed.
///
/// Verify mode: `words` is empty and every entry is compared with `stored`, the module's
/// precomputed table; `len` and `wide` count entries as in build mode, `wide` counting
/// only the wide entries the stored table uses.
pub(crate) struct SideSink<'a, 'wasm> {
    pub words: &'a mut [u64],
    pub stored: Option<SideTable<'wasm>>,
    /// Entries so far.
    pub len: usize,
    /// Wide entries so far.
    pub wide: usize,
    /// Build mode: some entry found no room, so from then on entries are only counted.
    pub overflow: bool,
    /// Build mode: the body being validated is too large (at least
    /// [`crate::module::side_table::COMPACT_BODY_BYTES`]) for its forward targets to be
    /// sure to fit a compact entry.
    pub large_body: bool,
}

impl<'a, 'wasm> SideSink<'a, 'wasm> {
    pub(crate) fn new(words: &'a mut [u64], stored: Option<SideTable<'wasm>>) -> Self {
        SideSink {
            words,
            stored,
            len: 0,
            wide: 0,
            overflow: false,
            large_body: false,
        }
    }
    /// Words the table takes: the compact entries, then the wide ones.
    pub(crate) fn words_needed(&self) -> usize {
        self.len.div_ceil(2) + self.wide
    }
    fn verifying(&self) -> bool {
        self.stored.is_some()
    }
    /// Stored entry `i` with all its fields (verify mode). An index past the stored
    /// table, a wide index past its wide entries, or a wide entry that would fit the
    /// compact form is a mismatch.
    fn stored(&self, i: usize, at: usize) -> Result<SideEntry> {
        let bad = Error::new(ErrorKind::BadSideTable, at);
        let t = self.stored.ok_or(bad)?;
        let e = t.entry(i).ok_or(bad)?;
        if t.raw(i).is_some_and(|r| r & WIDE != 0) && e.compact().is_some() {
            return Err(bad);
        }
        Ok(e)
    }
    /// Verify mode, on meeting entry `i` (in order): a wide entry must be the next one of
    /// the stored wide entries.
    fn visit(&mut self, i: usize, at: usize) -> Result<()> {
        let raw = self.stored.and_then(|t| t.raw(i));
        let raw = raw.ok_or(Error::new(ErrorKind::BadSideTable, at))?;
        if raw & WIDE != 0 {
            if (raw & !WIDE) as usize != self.wide {
                return Err(Error::new(ErrorKind::BadSideTable, at));
            }
            self.wide += 1;
        }
        Ok(())
    }
    /// Build mode: entry `i` as written.
    fn get(&self, i: usize) -> u32 {
        let entries: &[[u8; 4]] = bytemuck::try_cast_slice(self.words).unwrap_or(&[]);
        entries.get(i).map_or(0, |&b| u32::from_le_bytes(b))
    }
    /// Build mode: writes entry `i`, one that had room when appended. As four bytes, not
    /// by masking one half of a `u64` word: for that, rustc 1.95 (LLVM 22) compiled for
    /// thumbv7em a store that zeroed the word's other half when writing the low one, which
    /// the Cortex-M4 images caught (x86-64 and i686 were right).
    fn put(&mut self, i: usize, raw: u32) {
        if self.overflow {
            return;
        }
        let entries: &mut [[u8; 4]] = bytemuck::try_cast_slice_mut(self.words).unwrap_or(&mut []);
        if let Some(slot) = entries.get_mut(i) {
            *slot = raw.to_le_bytes();
        }
    }
    /// Build mode: appends an entry.
    fn append(&mut self, raw: u32) {
        self.len += 1;
        if self.words_needed() > self.words.len() {
            self.overflow = true;
        }
        self.put(self.len - 1, raw);
    }
    /// Build mode: takes the next wide entry, holding `e`; returns the entry that refers
    /// to it.
    fn alloc_wide(&mut self, e: SideEntry) -> u32 {
        let k = self.wide;
        self.wide += 1;
        if self.words_needed() > self.words.len() {
            self.overflow = true;
        }
        self.set_wide(k, e);
        WIDE | k as u32
    }
    /// Build mode: wide entry `k`, counted from the back.
    fn wide_slot(&mut self, k: usize) -> Option<&mut u64> {
        let n = self.words.len();
        if self.overflow || k >= n {
            return None;
        }
        self.words.get_mut(n - 1 - k)
    }
    fn get_wide(&mut self, k: usize) -> SideEntry {
        SideEntry(self.wide_slot(k).map_or(0, |w| u64::from_le(*w)))
    }
    fn set_wide(&mut self, k: usize, e: SideEntry) {
        if let Some(w) = self.wide_slot(k) {
            *w = e.0.to_le();
        }
    }
    /// Appends `e`, whose targets are known (build mode), or checks that the stored entry
    /// equals it (verify mode).
    fn push(&mut self, e: SideEntry, at: usize) -> Result<()> {
        if self.verifying() {
            self.visit(self.len, at)?;
            if self.stored(self.len, at)? != e {
                return Err(Error::new(ErrorKind::BadSideTable, at));
            }
            self.len += 1;
        } else {
            let raw = match e.compact() {
                Some(raw) => raw,
                None => self.alloc_wide(e),
            };
            self.append(raw);
        }
        Ok(())
    }
    /// Appends an entry whose targets come later (`e` holds its values and, in its target
    /// fields, the pending link; build mode only): wide if its form cannot be known yet.
    fn push_pending(&mut self, e: SideEntry) {
        let raw = if e.drop() == 0 && !self.large_body {
            e.pending_link()
        } else {
            self.alloc_wide(e)
        };
        self.append(raw);
    }
    /// Sets the targets of pending entry `i` (build mode); returns its pending link.
    fn patch(&mut self, i: usize, target_pc: u32, target_stp: u32, at: usize) -> Result<u32> {
        if self.overflow {
            // Counting only: nothing was stored to patch, but the targets must still fit,
            // so a too-large function is reported as such whatever the buffer size.
            SideEntry::new(target_pc, target_stp, 0, 0, at)?;
            return Ok(0);
        }
        let raw = self.get(i);
        let (pending, k) = if raw & WIDE != 0 {
            let k = (raw & !WIDE) as usize;
            (self.get_wide(k), Some(k))
        } else {
            (SideEntry(raw as u64), None)
        };
        let e = pending.with_targets(target_pc, target_stp, at)?;
        match (e.compact(), k) {
            // A large body's entry that turns out to fit: its wide slot stays unused.
            (Some(raw), _) => self.put(i, raw),
            (None, Some(k)) => self.set_wide(k, e),
            // Compact pending entries are only made where every target fits.
            (None, None) => return Err(Error::new(ErrorKind::FunctionTooLarge, at)),
        }
        Ok(pending.pending_link())
    }
}

/// What validating one body found.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct BodyFacts {
    pub code_start: u32,
    pub code_end: u32,
    pub locals: u32,
    pub max_height: u32,
    pub max_nesting: u32,
}

pub(crate) struct FuncValidator<'c, 'wasm, 'a, 'd> {
    ctx: &'c Ctx<'wasm, 'a>,
    bytes: &'wasm [u8],
    /// `[local types | operand types]`.
    slots: &'c mut [u8],
    n_slots: usize,
    n_locals: usize,
    frames: &'c mut [u32],
    n_frames: usize,
    /// The top frame's `height` and `unreachable`, kept out of its packed form because
    /// every pop reads them.
    height: usize,
    unreachable: bool,
    max_nesting_limit: usize,
    side: &'c mut SideSink<'d, 'wasm>,
    side_start: usize,
    code_start: usize,
    max_height: usize,
    max_nesting: usize,
    results: &'wasm [u8],
}

impl<'c, 'wasm, 'a, 'd> FuncValidator<'c, 'wasm, 'a, 'd> {
    pub(crate) fn new(
        ctx: &'c Ctx<'wasm, 'a>,
        slots: &'c mut [u8],
        frames: &'c mut [u32],
        max_nesting: usize,
        side: &'c mut SideSink<'d, 'wasm>,
    ) -> Self {
        let side_start = side.len;
        // Scratch is sized for `max_nesting` frames; the clamp keeps a short one an error
        // rather than an out-of-bounds write.
        let max_nesting_limit = max_nesting.min(frames.len() / FRAME_WORDS);
        FuncValidator {
            ctx,
            bytes: ctx.bytes,
            slots,
            n_slots: 0,
            n_locals: 0,
            frames,
            n_frames: 0,
            height: 0,
            unreachable: false,
            max_nesting_limit,
            side,
            side_start,
            code_start: 0,
            max_height: 0,
            max_nesting: 0,
            results: &[],
        }
    }

    /// Validates the body in `r` (local declarations, then code, then nothing) of a
    /// function of type `ty`.
    pub(crate) fn validate(
        mut self,
        r: &mut Reader<'wasm>,
        ty: FuncType<'wasm>,
    ) -> Result<BodyFacts> {
        for &p in ty.params {
            self.push_slot(p, r.pos())?;
        }
        self.read_locals(r)?;
        self.n_locals = self.n_slots;
        self.max_height = 0;
        self.results = ty.results;
        self.code_start = r.pos();
        // The function body is the outermost block: [] -> results.
        self.push_frame(Kind::Func, BlockType::Func(FUNC_BODY), 0, r.pos())?;
        while self.n_frames > 0 {
            let at = r.pos();
            // Every instruction is typed straight from its bytes, reading its immediates
            // as it goes, without first decoding it into an `Instr` (the decoder of every
            // instruction is not linked into the runtime). Fixed-signature instructions
            // without immediates (a fifth of rustc's output) come from a table, then the
            // locals and `i32.const` (over half of it).
            let code = r.peek()?;
            let simple = simple_op(code);
            if simple != SimpleOp::NONE {
                r.u8()?;
                self.simple(simple, at)?;
                continue;
            }
            r.u8()?;
            // A fused opcode is checked against the bytes after it, then validated as the
            // first instruction of its sequence (`binary::fused`).
            let code = if self.ctx.fused {
                fused::unfuse_checked(code, at, r.rest())?
            } else {
                code
            };
            match code {
                op::LocalGet | op::LocalSet | op::LocalTee => {
                    let local = r.u32()?;
                    self.local_access(code, local, at)?;
                }
                op::I32Const => {
                    r.i32()?;
                    self.push(ValType::I32, at)?;
                }
                _ => self.instr(code, at, r)?,
            }
        }
        if !r.is_empty() {
            return Err(Error::new(ErrorKind::BadFunctionEnd, r.pos()));
        }
        Ok(BodyFacts {
            code_start: self.code_start as u32,
            code_end: r.pos() as u32 - 1,
            locals: (self.n_locals - ty.params.len()) as u32,
            max_height: self.max_height as u32,
            max_nesting: self.max_nesting as u32,
        })
    }

    fn read_locals(&mut self, r: &mut Reader<'wasm>) -> Result<()> {
        // Decode every declaration first: a count overflow is malformed, which the spec
        // puts before any limit of ours.
        let groups = r.count()?;
        let decls = r.clone();
        let mut total: u64 = self.n_slots as u64;
        for _ in 0..groups {
            let at = r.pos();
            total += r.u32()? as u64;
            if total > u32::MAX as u64 {
                return Err(Error::new(ErrorKind::TooManyLocals, at));
            }
            crate::binary::types::read_valtype(r)?;
        }
        if total as usize > self.slots.len() {
            return Err(Error::new(ErrorKind::OperandStackOverflow, decls.pos()));
        }
        let mut decls = decls;
        for _ in 0..groups {
            let at = decls.pos();
            let n = decls.u32()?;
            let t = crate::binary::types::read_valtype(&mut decls)?;
            for _ in 0..n {
                self.push_slot(t as u8, at)?;
            }
        }
        Ok(())
    }

    // --- the operand stack (spec A.3: push_val, pop_val, pop_vals) ---

    #[inline]
    fn push_slot(&mut self, t: u8, at: usize) -> Result<()> {
        match self.slots.get_mut(self.n_slots) {
            Some(s) => *s = t,
            None => return Err(Error::new(ErrorKind::OperandStackOverflow, at)),
        }
        self.n_slots += 1;
        self.max_height = self.max_height.max(self.n_slots - self.n_locals);
        Ok(())
    }

    #[inline]
    fn push(&mut self, t: ValType, at: usize) -> Result<()> {
        self.push_slot(t as u8, at)
    }

    fn push_all(&mut self, types: &[u8], at: usize) -> Result<()> {
        for &t in types {
            self.push_slot(t, at)?;
        }
        Ok(())
    }

    /// Where the frame `depth` labels out from the top lies in `frames`, if it exists.
    fn frame_words(&self, depth: u32) -> Option<core::ops::Range<usize>> {
        let i = self.n_frames.checked_sub(1 + depth as usize)? * FRAME_WORDS;
        Some(i..i + FRAME_WORDS)
    }

    /// The frame of the label `depth` (0: the innermost block).
    fn label(&self, depth: u32, at: usize) -> Result<Frame> {
        self.frame_words(depth)
            .and_then(|i| self.frames.get(i))
            .and_then(|w| w.try_into().ok())
            .map(Frame::unpack)
            .ok_or(Error::new(ErrorKind::UnknownLabel, at))
    }

    /// The innermost frame; there is one until the body's final `end`.
    fn top(&self, at: usize) -> Result<Frame> {
        self.label(0, at)
    }

    /// Replaces the frame of the label `depth`, which [`Self::label`] has read.
    fn set_frame(&mut self, depth: u32, f: &Frame) {
        let w = self.frame_words(depth).and_then(|i| self.frames.get_mut(i));
        if let Some(w) = w.and_then(|w| <&mut [u32; FRAME_WORDS]>::try_from(w).ok()) {
            f.pack(w);
        }
    }

    /// Pops any operand; returns its type byte (`UNKNOWN` in unreachable code).
    #[inline]
    fn pop_any(&mut self, at: usize) -> Result<u8> {
        if self.n_slots <= self.height {
            if self.unreachable {
                return Ok(UNKNOWN);
            }
            return Err(Error::new(ErrorKind::TypeMismatch, at));
        }
        self.n_slots -= 1;
        Ok(self.slots.get(self.n_slots).copied().unwrap_or(UNKNOWN))
    }

    /// Types an instruction that has a [`SimpleOp`]: pops its parameters, pushes its result.
    #[inline]
    fn simple(&mut self, op: SimpleOp, at: usize) -> Result<()> {
        let [n, first, second, result] = op.0.to_le_bytes();
        match n {
            3 => {
                self.pop_byte(second, at)?;
                self.pop_byte(first, at)?;
            }
            2 => {
                self.pop_byte(first, at)?;
            }
            _ => {}
        }
        if result != 0 {
            self.push_slot(result, at)?;
        }
        Ok(())
    }

    fn pop(&mut self, expect: ValType, at: usize) -> Result<u8> {
        self.pop_byte(expect as u8, at)
    }

    #[inline]
    fn pop_byte(&mut self, expect: u8, at: usize) -> Result<u8> {
        let actual = self.pop_any(at)?;
        if actual != expect && actual != UNKNOWN && expect != UNKNOWN {
            return Err(Error::new(ErrorKind::TypeMismatch, at));
        }
        Ok(if actual == UNKNOWN { expect } else { actual })
    }

    fn pop_all(&mut self, types: &[u8], at: usize) -> Result<()> {
        for &t in types.iter().rev() {
            self.pop_byte(t, at)?;
        }
        Ok(())
    }

    /// Checks the top operands against `types` without consuming them: the spec's
    /// `push_vals(pop_vals(types))` for `br_table`, which keeps unknown operands unknown.
    fn check_top(&self, types: &[u8], at: usize) -> Result<()> {
        let mut pos = self.n_slots;
        for &t in types.iter().rev() {
            if pos == self.height {
                return if self.unreachable {
                    Ok(())
                } else {
                    Err(Error::new(ErrorKind::TypeMismatch, at))
                };
            }
            pos -= 1;
            let actual = self.slots.get(pos).copied().unwrap_or(UNKNOWN);
            if actual != t && actual != UNKNOWN {
                return Err(Error::new(ErrorKind::TypeMismatch, at));
            }
        }
        Ok(())
    }

    fn pop_ref(&mut self, at: usize) -> Result<u8> {
        let t = self.pop_any(at)?;
        if t != UNKNOWN && !ValType::from_byte(t).is_some_and(ValType::is_ref) {
            return Err(Error::new(ErrorKind::TypeMismatch, at));
        }
        Ok(t)
    }

    // --- the control stack (spec A.3: push_ctrl, pop_ctrl, label_types, unreachable) ---

    /// The type of a block type read from an instruction: unlike a frame's, it may not
    /// name the function body's sentinel.
    fn instr_block_sig(&self, ty: BlockType, at: usize) -> Result<FuncType<'wasm>> {
        if let BlockType::Func(i) = ty {
            return self
                .ctx
                .func_type(i)
                .ok_or(Error::new(ErrorKind::UnknownType, at));
        }
        self.block_sig(ty, at)
    }

    fn block_sig(&self, ty: BlockType, at: usize) -> Result<FuncType<'wasm>> {
        Ok(match ty {
            BlockType::Empty => FuncType::EMPTY,
            BlockType::Value(t) => FuncType {
                params: &[],
                results: one(t),
            },
            BlockType::Func(FUNC_BODY) => FuncType {
                params: &[],
                results: self.results,
            },
            BlockType::Func(i) => self
                .ctx
                .func_type(i)
                .ok_or(Error::new(ErrorKind::UnknownType, at))?,
        })
    }

    fn push_frame(&mut self, kind: Kind, ty: BlockType, aux: u32, at: usize) -> Result<()> {
        if self.n_frames >= self.max_nesting_limit {
            return Err(Error::new(ErrorKind::NestingTooDeep, at));
        }
        let sig = self.block_sig(ty, at)?;
        let link = if kind == Kind::Loop {
            (self.side.len - self.side_start) as u32
        } else {
            0
        };
        let f = Frame {
            kind,
            unreachable: false,
            link,
            ty,
            height: self.n_slots as u32,
            aux,
        };
        self.enter(&f);
        self.push_all(sig.params, at)
    }

    /// Pushes frame `f` (reachable) on the control stack and makes it the top.
    fn enter(&mut self, f: &Frame) {
        self.n_frames += 1;
        self.max_nesting = self.max_nesting.max(self.n_frames);
        self.set_frame(0, f);
        self.height = f.height as usize;
        self.unreachable = f.unreachable;
    }

    /// Checks the top frame's results and pops it, leaving its height.
    fn pop_frame(&mut self, at: usize) -> Result<Frame> {
        let f = self.top(at)?;
        let sig = self.block_sig(f.ty, at)?;
        self.pop_all(sig.results, at)?;
        if self.n_slots != f.height as usize {
            return Err(Error::new(ErrorKind::TypeMismatch, at));
        }
        self.n_frames -= 1;
        if let Ok(top) = self.top(at) {
            self.height = top.height as usize;
            self.unreachable = top.unreachable;
        }
        Ok(f)
    }

    fn label_types(&self, f: &Frame, at: usize) -> Result<&'wasm [u8]> {
        let sig = self.block_sig(f.ty, at)?;
        Ok(if f.kind == Kind::Loop {
            sig.params
        } else {
            sig.results
        })
    }

    fn set_unreachable(&mut self, at: usize) -> Result<()> {
        let mut f = self.top(at)?;
        self.n_slots = f.height as usize;
        f.unreachable = true;
        self.set_frame(0, &f);
        self.unreachable = true;
        Ok(())
    }

    // --- side-table emission ---

    /// Side-table index relative to this function.
    fn rel_stp(&self) -> u32 {
        (self.side.len - self.side_start) as u32
    }

    /// Emits the entry for a branch to the label at `depth`, with the operand stack as it is
    /// before the branch (label values on top).
    fn emit_branch(&mut self, depth: u32, at: usize) -> Result<()> {
        let mut f = self.label(depth, at)?;
        let keep = self.label_types(&f, at)?.len() as u32;
        // In unreachable code the stack may be shorter than the label needs; such a branch
        // never executes, so its drop count is irrelevant.
        let drop = (self.n_slots as u32)
            .saturating_sub(f.height)
            .saturating_sub(keep);
        if f.kind == Kind::Loop {
            let e = SideEntry::new(f.aux, f.link, keep, drop, at)?;
            self.side.push(e, at)
        } else {
            f.link = self.forward(f.link, keep, drop, at)?;
            self.set_frame(depth, &f);
            Ok(())
        }
    }

    /// Emits a forward branch whose label's frame holds `link`; returns the frame's new
    /// `link`.
    ///
    /// Build mode: the entry waits in the label's chain (its target field links to the
    /// previous pending entry) and the new link is this entry. Verify mode: the stored
    /// entry's values are checked now; the first forward branch to the label becomes the
    /// link, and every later one must state the same target as it (checked against the
    /// real target in [`Self::resolve`]).
    fn forward(&mut self, link: u32, keep: u32, drop: u32, at: usize) -> Result<u32> {
        let e = SideEntry::new(link, 0, keep, drop, at)?;
        let this = self.rel_stp();
        if !self.side.verifying() {
            self.side.push_pending(e);
            return Ok(this + 1);
        }
        let i = self.side_start + this as usize;
        self.side.visit(i, at)?;
        let stored = self.side.stored(i, at)?;
        if stored.values() != e.values() {
            return Err(Error::new(ErrorKind::BadSideTable, at));
        }
        self.side.len += 1;
        if link == 0 {
            return Ok(this + 1);
        }
        let first = self.side.stored(self.side_start + link as usize - 1, at)?;
        if stored.targets() != first.targets() {
            return Err(Error::new(ErrorKind::BadSideTable, at));
        }
        Ok(link)
    }

    /// Reserves the `if` entry, patched at the `else` or `end` ([`Self::patch_if`]).
    fn reserve_if(&mut self, at: usize) -> Result<()> {
        if self.side.verifying() {
            self.side.visit(self.side.len, at)?;
            self.side.len += 1;
        } else {
            self.side.push_pending(SideEntry(0));
        }
        Ok(())
    }

    /// Patches every pending entry of `f` to jump to `target_pc` (function-relative) with
    /// side-table index `target_stp` (function-relative); in verify mode, checks that the
    /// target the label's branches state is that one.
    fn resolve(&mut self, f: &Frame, target_pc: u32, target_stp: u32, at: usize) -> Result<()> {
        if self.side.verifying() {
            if f.link != 0 {
                let want = SideEntry::new(target_pc, target_stp, 0, 0, at)?;
                let first = self
                    .side
                    .stored(self.side_start + f.link as usize - 1, at)?;
                if first.targets() != want.targets() {
                    return Err(Error::new(ErrorKind::BadSideTable, at));
                }
            }
            return Ok(());
        }
        let mut link = f.link;
        // Each entry appears in one chain once, so this walks each entry at most once.
        while link != 0 {
            let i = self.side_start + link as usize - 1;
            link = self.side.patch(i, target_pc, target_stp, at)?;
        }
        Ok(())
    }

    fn mem(&self, at: usize) -> Result<()> {
        if self.ctx.memories == 0 {
            return Err(Error::new(ErrorKind::UnknownMemory, at));
        }
        Ok(())
    }

    fn table(&self, idx: u32, at: usize) -> Result<ValType> {
        self.ctx
            .table_elem(idx)
            .ok_or(Error::new(ErrorKind::UnknownTable, at))
    }

    fn local(&self, idx: u32, at: usize) -> Result<u8> {
        match self.slots.get(idx as usize) {
            Some(&t) if (idx as usize) < self.n_locals => Ok(t),
            _ => Err(Error::new(ErrorKind::UnknownLocal, at)),
        }
    }

    /// `local.get`, `local.set` or `local.tee` (`code`) of `local`.
    #[inline]
    fn local_access(&mut self, code: u8, local: u32, at: usize) -> Result<()> {
        let t = self.local(local, at)?;
        if code != op::LocalGet {
            self.pop_byte(t, at)?;
        }
        if code != op::LocalSet {
            self.push_slot(t, at)?;
        }
        Ok(())
    }

    fn data_count(&self, idx: u32, at: usize) -> Result<()> {
        match self.ctx.data_count {
            None => Err(Error::new(ErrorKind::DataCountMissing, at)),
            Some(n) if idx >= n => Err(Error::new(ErrorKind::UnknownData, at)),
            Some(_) => Ok(()),
        }
    }

    /// Types the instruction of opcode `code` at `at`, reading its immediates from `r`
    /// (just past the opcode byte). Spec 3.3 and the algorithm of its appendix A.3.
    fn instr(&mut self, code: u8, at: usize, r: &mut Reader<'wasm>) -> Result<()> {
        use ValType::*;
        #[cfg(not(feature = "float"))]
        if crate::binary::opcodes::float_opcode(code) {
            return Err(Error::new(ErrorKind::FloatUnsupported, at));
        }
        if let Some(mop) = memory_op(code) {
            let m = MemArg::read(r)?;
            self.mem(at)?;
            if m.align > mop.natural as u32 {
                return Err(Error::new(ErrorKind::BadAlignment, at));
            }
            if mop.store {
                self.pop_byte(mop.ty, at)?;
                self.pop(I32, at)?;
            } else {
                self.pop(I32, at)?;
                self.push_slot(mop.ty, at)?;
            }
            return Ok(());
        }
        match code {
            op::Unreachable => self.set_unreachable(at)?,
            op::Block => {
                let ty = BlockType::read(r)?;
                let sig = self.instr_block_sig(ty, at)?;
                self.pop_all(sig.params, at)?;
                self.push_frame(Kind::Block, ty, 0, at)?;
            }
            op::Loop => {
                let ty = BlockType::read(r)?;
                let sig = self.instr_block_sig(ty, at)?;
                self.pop_all(sig.params, at)?;
                let body = (r.pos() - self.code_start) as u32;
                self.push_frame(Kind::Loop, ty, body, at)?;
            }
            op::If => {
                let ty = BlockType::read(r)?;
                self.pop(I32, at)?;
                let sig = self.instr_block_sig(ty, at)?;
                self.pop_all(sig.params, at)?;
                // The `if` entry: taken when the condition is false, patched at else/end.
                let entry_idx = self.rel_stp();
                self.reserve_if(at)?;
                self.push_frame(Kind::If, ty, entry_idx, at)?;
            }
            op::Else => {
                let f = self.top(at)?;
                if f.kind != Kind::If {
                    return Err(Error::new(ErrorKind::TypeMismatch, at));
                }
                let f = self.pop_frame(at)?;
                // The then-arm jumps over the else-arm: a pending entry of this label.
                let sig = self.block_sig(f.ty, at)?;
                let link = self.forward(f.link, sig.results.len() as u32, 0, at)?;
                // A false condition lands just after `else`, past the else entry.
                let target_pc = (r.pos() - self.code_start) as u32;
                self.patch_if(f.aux, target_pc, self.rel_stp(), at)?;
                let ef = Frame {
                    kind: Kind::Else,
                    unreachable: false,
                    link,
                    ..f
                };
                self.enter(&ef);
                self.push_all(sig.params, at)?;
            }
            op::End => {
                let f = self.top(at)?;
                if f.kind == Kind::If {
                    // An `if` without `else` behaves as if its else-arm were empty, which
                    // types only if parameters equal results.
                    let sig = self.block_sig(f.ty, at)?;
                    if sig.params != sig.results {
                        return Err(Error::new(ErrorKind::TypeMismatch, at));
                    }
                }
                let f = self.pop_frame(at)?;
                let sig = self.block_sig(f.ty, at)?;
                // Branches to a block land after its `end`; branches to the function's
                // label land on the final `end` itself, which returns.
                let here = (r.pos() - self.code_start) as u32;
                let target_pc = if f.kind == Kind::Func { here - 1 } else { here };
                let stp = self.rel_stp();
                if f.kind == Kind::If {
                    self.patch_if(f.aux, target_pc, stp, at)?;
                }
                if f.kind != Kind::Loop {
                    self.resolve(&f, target_pc, stp, at)?;
                }
                if f.kind != Kind::Func {
                    self.push_all(sig.results, at)?;
                }
            }
            op::Br => {
                let label = r.u32()?;
                let f = self.label(label, at)?;
                let types = self.label_types(&f, at)?;
                self.pop_all(types, at)?;
                self.push_all(types, at)?;
                self.emit_branch(label, at)?;
                self.set_unreachable(at)?;
            }
            op::BrIf => {
                let label = r.u32()?;
                self.pop(I32, at)?;
                let f = self.label(label, at)?;
                let types = self.label_types(&f, at)?;
                self.pop_all(types, at)?;
                self.push_all(types, at)?;
                self.emit_branch(label, at)?;
            }
            op::BrTable => {
                let table = BrTable::read(r)?;
                self.pop(I32, at)?;
                let mut targets = table.targets(self.bytes);
                // Read the default first to know the arity every target must share.
                let mut skip = targets.clone();
                for _ in 0..table.count {
                    skip.u32()?;
                }
                let default = skip.u32()?;
                let df = self.label(default, at)?;
                let arity = self.label_types(&df, at)?.len();
                for _ in 0..table.count {
                    let l = targets.u32()?;
                    let f = self.label(l, at)?;
                    let types = self.label_types(&f, at)?;
                    if types.len() != arity {
                        return Err(Error::new(ErrorKind::TypeMismatch, at));
                    }
                    self.check_top(types, at)?;
                    self.emit_branch(l, at)?;
                }
                let types = self.label_types(&df, at)?;
                self.pop_all(types, at)?;
                self.push_all(types, at)?;
                self.emit_branch(default, at)?;
                self.set_unreachable(at)?;
            }
            op::Return => {
                let results = self.results;
                self.pop_all(results, at)?;
                self.set_unreachable(at)?;
            }
            op::Call => {
                let func = r.u32()?;
                let ty = self
                    .ctx
                    .func_sig(func)
                    .ok_or(Error::new(ErrorKind::UnknownFunction, at))?;
                self.pop_all(ty.params, at)?;
                self.push_all(ty.results, at)?;
            }
            op::CallIndirect => {
                let ty = r.u32()?;
                let table = r.u32()?;
                if self.table(table, at)? != FuncRef {
                    return Err(Error::new(ErrorKind::TypeMismatch, at));
                }
                let sig = self
                    .ctx
                    .func_type(ty)
                    .ok_or(Error::new(ErrorKind::UnknownType, at))?;
                self.pop(I32, at)?;
                self.pop_all(sig.params, at)?;
                self.push_all(sig.results, at)?;
            }
            op::Drop => {
                self.pop_any(at)?;
            }
            op::Select => {
                self.pop(I32, at)?;
                let t1 = self.pop_any(at)?;
                let t2 = self.pop_any(at)?;
                let is_num =
                    |t: u8| t == UNKNOWN || ValType::from_byte(t).is_some_and(|v| !v.is_ref());
                if !(is_num(t1) && is_num(t2)) {
                    return Err(Error::new(ErrorKind::TypeMismatch, at));
                }
                if t1 != t2 && t1 != UNKNOWN && t2 != UNKNOWN {
                    return Err(Error::new(ErrorKind::TypeMismatch, at));
                }
                self.push_slot(if t1 == UNKNOWN { t2 } else { t1 }, at)?;
            }
            op::SelectT => {
                let ty = SelectType::read(r)?;
                let t = match (ty.count, ty.ty) {
                    (1, Some(t)) => t,
                    _ => return Err(Error::new(ErrorKind::BadSelectType, at)),
                };
                self.pop(I32, at)?;
                self.pop(t, at)?;
                self.pop(t, at)?;
                self.push(t, at)?;
            }
            op::GlobalGet => {
                let global = r.u32()?;
                let g = self
                    .ctx
                    .global(global)
                    .ok_or(Error::new(ErrorKind::UnknownGlobal, at))?;
                self.push(g.ty, at)?;
            }
            op::GlobalSet => {
                let global = r.u32()?;
                let g = self
                    .ctx
                    .global(global)
                    .ok_or(Error::new(ErrorKind::UnknownGlobal, at))?;
                if !g.mutable {
                    return Err(Error::new(ErrorKind::ImmutableGlobal, at));
                }
                self.pop(g.ty, at)?;
            }
            op::TableGet => {
                let table = r.u32()?;
                let t = self.table(table, at)?;
                self.pop(I32, at)?;
                self.push(t, at)?;
            }
            op::TableSet => {
                let table = r.u32()?;
                let t = self.table(table, at)?;
                self.pop(t, at)?;
                self.pop(I32, at)?;
            }
            op::MemorySize => {
                Zero::read(r)?;
                self.mem(at)?;
                self.push(I32, at)?;
            }
            op::MemoryGrow => {
                Zero::read(r)?;
                self.mem(at)?;
                self.pop(I32, at)?;
                self.push(I32, at)?;
            }
            op::I64Const => {
                r.i64()?;
                self.push(I64, at)?;
            }
            op::F32Const => {
                r.fixed_u32()?;
                self.push(F32, at)?;
            }
            op::F64Const => {
                r.fixed_u64()?;
                self.push(F64, at)?;
            }
            op::RefNull => {
                let ty = read_reftype(r)?;
                self.push(ty, at)?;
            }
            op::RefIsNull => {
                self.pop_ref(at)?;
                self.push(I32, at)?;
            }
            op::RefFunc => {
                let func = r.u32()?;
                if func >= self.ctx.funcs {
                    return Err(Error::new(ErrorKind::UnknownFunction, at));
                }
                if !self.ctx.is_declared(func) {
                    return Err(Error::new(ErrorKind::UndeclaredFunctionRef, at));
                }
                self.push(FuncRef, at)?;
            }
            op::PREFIX_FC => self.prefixed(at, r)?,
            // The fixed-signature instructions came from their table (`simple_op`), but
            // for the float ones when the `float` feature is off, rejected above.
            _ => return Err(Error::new(ErrorKind::UnknownOpcode, at)),
        }
        Ok(())
    }

    /// Types a `0xFC`-prefixed instruction at `at`, `r` just past the prefix byte.
    fn prefixed(&mut self, at: usize, r: &mut Reader<'wasm>) -> Result<()> {
        use ValType::*;
        let sub = r.u32()?;
        match sub {
            fc::MemoryInit => {
                let data = r.u32()?;
                Zero::read(r)?;

                self.data_count(data, at)?;
                self.mem(at)?;
                self.pop_all(&[0x7f, 0x7f, 0x7f], at)?;
            }
            fc::DataDrop => {
                let data = r.u32()?;
                self.data_count(data, at)?;
            }
            fc::MemoryCopy => {
                Zero::read(r)?;
                Zero::read(r)?;
                self.mem(at)?;
                self.pop_all(&[0x7f, 0x7f, 0x7f], at)?;
            }
            fc::MemoryFill => {
                Zero::read(r)?;
                self.mem(at)?;
                self.pop_all(&[0x7f, 0x7f, 0x7f], at)?;
            }
            fc::TableInit => {
                let elem = r.u32()?;
                let table = r.u32()?;
                let t = self.table(table, at)?;
                let e = self
                    .ctx
                    .elem_type(elem)
                    .ok_or(Error::new(ErrorKind::UnknownElem, at))?;
                if t != e {
                    return Err(Error::new(ErrorKind::TypeMismatch, at));
                }
                self.pop_all(&[0x7f, 0x7f, 0x7f], at)?;
            }
            fc::ElemDrop => {
                let elem = r.u32()?;
                self.ctx
                    .elem_type(elem)
                    .ok_or(Error::new(ErrorKind::UnknownElem, at))?;
            }
            fc::TableCopy => {
                let dst = r.u32()?;
                let src = r.u32()?;
                let d = self.table(dst, at)?;
                let s = self.table(src, at)?;
                if d != s {
                    return Err(Error::new(ErrorKind::TypeMismatch, at));
                }
                self.pop_all(&[0x7f, 0x7f, 0x7f], at)?;
            }
            fc::TableGrow => {
                let table = r.u32()?;
                let t = self.table(table, at)?;
                self.pop(I32, at)?;
                self.pop(t, at)?;
                self.push(I32, at)?;
            }
            fc::TableSize => {
                let table = r.u32()?;
                self.table(table, at)?;
                self.push(I32, at)?;
            }
            fc::TableFill => {
                let table = r.u32()?;
                let t = self.table(table, at)?;
                self.pop(I32, at)?;
                self.pop(t, at)?;
                self.pop(I32, at)?;
            }
            // The saturating truncations: fixed signatures, from the opcode list.
            _ => {
                let Some((param, result)) = fc_unary(sub) else {
                    return Err(Error::new(ErrorKind::UnknownOpcode, at));
                };
                if !cfg!(feature = "float") {
                    return Err(Error::new(ErrorKind::FloatUnsupported, at));
                }
                self.pop_byte(param, at)?;
                self.push_slot(result, at)?;
            }
        }
        Ok(())
    }

    /// Writes the `if` entry at function-relative index `idx`: a false condition jumps to
    /// `target_pc`/`target_stp` carrying nothing (the parameters stay where they are).
    fn patch_if(&mut self, idx: u32, target_pc: u32, target_stp: u32, at: usize) -> Result<()> {
        let i = self.side_start + idx as usize;
        if self.side.verifying() {
            let e = SideEntry::new(target_pc, target_stp, 0, 0, at)?;
            if self.side.stored(i, at)? != e {
                return Err(Error::new(ErrorKind::BadSideTable, at));
            }
            return Ok(());
        }
        self.side.patch(i, target_pc, target_stp, at).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use crate::module::side_table::WIDE;
    use crate::{Limits, Module};
    use std::vec;
    use std::vec::Vec;

    /// Validates a one-function module; returns its code bytes and side-table entries as
    /// `(target_pc, target_stp, keep, drop)`.
    type Entry = (u32, u32, u32, u32);

    fn side_table(wat: &str) -> (Vec<u8>, Vec<Entry>) {
        let bytes = wat::parse_str(wat).unwrap();
        let (mut state, mut scratch) = (vec![0u8; 4096], vec![0u8; 64 * 1024]);
        let (m, _) = Module::new(&bytes, &mut state, &mut scratch, &Limits::DEFAULT).unwrap();
        let f = m.func(0);
        let code = bytes[f.code_start as usize..].to_vec();
        let entries = (0..m.side_table().len())
            .map(|i| {
                let e = m.side_entry(i);
                (e.target_pc(), e.target_stp(), e.keep(), e.drop())
            })
            .collect();
        (code, entries)
    }

    #[test]
    fn forward_branch_lands_after_end_with_its_values() {
        // block (result i32) i32.const 1 i32.const 2 br 0 end drop
        // code: 02 7f | 41 01 | 41 02 | 0c 00 | 0b | 1a | 0b
        let (code, e) = side_table("(func (block (result i32) i32.const 1 i32.const 2 br 0) drop)");
        assert_eq!(&code[..2], &[0x02, 0x7f]);
        assert_eq!(code[9], 0x1a, "target is the drop after the block's end");
        assert_eq!(e, vec![(9, 1, 1, 1)]);
    }

    #[test]
    fn loop_branch_lands_at_body_start() {
        // loop 40 | i32.const 0 | br_if 0 | end | end
        let (code, e) = side_table("(func (loop (br_if 0 (i32.const 0))))");
        assert_eq!(&code[..2], &[0x03, 0x40]);
        assert_eq!(e, vec![(2, 0, 0, 0)]);
    }

    #[test]
    fn if_else_entries() {
        // 0: i32.const 1 | 2: if 7f | 4: i32.const 2 | 6: else | 7: i32.const 3 | 9: end | 10: drop | 11: end
        let (code, e) = side_table(
            "(func (if (result i32) (i32.const 1) (then (i32.const 2)) (else (i32.const 3))) drop)",
        );
        assert_eq!(code[6], 0x05);
        assert_eq!(code[9], 0x0b);
        // The if entry skips past `else` and its own entry; the else entry jumps past `end`
        // (carrying its value, which stays where it is: nothing to drop, so keep is 0).
        assert_eq!(e, vec![(7, 2, 0, 0), (10, 2, 0, 0)]);
    }

    #[test]
    fn if_without_else_lands_after_end() {
        // 0: i32.const 0 | 2: if 40 | 4: nop | 5: end | 6: end
        let (_, e) = side_table("(func (if (i32.const 0) (then nop)))");
        assert_eq!(e, vec![(6, 1, 0, 0)]);
    }

    #[test]
    fn br_table_has_an_entry_per_target_and_default() {
        // 0: block 40 | 2: block 40 | 4: i32.const 0 | 6: br_table 0 1 0 (0e 02 00 01 00)
        // 11: end | 12: end | 13: end
        let (code, e) = side_table("(func (block (block (br_table 0 1 0 (i32.const 0)))))");
        assert_eq!(code[6], 0x0e);
        assert_eq!(e, vec![(12, 3, 0, 0), (13, 3, 0, 0), (12, 3, 0, 0)]);
    }

    #[test]
    fn branch_to_function_label_lands_on_final_end() {
        // 0: i32.const 7 | 2: br 0 | 4: end
        let (code, e) = side_table("(func (result i32) (br 0 (i32.const 7)))");
        assert_eq!(code[4], 0x0b);
        assert_eq!(e, vec![(4, 1, 0, 0)]);
    }

    #[test]
    fn nested_pending_chains_resolve_independently() {
        // Two branches to the outer block and one to the inner, interleaved.
        let (_, e) = side_table(
            "(func (block $outer (br_if $outer (i32.const 0)) (block $inner (br_if $outer (i32.const 1)) (br_if $inner (i32.const 2))) (br $outer)))",
        );
        assert_eq!(e.len(), 4);
        let outer_end = e[0].0;
        assert_eq!((e[1].0, e[3].0), (outer_end, outer_end));
        assert!(e[2].0 < outer_end);
        assert_eq!((e[0].1, e[1].1, e[2].1, e[3].1), (4, 4, 3, 4));
    }

    /// `bytes` with a `barewasm.side` section holding `entries` (count `count`) and `wide`.
    fn with_side(bytes: &[u8], version: u8, count: u8, entries: &[u32], wide: &[u64]) -> Vec<u8> {
        let name = crate::module::side_table::SECTION_NAME.as_bytes();
        let mut c = vec![name.len() as u8];
        c.extend_from_slice(name);
        c.extend_from_slice(&[version, count]);
        for e in entries {
            c.extend_from_slice(&e.to_le_bytes());
        }
        c.push(wide.len() as u8);
        for e in wide {
            c.extend_from_slice(&e.to_le_bytes());
        }
        let mut m = bytes.to_vec();
        m.extend_from_slice(&[0, c.len() as u8]);
        m.extend_from_slice(&c);
        m
    }

    fn check(bytes: &[u8]) -> crate::Result<(bool, usize)> {
        let (mut state, mut scratch) = (vec![0u8; 4096], vec![0u8; 64 * 1024]);
        let (m, _) = Module::new(bytes, &mut state, &mut scratch, &Limits::DEFAULT)?;
        Ok((m.is_prepared(), m.state_bytes()))
    }

    /// A function with every kind of entry (if, else, br to a block, br_if to a loop,
    /// br_table, two branches to one label) and two wide ones (branches that drop).
    const EVERY_ENTRY: &str = "(func (param i32) (result i32)
        (block $b (loop $l
          (if (local.get 0) (then (br $b)) (else (br_if $l (i32.const 0))))
          (br_table $b $l $b (local.get 0))))
        (block $c (br_if $c (local.get 0)) (br_if $c (local.get 0)))
        (drop (block $d (result i32) (i32.const 1) (i32.const 2) (br_if $d (local.get 0))
          (i32.const 3) (br $d)))
        (i32.const 1))";

    /// The table validation builds for `bytes`: raw entries and wide entries.
    fn built(bytes: &[u8]) -> (Vec<u32>, Vec<u64>) {
        let (mut state, mut scratch) = (vec![0u8; 4096], vec![0u8; 64 * 1024]);
        let (m, _) = Module::new(bytes, &mut state, &mut scratch, &Limits::DEFAULT).unwrap();
        let t = m.side_table();
        let raw = (0..t.len()).map(|i| t.raw(i).unwrap()).collect();
        let wide = t.wide.iter().map(|&b| u64::from_le_bytes(b)).collect();
        (raw, wide)
    }

    #[test]
    fn entries_are_compact_unless_they_drop() {
        let bytes = wat::parse_str(EVERY_ENTRY).unwrap();
        let (raw, wide) = built(&bytes);
        let (_, e) = side_table(EVERY_ENTRY);
        assert_eq!(raw.len(), e.len());
        for (i, (&r, &(pc, stp, keep, drop))) in raw.iter().zip(&e).enumerate() {
            assert_eq!(r & WIDE != 0, drop != 0, "entry {i}: {:?}", e[i]);
            if drop == 0 {
                assert_eq!(r, pc | stp << 16, "entry {i}");
            } else {
                assert_eq!(keep, 1, "entry {i}");
            }
        }
        // The two wide ones, in order.
        assert_eq!(wide.len(), 2);
        let refs: Vec<u32> = raw
            .iter()
            .filter(|&&r| r & WIDE != 0)
            .map(|r| r & !WIDE)
            .collect();
        assert_eq!(refs, [0, 1]);
    }

    #[test]
    fn stored_side_table_is_verified_entry_by_entry() {
        let bytes = wat::parse_str(EVERY_ENTRY).unwrap();
        let (entries, wide) = built(&bytes);
        let n = entries.len() as u8;
        let (plain, plain_state) = check(&bytes).unwrap();
        let (prepared, prepared_state) = check(&with_side(&bytes, 2, n, &entries, &wide)).unwrap();
        assert!(!plain && prepared);
        assert_eq!(
            plain_state - prepared_state,
            entries.len().div_ceil(2) * 8 + wide.len() * 8
        );
        let bad = |m: &[u8]| check(m).unwrap_err().kind() == crate::ErrorKind::BadSideTable;
        for i in 0..entries.len() {
            for bit in [0, 1, 15, 16, 29, 30, 31] {
                let mut t = entries.clone();
                t[i] ^= 1 << bit;
                assert!(
                    bad(&with_side(&bytes, 2, n, &t, &wide)),
                    "entry {i} bit {bit}"
                );
            }
        }
        for i in 0..wide.len() {
            for bit in [0, 1, 22, 23, 41, 42, 51, 52, 63] {
                let mut w = wide.clone();
                w[i] ^= 1 << bit;
                assert!(
                    bad(&with_side(&bytes, 2, n, &entries, &w)),
                    "wide {i} bit {bit}"
                );
            }
        }
        // Wide entries in another order, referred to in that order or not.
        let swapped = [wide[1], wide[0]];
        assert!(
            bad(&with_side(&bytes, 2, n, &entries, &swapped)),
            "wide order"
        );
        let mut t = entries.clone();
        for r in t.iter_mut().filter(|r| **r & WIDE != 0) {
            *r ^= 1;
        }
        assert!(
            bad(&with_side(&bytes, 2, n, &t, &swapped)),
            "refs out of order"
        );
        // An entry stored wide although it has a compact form.
        let mut t = entries.clone();
        let compact = t.iter().position(|r| r & WIDE == 0).unwrap();
        let whole = crate::module::side_table::SideEntry::from_compact(t[compact]).0;
        t[compact] = WIDE;
        for r in t.iter_mut().skip(compact + 1).filter(|r| **r & WIDE != 0) {
            *r += 1;
        }
        let w = [&[whole][..], &wide].concat();
        assert!(
            bad(&with_side(&bytes, 2, n, &t, &w)),
            "compact entry stored wide"
        );
        // Wide entries the table does not use.
        let extra = [&wide[..], &[0]].concat();
        assert!(
            bad(&with_side(&bytes, 2, n, &entries, &extra)),
            "unused wide entry"
        );
        assert!(
            bad(&with_side(&bytes, 2, n, &entries, &wide[..1])),
            "missing wide entry"
        );
        assert!(bad(&with_side(&bytes, 1, n, &entries, &wide)), "version");
        assert!(bad(&with_side(&bytes, 2, n + 1, &entries, &wide)), "count");
        assert!(
            bad(&with_side(&bytes, 2, n - 1, &entries[1..], &wide)),
            "short"
        );
        let mut more = entries.clone();
        more.push(0);
        assert!(bad(&with_side(&bytes, 2, n + 1, &more, &wide)), "long");
        let mut trailing = with_side(&bytes, 2, n, &entries, &wide);
        trailing.push(0);
        let at = bytes.len() + 1;
        trailing[at] += 1;
        assert!(bad(&trailing), "trailing byte");
        let mut cut = with_side(&bytes, 2, n, &entries, &wide);
        cut.truncate(bytes.len() + 2 + 1 + 13);
        cut[bytes.len() + 1] = 14;
        assert!(bad(&cut), "no header");
        let once = with_side(&bytes, 2, n, &entries, &wide);
        let twice = with_side(&once, 2, n, &entries, &wide);
        assert!(bad(&twice), "two tables");
    }

    #[test]
    fn side_table_overflow_reports_the_exact_need() {
        let bytes = wat::parse_str("(func (block (br 0) (br 0) (br 0)))").unwrap();
        let mut scratch = vec![0u8; 64 * 1024];
        let mut big = vec![0u64; 512];
        let need = {
            let s: &mut [u8] = bytemuck::cast_slice_mut(&mut big);
            Module::new(&bytes, s, &mut scratch, &Limits::DEFAULT)
                .unwrap()
                .0
                .state_bytes()
        };
        let s: &mut [u8] = bytemuck::cast_slice_mut(&mut big);
        let err =
            Module::new(&bytes, &mut s[..need - 8], &mut scratch, &Limits::DEFAULT).unwrap_err();
        match err.kind() {
            crate::ErrorKind::BufferTooSmall { needed, .. } => assert_eq!(needed as usize, need),
            k => panic!("unexpected {k:?}"),
        }
        assert!(Module::new(&bytes, &mut s[..need], &mut scratch, &Limits::DEFAULT).is_ok());
    }
}
