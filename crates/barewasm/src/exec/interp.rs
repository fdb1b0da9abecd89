//! The in-place interpreter (spec 4.4), after Titzer's design (OOPSLA 2022).
//!
//! It executes the module's own bytes: opcodes and immediates are decoded as they are
//! met, and every control transfer reads the side table at `stp`, a pointer that advances
//! alongside `pc` (a branch not taken steps over its entries). Values are `u64` slots;
//! each function's frame is `[params | locals | operands]` on the value stack, with its
//! height checked once at entry against the maximum validation computed, so pushes within
//! a body need no check of their own.
//!
//! An i32 or f32 value occupies the low half of its slot, and the high half is
//! unspecified: instructions producing one write only the low half
//! (`unchecked::set_low`), and every instruction consuming one reads only the low half
//! (`as u32`). Copies (locals, globals, `select`, branches) move whole slots. Values
//! handed out of the loop, a call's results and a host call's arguments, are
//! zero-extended as [`Value::to_bits`](super::value::Value::to_bits) makes them, so the
//! API sees the same slots as before. Debug builds put a marker in the high halves, so a
//! consumer that reads one fails the tests (`tests/narrow_values.rs`, the spec suite).
//!
//! The dispatch loop only decodes and moves values; the meaning of each numeric
//! instruction is a small function in [`super::numeric`].
//!
//! Invariant relied on for indexing: the module was validated, so operand-stack accesses
//! stay within the frame reserved at entry and every immediate decodes.

use super::numeric as num;
use super::stack::{Pause, Regs, Stack, BULK_STEP, FRAME_SLOTS};
use super::store::{is_dropped, set_dropped, table_init, ElemSegment};
use super::store::{InstanceInfo, InstanceSlot, Memory, Store, HOST_BIT, NO_MAX};
use super::unchecked;
use super::value::FuncRef;
use crate::binary::fused::code as fused_op;
use crate::binary::opcodes::op;
use crate::binary::opcodes::ConstInstr;
use crate::binary::reader::Reader;
use crate::binary::types::{FuncType, ValType};
use crate::error::{Error, ErrorKind, Result};
use crate::module::side_table::{SideEntry, SideTable, COMPACT_PC_BITS, WIDE};
use crate::module::Module;

/// The opcodes that dispatch to the arm of instruction `$first`: its own, and without the
/// `speed` feature (and its arms for fused sequences) also the fused opcodes whose sequence
/// starts with it. Their other bytes are the sequence's, so such an opcode runs as its
/// first instruction, the rest after it, at no cost to the dispatch: only more entries of
/// its jump table. (A lookup that mapped every opcode before the dispatch instead cost 30%
/// more Cortex-M4 instructions on unprepared modules.)
#[cfg(feature = "speed")]
macro_rules! first_of {
    ($first:ident $(, $fused:ident)*) => {
        op::$first
    };
}
#[cfg(not(feature = "speed"))]
macro_rules! first_of {
    ($first:ident $(, $fused:ident)*) => {
        op::$first $(| fused_op::$fused)*
    };
}

/// How a run of the interpreter ended without a trap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The called function returned; its results are in [`Stack::results`].
    Returned,
    /// The wasm code called host function `id`; its arguments are in
    /// [`Stack::host_args`]. Continue with [`Store::resume`] (or [`Store::resume_trap`]).
    HostCall {
        /// The host function's id, as given to the resolver.
        id: u32,
        /// The calling instance's slot: its memory is the one the call may use.
        caller: u32,
    },
    /// The fuel budget ran out (see [`Stack::set_fuel`]). Add fuel and continue with
    /// [`Store::continue_call`].
    OutOfFuel,
}

/// Why the inner loop stopped.
enum Exit {
    /// Continue in another instance (regs already point there).
    Switch,
    Done(Outcome),
}

struct Ctx<'m, 'wasm> {
    module: &'m Module<'wasm, 'm>,
    info: InstanceInfo,
    code: &'wasm [u8],
    /// The side table, in RAM or (prepared module) in the module's bytes.
    side: SideTable<'m>,
}

impl<'a, 'wasm> Store<'a, 'wasm> {
    /// Calls `f` with `args` (raw slots, see [`super::value::Value::to_bits`]) on `stack`.
    /// Checks the number of arguments; their types are the caller's responsibility at
    /// this level (the typed helpers check them).
    pub fn call(&mut self, stack: &mut Stack<'_>, f: FuncRef, args: &[u64]) -> Result<Outcome> {
        let ty = self
            .func_type(f)
            .ok_or(Error::new(ErrorKind::UnknownFunction, 0))?;
        if args.len() != ty.params.len() {
            return Err(Error::new(ErrorKind::TypeMismatch, 0));
        }
        if args.len() > stack.values.len() {
            return Err(Error::new(ErrorKind::CallStackExhausted, 0));
        }
        // A copy per value rather than `copy_from_slice`, whose length check would be
        // one more panic site: the lengths were checked above.
        for (to, &from) in stack.values.iter_mut().zip(args) {
            *to = from;
        }
        stack.pause = Pause::Idle;
        stack.results = 0;
        stack.store = self.id;
        let target = self.resolve_func(f);
        if target & HOST_BIT != 0 {
            // An exported host function called directly: hand it straight back.
            stack.regs = Regs {
                sp: args.len(),
                depth: 0,
                ..Regs::default()
            };
            stack.pause = Pause::Host {
                id: target as u32,
                caller: f.slot,
                args: args.len() as u32,
                results: ty.results.len() as u32,
            };
            return Ok(Outcome::HostCall {
                id: target as u32,
                caller: f.slot,
            });
        }
        let Some(f) = FuncRef::from_bits(target) else {
            return Err(Error::new(ErrorKind::UnknownFunction, 0));
        };
        let mut regs = Regs {
            sp: args.len(),
            ..Regs::default()
        };
        enter_frame(self.slots, stack.values, stack.frames, &mut regs, f, 0)?;
        stack.regs = regs;
        self.run(stack)
    }

    /// Continues after a host call with its `results`.
    pub fn resume(&mut self, stack: &mut Stack<'_>, results: &[u64]) -> Result<Outcome> {
        self.check_owner(stack)?;
        let Pause::Host {
            args, results: n, ..
        } = stack.pause
        else {
            return Err(Error::new(ErrorKind::NotResumable, 0));
        };
        if results.len() != n as usize {
            stack.pause = Pause::Idle;
            return Err(Error::new(ErrorKind::TypeMismatch, 0));
        }
        let sp = stack.regs.sp.wrapping_sub(args as usize);
        let to = stack
            .values
            .get_mut(sp..)
            .and_then(|v| v.get_mut(..results.len()));
        let to = to.ok_or(Error::new(ErrorKind::CallStackExhausted, 0))?;
        for (to, &from) in to.iter_mut().zip(results) {
            *to = from;
        }
        stack.regs.sp = sp + results.len();
        stack.pause = Pause::Idle;
        if stack.regs.depth == 0 {
            // The host function was the outermost call.
            stack.results = results.len();
            return Ok(Outcome::Returned);
        }
        self.run(stack)
    }

    /// Ends a paused host call with a trap.
    pub fn resume_trap(&mut self, stack: &mut Stack<'_>, trap: Error) -> Result<Outcome> {
        self.check_owner(stack)?;
        stack.pause = Pause::Idle;
        Err(trap)
    }

    /// Continues a call that stopped with [`Outcome::OutOfFuel`], from where it stopped,
    /// with the fuel the stack has now: its first unit pays the charge that was refused
    /// (see [`Stack::set_fuel`]). With no fuel the call stays paused and this returns
    /// [`Outcome::OutOfFuel`] again.
    pub fn continue_call(&mut self, stack: &mut Stack<'_>) -> Result<Outcome> {
        self.check_owner(stack)?;
        if stack.pause != Pause::Fuel {
            return Err(Error::new(ErrorKind::NotResumable, 0));
        }
        // The unit of the charge point where the call stopped (see `Stack::set_fuel`).
        let Some(fuel) = stack.fuel.checked_sub(1) else {
            return Ok(Outcome::OutOfFuel);
        };
        stack.fuel = fuel;
        stack.pause = Pause::Idle;
        self.run(stack)
    }

    /// A paused stack resumes only on the store that paused it: its saved registers index
    /// that store's modules (see [`super::unchecked`]). Resuming elsewhere is
    /// [`NotResumable`](ErrorKind::NotResumable), and leaves the pause as it was.
    pub(super) fn check_owner(&self, stack: &Stack<'_>) -> Result<()> {
        let unique = self.id != 0 || !unchecked::UNCHECKED;
        if stack.store == self.id && unique {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::NotResumable, 0))
        }
    }

    /// Runs until the outermost call returns, a host call, or a trap.
    pub(crate) fn run(&mut self, stack: &mut Stack<'_>) -> Result<Outcome> {
        loop {
            let slot = stack.regs.slot as usize;
            let s = self.slots.get(slot);
            let s = s.ok_or(Error::new(ErrorKind::UnknownFunction, 0))?;
            let module = s.module.ok_or(Error::new(ErrorKind::UnknownFunction, 0))?;
            let info = s.info;
            // The memory is moved out of its slot while this instance runs, so the loop can
            // hold it mutably beside the rest of the store; it goes back on every exit.
            let mem_slot = info.mem_slot as usize;
            let mut mem = self.slots.get_mut(mem_slot).and_then(|s| s.memory.take());
            let ctx = Ctx {
                module,
                info,
                code: module.bytes(),
                side: module.side_table(),
            };
            let res = execute(&ctx, self.slots, self.arena, &mut mem, stack);
            if let (Some(m), Some(s)) = (mem, self.slots.get_mut(mem_slot)) {
                s.memory = Some(m);
            }
            match res {
                Ok(Exit::Switch) => continue,
                Ok(Exit::Done(o)) => return Ok(o),
                Err(e) => {
                    stack.pause = Pause::Idle;
                    return Err(e);
                }
            }
        }
    }
}

// --- immediates: LEB128 with a one-byte fast path (validated, so no error paths) ---

#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
fn imm_u32(code: &[u8], pc: &mut usize) -> u32 {
    let b = unchecked::byte(code, *pc);
    *pc += 1;
    if b & 0x80 == 0 {
        return b as u32;
    }
    let (v, next) = imm_u32_slow(code, *pc, b);
    *pc = next;
    v
}

// The slow paths take and return `pc` by value: a `&mut` to the loop's `pc` passed to a
// function that is not inlined would keep `pc` in memory for the whole loop.
#[cold]
fn imm_u32_slow(code: &[u8], mut pc: usize, first: u8) -> (u32, usize) {
    let mut result = (first & 0x7f) as u32;
    let mut shift = 7;
    loop {
        let b = unchecked::byte(code, pc);
        pc += 1;
        result |= ((b & 0x7f) as u32).wrapping_shl(shift);
        if b & 0x80 == 0 || shift >= 28 {
            return (result, pc);
        }
        shift += 7;
    }
}

#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
fn imm_i32(code: &[u8], pc: &mut usize) -> i32 {
    let b = unchecked::byte(code, *pc);
    *pc += 1;
    if b & 0x80 == 0 {
        return ((b << 1) as i8 >> 1) as i32;
    }
    // Two bytes (-8192 to 8191) inline: 42% of the constants CoreMark executes. Measured
    // on the bench workloads (geomeans of executed instructions): prepared 0.99x on both
    // the Cortex-M4 and x86-64, plain 0.998x; a three-byte case in the slow path as well
    // cost 5% more on the M4.
    let b1 = unchecked::byte(code, *pc);
    if b1 & 0x80 == 0 {
        *pc += 1;
        let v = (b1 as u32) << 7 | (b & 0x7f) as u32;
        return ((v << 18) as i32) >> 18;
    }
    let (v, next) = imm_i32_slow(code, *pc, b);
    *pc = next;
    v
}

// 32-bit arithmetic for `i32.const` constants of three bytes or more (two are decoded
// inline in `imm_i32`): the 64-bit decoder needs a pair of registers and conditional
// shifts per byte on a 32-bit core (measured: 5% fewer Cortex-M4 instructions on the
// bench workloads).
#[cold]
fn imm_i32_slow(code: &[u8], mut pc: usize, first: u8) -> (i32, usize) {
    // Validated: at most 5 bytes, the unused bits of the last a sign extension, so the
    // bits the wrapping shift drops from the fifth byte are copies of bit 31.
    let mut result = (first & 0x7f) as u32;
    let mut shift = 7u32;
    loop {
        let b = unchecked::byte(code, pc);
        pc += 1;
        result |= ((b & 0x7f) as u32).wrapping_shl(shift);
        shift += 7;
        if b & 0x80 == 0 {
            // Sign-extend from bit `shift - 1`.
            let unused = 32u32.saturating_sub(shift);
            return (
                (result.wrapping_shl(unused) as i32).wrapping_shr(unused),
                pc,
            );
        }
    }
}

#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
fn imm_i64(code: &[u8], pc: &mut usize) -> i64 {
    let b = unchecked::byte(code, *pc);
    *pc += 1;
    if b & 0x80 == 0 {
        return ((b << 1) as i8 >> 1) as i64;
    }
    let (v, next) = imm_i64_slow(code, *pc, b);
    *pc = next;
    v
}

#[cold]
fn imm_i64_slow(code: &[u8], mut pc: usize, first: u8) -> (i64, usize) {
    // Validated: at most 10 bytes, so `shift` stays below 70 and the shifts below 64
    // keep every payload bit; wrapping shifts only make that explicit.
    let mut result = (first & 0x7f) as u64;
    let mut shift = 7u32;
    loop {
        let b = unchecked::byte(code, pc);
        pc += 1;
        result |= ((b & 0x7f) as u64).wrapping_shl(shift);
        shift += 7;
        if b & 0x80 == 0 {
            // Sign-extend from bit `shift - 1`.
            let unused = 64u32.saturating_sub(shift);
            return (
                (result.wrapping_shl(unused) as i64).wrapping_shr(unused),
                pc,
            );
        }
    }
}

/// Skips a block type immediate (validated: one byte or an s33 type index).
#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
fn skip_blocktype(code: &[u8], pc: &mut usize) {
    let b = unchecked::byte(code, *pc);
    if b & 0x80 == 0 {
        *pc += 1;
    } else {
        imm_i64(code, pc);
    }
}

/// The effective address of an access of `n` bytes in a memory of `size` bytes, or the
/// out-of-bounds trap. Inlined even without `speed`: this check is what lets LLVM drop the
/// bounds check of the access that follows, which would otherwise leave a panic there
/// (15 of them at opt-level "z").
#[inline(always)]
fn ea_in(size: usize, addr: u64, offset: u32, n: usize, at: usize) -> Result<usize> {
    let a = (addr as u32) as u64 + offset as u64;
    if a + n as u64 <= size as u64 {
        Ok(a as usize)
    } else {
        Err(Error::new(ErrorKind::MemoryOutOfBounds, at))
    }
}

#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
fn mem_bytes<'m>(mem: &'m mut Option<Memory<'_>>) -> &'m mut [u8] {
    match mem {
        Some(m) => m.data_mut(),
        None => &mut [],
    }
}

/// Arena word `i`, or [`Error::internal`].
fn word(arena: &[u64], i: usize, at: usize) -> Result<u64> {
    arena.get(i).copied().ok_or(Error::internal(at))
}

/// [`buffer::copy_within`](crate::buffer::copy_within), a range out of bounds (a bug)
/// being [`Error::internal`].
fn copy_within(s: &mut [u8], src: usize, dst: usize, n: usize, at: usize) -> Result<()> {
    crate::buffer::copy_within(s, src, dst, n).ok_or(Error::internal(at))
}

/// [`copy_within`] on words ([`buffer::copy_words_within`](crate::buffer::copy_words_within)).
fn copy_words(s: &mut [u64], src: usize, dst: usize, n: usize, at: usize) -> Result<()> {
    crate::buffer::copy_words_within(s, src, dst, n).ok_or(Error::internal(at))
}

fn func_type_of<'wasm>(slots: &[InstanceSlot<'_, 'wasm>], f: FuncRef) -> Option<FuncType<'wasm>> {
    let m = slots.get(f.slot as usize)?.module?;
    if f.func >= m.counts().funcs {
        return None;
    }
    Some(m.func_sig(f.func))
}

/// Follows import maps: a defined function's packed ref, or `HOST_BIT | id`.
fn resolve(slots: &[InstanceSlot<'_, '_>], arena: &[u64], f: FuncRef) -> u64 {
    let Some(m) = slots.get(f.slot as usize).and_then(|s| s.module) else {
        return 0;
    };
    if f.func >= m.counts().imported_funcs {
        return f.to_bits();
    }
    let i = slots
        .get(f.slot as usize)
        .map(|s| s.info.func_imports as usize);
    i.and_then(|i| arena.get(i + f.func as usize))
        .copied()
        .unwrap_or(0)
}

/// The interpreter loop for one instance. Returns on a switch to another instance, on
/// completion, on a host call, or with a trap.
#[allow(clippy::too_many_lines)]
fn execute(
    ctx: &Ctx<'_, '_>,
    slots: &[InstanceSlot<'_, '_>],
    arena: &mut [u64],
    mem: &mut Option<Memory<'_>>,
    st: &mut Stack<'_>,
) -> Result<Exit> {
    let code = ctx.code;
    let side = ctx.side.entries;
    let module = ctx.module;
    let info = ctx.info;
    let Stack {
        values: vals,
        frames,
        regs: st_regs,
        pause,
        results,
        fuel: fuel_slot,
        store: _,
    } = st;
    // The loop runs in a closure called once, and counts fuel in a 32-bit `chunk` of
    // its own taken from the 64-bit budget (`rest`): a register and one decrement per
    // charge point, also on a 32-bit core. Every way out of the loop is a `break 'run`, so
    // the chunk is added back to the budget whatever ends the call. Measured on the bench
    // guest against the loop written inline with a `u64` counter in memory: about 10%
    // fewer instructions on x86-64 (callgrind) and 5% on the Cortex-M4 (QEMU plugin);
    // the same loop without the closure executes more on both (LLVM spills more).
    let (mut rest, mut chunk) = (*fuel_slot, 1u32);
    // The saved frame base lies in the value stack (the loop's calls and returns set it);
    // checked once here, so that the loop's first frame needs no exit of its own. One
    // inside the closure (`?`) cost x86-64 1.3x-1.5x the instructions.
    if st_regs.fp > vals.len() {
        return Err(Error::internal(st_regs.pc));
    }
    #[allow(clippy::redundant_closure_call)]
    let result = (|| -> Result<Exit> {
        let rest = &mut rest;
        let chunk_out = &mut chunk;
        // The chunk is the closure's own local, so it can live in a register; it goes
        // back out through `chunk_out` when the loop ends, however it ends.
        let mut chunk = 1u32;
        let Regs {
            mut pc,
            mut stp,
            sp,
            mut fp,
            mut depth,
            slot,
            mut func,
        } = *st_regs;
        let fi = module.func(func);
        // The current function's code start, side-table start and final `end`, needed only
        // by branches, `end`, calls and returns. The reference is passed through
        // `black_box` so that LLVM keeps them in memory instead of taking registers from
        // the hot instructions (measured: 2.9% fewer Cortex-M4 instructions, x86-64 the same).
        let mut bounds = [
            fi.code_start as usize,
            fi.side_start as usize,
            fi.code_end as usize,
        ];
        let bounds = core::hint::black_box(&mut bounds);
        // The memory's accessible bytes, held across instructions; re-taken after anything
        // that may change the memory's size.
        let mut heap: &mut [u8] = mem_bytes(mem);
        // The current frame, `[params | locals | operands]`, with `sp` relative to it, so
        // locals and operands are indexed off one base and `fp` can stay out of a register
        // (measured: 2% fewer x86-64 and 2.8% fewer Cortex-M4 instructions). Saved
        // registers keep `sp` absolute.
        let mut sp = sp - fp;
        // In bounds: `fp` was checked against `vals` before the closure, though LLVM keeps
        // the index's own check. Every spelling without it measured worse on x86-64
        // (`get_mut` with `?` 1.3x-1.5x the instructions, `unwrap_or_default` and a
        // clamped `fp` 1.05x-1.2x), so it stays, unreachable.
        let mut frame: &mut [u64] = &mut vals[fp..]; // PANIC-SITE

        // Every way out of the loop is a `break 'run` with the result (`tri!` for `?`),
        // so the chunk goes back out below.
        let result = 'run: loop {
            macro_rules! tri {
                ($e:expr) => {
                    match $e {
                        Ok(v) => v,
                        Err(e) => break 'run Err(e),
                    }
                };
            }
            // A read the store or the validator guarantees: checked, and a miss (a bug)
            // ends the call with an error at `$at`, not a panic.
            macro_rules! checked {
                ($e:expr, $at:expr) => {
                    match $e {
                        Some(v) => v,
                        None => break 'run Err(Error::internal($at)),
                    }
                };
            }
            macro_rules! save {
                () => {
                    *st_regs = Regs {
                        pc,
                        stp,
                        sp: fp + sp,
                        fp,
                        depth,
                        slot,
                        func,
                    }
                };
            }
            macro_rules! pop {
                () => {{
                    sp -= 1;
                    unchecked::get(frame, sp)
                }};
            }
            macro_rules! push {
                ($v:expr) => {{
                    let v: u64 = $v;
                    unchecked::set(frame, sp, v);
                    sp += 1;
                }};
            }
            // An i32 or f32 result: only the slot's low half is written.
            macro_rules! push_low {
                ($v:expr) => {{
                    let v: u32 = $v;
                    unchecked::set_low(frame, sp, v);
                    sp += 1;
                }};
            }
            macro_rules! top {
                () => {
                    unchecked::get(frame, sp - 1)
                };
            }
            // Stops at `at` for lack of fuel; execution continues there on resumption.
            macro_rules! out_of_fuel {
                ($at:expr) => {{
                    pc = $at;
                    save!();
                    *pause = Pause::Fuel;
                    break 'run Ok(Exit::Done(Outcome::OutOfFuel));
                }};
            }
            // The fuel charge of a charge point (a taken branch, a wasm function's entry),
            // made once the transfer is done: without fuel, execution stops at the
            // destination, and `Store::continue_call` charges the unit before going on.
            macro_rules! charge_point {
                () => {{
                    if !charge(rest, &mut chunk) {
                        out_of_fuel!(pc);
                    }
                }};
            }

            macro_rules! branch {
                () => {{
                    // A panic site allowed by scripts/panic-sites.py: the index is
                    // validated, and a miss would be a bug. Checked with an error
                    // exit instead (`side.get`), the bench ran 1.07x the Cortex-M4
                    // instructions: the loop's registers were allocated worse.
                    let raw = u32::from_le_bytes(side[bounds[1] + stp]); // PANIC-SITE
                    if raw & WIDE == 0 {
                        // Compact: nothing to move. Measured against the 8-byte entries
                        // read whole: 0.93x the Cortex-M4 instructions; on x86-64 the same.
                        pc = bounds[0] + (raw & ((1 << COMPACT_PC_BITS) - 1)) as usize;
                        stp = (raw >> COMPACT_PC_BITS) as usize;
                    } else {
                        let (to_pc, to_stp, to_sp) = wide_branch(ctx.side.wide, raw, frame, sp);
                        if to_pc == usize::MAX {
                            break 'run Err(Error::internal(pc));
                        }
                        pc = bounds[0] + to_pc;
                        stp = to_stp;
                        sp = to_sp;
                    }
                    charge_point!();
                }};
            }
            // An i32 comparison whose result a `br_if` takes at once (over 90% of them in
            // the bench guest) makes the branch decision itself: one dispatch, one push and
            // one pop fewer. Otherwise the result is pushed and the `br_if` runs on its own.
            macro_rules! compare {
                ($n:tt, $t:ty, $f:expr) => {{
                    pc += 1;
                    let c: bool = compare!(@operands $n, $t, $f);
                    if unchecked::byte(code, pc) == op::BrIf {
                        pc += 1;
                        if c {
                            branch!();
                        } else {
                            imm_u32(code, &mut pc);
                            stp += 1;
                        }
                    } else {
                        push_low!(c as u32);
                    }
                }};
                (@operands 1, $t:ty, $f:expr) => {{
                    let a = pop!() as $t;
                    ($f)(a)
                }};
                (@operands 2, $t:ty, $f:expr) => {{
                    let b = pop!() as $t;
                    let a = pop!() as $t;
                    ($f)(a, b)
                }};
            }
            macro_rules! unop {
                ($t:ty, $f:expr) => {{
                    pc += 1;
                    let a = unchecked::get(frame, sp - 1) as $t;
                    unchecked::set(frame, sp - 1, ($f)(a) as u64);
                }};
            }
            macro_rules! binop {
                ($t:ty, $f:expr) => {{
                    pc += 1;
                    let b = pop!() as $t;
                    let a = unchecked::get(frame, sp - 1) as $t;
                    unchecked::set(frame, sp - 1, ($f)(a, b) as u64);
                }};
            }
            // `unop!` and `binop!` for an i32 or f32 result (low half only).
            macro_rules! unop_low {
                ($t:ty, $f:expr) => {{
                    pc += 1;
                    let a = unchecked::get(frame, sp - 1) as $t;
                    unchecked::set_low(frame, sp - 1, ($f)(a) as u32);
                }};
            }
            macro_rules! binop_low {
                ($t:ty, $f:expr) => {{
                    pc += 1;
                    let b = pop!() as $t;
                    let a = unchecked::get(frame, sp - 1) as $t;
                    unchecked::set_low(frame, sp - 1, ($f)(a, b) as u32);
                }};
            }
            macro_rules! binop_trap {
                ($t:ty, $f:expr, $at:expr) => {{
                    pc += 1;
                    let b = pop!() as $t;
                    let a = unchecked::get(frame, sp - 1) as $t;
                    unchecked::set(
                        frame,
                        sp - 1,
                        tri!(($f)(a, b).map_err(|k| Error::new(k, $at))) as u64,
                    );
                }};
            }
            #[cfg(feature = "float")]
            macro_rules! f32op1 {
                ($f:expr) => {{
                    pc += 1;
                    let a = f32::from_bits(unchecked::get(frame, sp - 1) as u32);
                    unchecked::set_low(frame, sp - 1, (($f)(a) as f32).to_bits());
                }};
            }
            #[cfg(feature = "float")]
            macro_rules! f32op2 {
                ($f:expr) => {{
                    pc += 1;
                    let b = f32::from_bits(pop!() as u32);
                    let a = f32::from_bits(unchecked::get(frame, sp - 1) as u32);
                    unchecked::set_low(frame, sp - 1, (($f)(a, b) as f32).to_bits());
                }};
            }
            #[cfg(feature = "float")]
            macro_rules! f64op1 {
                ($f:expr) => {{
                    pc += 1;
                    let a = f64::from_bits(unchecked::get(frame, sp - 1));
                    unchecked::set(frame, sp - 1, (($f)(a) as f64).to_bits());
                }};
            }
            #[cfg(feature = "float")]
            macro_rules! f64op2 {
                ($f:expr) => {{
                    pc += 1;
                    let b = f64::from_bits(pop!());
                    let a = f64::from_bits(unchecked::get(frame, sp - 1));
                    unchecked::set(frame, sp - 1, (($f)(a, b) as f64).to_bits());
                }};
            }
            #[cfg(feature = "float")]
            macro_rules! fcmp {
                ($t:ty, $bits:ty, $f:expr) => {{
                    pc += 1;
                    let b = <$t>::from_bits(pop!() as $bits);
                    let a = <$t>::from_bits(unchecked::get(frame, sp - 1) as $bits);
                    unchecked::set_low(frame, sp - 1, ($f)(a, b) as u32);
                }};
            }
            // A trapping float-to-integer truncation of the top slot.
            #[cfg(feature = "float")]
            macro_rules! trunc {
                ($f:expr, $at:expr) => {{
                    pc += 1;
                    tri!(trunc(frame, sp, $at, $f))
                }};
            }
            // A load into the top slot; `load!(low ...)` for an i32 or f32 result, which
            // writes the low half only.
            macro_rules! load {
                ($n:literal, $conv:expr, $at:expr) => {
                    load!(@to set, $n, $conv, $at)
                };
                (low $n:literal, $conv:expr, $at:expr) => {
                    load!(@to set_low, $n, $conv, $at)
                };
                (@to $write:ident, $n:literal, $conv:expr, $at:expr) => {{
                    pc += 1;
                    let _align = imm_u32(code, &mut pc);
                    let offset = imm_u32(code, &mut pc);
                    let a = tri!(ea_in(
                        heap.len(),
                        unchecked::get(frame, sp - 1),
                        offset,
                        $n,
                        $at
                    ));
                    let mut b = [0u8; $n];
                    b.copy_from_slice(&heap[a..a + $n]);
                    unchecked::$write(frame, sp - 1, ($conv)(b));
                }};
            }
            macro_rules! store {
                ($n:literal, $conv:expr, $at:expr) => {{
                    pc += 1;
                    let _align = imm_u32(code, &mut pc);
                    let offset = imm_u32(code, &mut pc);
                    let v = pop!();
                    let a = tri!(ea_in(heap.len(), pop!(), offset, $n, $at));
                    let b: [u8; $n] = ($conv)(v);
                    heap[a..a + $n].copy_from_slice(&b);
                }};
            }
            // Returns from the current function: moves its results to the frame base and pops
            // the frame; leaves the loop when the outermost call returns or the caller is in
            // another instance.
            macro_rules! do_return {
                () => {{
                    let n = module.type_arity(module.func(func).type_idx).1 as usize;
                    // Down to the frame base, front to back (validated: `n <= sp`). A
                    // loop, as results are few, and no `memmove` (see `buffer::copy_within`).
                    for i in 0..n {
                        unchecked::set(frame, i, unchecked::get(frame, sp - n + i));
                    }
                    let top = fp + n;
                    depth -= 1;
                    let w = frames.get(depth * FRAME_SLOTS..(depth + 1) * FRAME_SLOTS);
                    let &[w0, w1, ..] = checked!(w, pc) else {
                        break 'run Err(Error::internal(pc));
                    };
                    if depth == 0 {
                        *results = n;
                        *st_regs = Regs {
                            pc: 0,
                            stp: 0,
                            sp: top,
                            fp: 0,
                            depth: 0,
                            slot,
                            func,
                        };
                        break 'run Ok(Exit::Done(Outcome::Returned));
                    }
                    pc = w0 as u32 as usize;
                    stp = (w0 >> 32) as usize;
                    fp = (w1 & 0xff_ffff) as usize;
                    func = ((w1 >> 24) & 0xff_ffff) as u32;
                    let caller = (w1 >> 48) as u32;
                    if caller != slot {
                        *st_regs = Regs {
                            pc,
                            stp,
                            sp: top,
                            fp,
                            depth,
                            slot: caller,
                            func,
                        };
                        break 'run Ok(Exit::Switch);
                    }
                    sp = top - fp;
                    frame = checked!(vals.get_mut(fp..), pc);
                    let fi = module.func(func);
                    *bounds = [
                        fi.code_start as usize,
                        fi.side_start as usize,
                        fi.code_end as usize,
                    ];
                }};
            }
            // Calls the function a (slot, index) reference resolves to.
            macro_rules! do_call {
                ($target:expr, $at:expr) => {{
                    let target: u64 = $target;
                    if target & HOST_BIT != 0 {
                        save!();
                        break 'run host_call(st_regs, pause, target, $at, slots, arena, vals);
                    }
                    let f = tri!(FuncRef::from_bits(target)
                        .ok_or(Error::new(ErrorKind::UninitializedElement, $at)));
                    save!();
                    let mut regs = *st_regs;
                    tri!(enter_frame(slots, vals, frames, &mut regs, f, $at));
                    if f.slot != slot {
                        *st_regs = regs;
                        if !charge(rest, &mut chunk) {
                            *pause = Pause::Fuel;
                            break 'run Ok(Exit::Done(Outcome::OutOfFuel));
                        }
                        break 'run Ok(Exit::Switch);
                    }
                    Regs {
                        pc,
                        stp,
                        sp,
                        fp,
                        depth,
                        func,
                        ..
                    } = regs;
                    sp -= fp;
                    frame = checked!(vals.get_mut(fp..), pc);
                    let fi = module.func(func);
                    *bounds = [
                        fi.code_start as usize,
                        fi.side_start as usize,
                        fi.code_end as usize,
                    ];
                    charge_point!();
                }};
            }

            // A fused sequence's immediates are one byte each, at fixed offsets from its
            // first opcode: a local index, or an `i32.const` value of 7 bits.
            #[cfg(feature = "speed")]
            macro_rules! local_at {
                ($k:literal) => {
                    unchecked::get(frame, unchecked::byte(code, pc + $k) as usize)
                };
            }
            #[cfg(feature = "speed")]
            macro_rules! const_at {
                ($k:literal) => {
                    (((unchecked::byte(code, pc + $k) << 1) as i8) >> 1) as i32 as u32
                };
            }
            // `i32.const c; OP`: the top `a` becomes `a OP c`.
            #[cfg(feature = "speed")]
            macro_rules! const_op {
                ($f:expr) => {{
                    let v = ($f)(top!() as u32, const_at!(1));
                    pc += 3;
                    unchecked::set_low(frame, sp - 1, v);
                }};
            }
            // A two-byte `i32.const` value at `pc + 1` (validated: a continued byte, then a
            // last one).
            #[cfg(feature = "speed")]
            macro_rules! const2_at {
                () => {{
                    let low = unchecked::byte(code, pc + 1) as u32 & 0x7f;
                    let high = unchecked::byte(code, pc + 2) as u32;
                    ((((high << 7) | low) << 18) as i32 >> 18) as u32
                }};
            }
            // `i32.const c; OP` with a two-byte `c`: the top `a` becomes `a OP c`.
            #[cfg(feature = "speed")]
            macro_rules! const2_op {
                ($f:expr) => {{
                    let c = const2_at!();
                    let v = ($f)(top!() as u32, c);
                    pc += 4;
                    unchecked::set_low(frame, sp - 1, v);
                }};
            }
            // `local.get b; OP`: the top `a` becomes `a OP b`.
            #[cfg(feature = "speed")]
            macro_rules! local_op {
                ($f:expr) => {{
                    let v = ($f)(top!() as u32, local_at!(1) as u32);
                    pc += 3;
                    unchecked::set_low(frame, sp - 1, v);
                }};
            }
            // `local.get a; i32.const c; OP`: pushes `a OP c`.
            #[cfg(feature = "speed")]
            macro_rules! local_const_op {
                ($f:expr) => {{
                    let v = ($f)(local_at!(1) as u32, const_at!(3));
                    pc += 5;
                    push_low!(v);
                }};
            }

            // `pc` stays on the opcode until its arm steps past it: the dispatch then needs
            // no copy of the old `pc` beside the new one, and immediates are read off the
            // opcode's address (measured: 12% fewer x86-64 instructions, and with the function
            // bounds kept in memory 3% fewer on the Cortex-M4).
            let at = pc;
            let opcode = unchecked::byte(code, pc);
            match opcode {
                op::Unreachable => break 'run Err(Error::new(ErrorKind::Unreachable, at)),
                op::Nop => pc += 1,
                first_of!(Block, BLOCK_BLOCK, BLOCK4, BLOCK_LOCAL) | op::Loop => {
                    pc += 1;
                    skip_blocktype(code, &mut pc)
                }
                op::If => {
                    pc += 1;
                    skip_blocktype(code, &mut pc);
                    if pop!() as u32 != 0 {
                        stp += 1;
                    } else {
                        branch!();
                    }
                }
                op::Else => branch!(),
                op::End => {
                    pc += 1;
                    if pc - 1 == bounds[2] {
                        do_return!();
                    }
                }
                op::Br => branch!(),
                op::BrIf => {
                    pc += 1;
                    if pop!() as u32 != 0 {
                        branch!();
                    } else {
                        imm_u32(code, &mut pc);
                        stp += 1;
                    }
                }
                op::BrTable => {
                    pc += 1;
                    let n = imm_u32(code, &mut pc);
                    let i = pop!() as u32;
                    stp += i.min(n) as usize;
                    branch!();
                }
                op::Return => do_return!(),
                op::Call => {
                    pc += 1;
                    let f = imm_u32(code, &mut pc);
                    let target = if f < module.counts().imported_funcs {
                        *checked!(arena.get(info.func_imports as usize + f as usize), at)
                    } else {
                        FuncRef { slot, func: f }.to_bits()
                    };
                    do_call!(target, at);
                }
                op::CallIndirect => {
                    pc += 1;
                    let ty = imm_u32(code, &mut pc);
                    let table = imm_u32(code, &mut pc);
                    let i = pop!() as u32 as u64;
                    let h = *checked!(arena.get(info.tables as usize + table as usize), at);
                    let h = h as usize;
                    if i >= *checked!(arena.get(h), at) {
                        break 'run Err(Error::new(ErrorKind::UndefinedElement, at));
                    }
                    let elem = *checked!(arena.get(h + 4 + i as usize), at);
                    let f = tri!(FuncRef::from_bits(elem)
                        .ok_or(Error::new(ErrorKind::UninitializedElement, at)));
                    let same = if f.slot == slot {
                        module.canonical_type(module.func(f.func).type_idx)
                            == module.canonical_type(ty)
                    } else {
                        func_type_of(slots, f) == Some(module.func_type(ty))
                    };
                    if !same {
                        break 'run Err(Error::new(ErrorKind::IndirectCallTypeMismatch, at));
                    }
                    let target = resolve(slots, arena, f);
                    do_call!(target, at);
                }
                op::Drop => {
                    pc += 1;
                    sp -= 1
                }
                op::Select => {
                    pc += 1;
                    let c = pop!() as u32;
                    let b = pop!();
                    if c == 0 {
                        unchecked::set(frame, sp - 1, b);
                    }
                }
                op::SelectT => {
                    pc += 1;
                    let n = imm_u32(code, &mut pc);
                    pc += n as usize; // one byte per value type
                    let c = pop!() as u32;
                    let b = pop!();
                    if c == 0 {
                        unchecked::set(frame, sp - 1, b);
                    }
                }
                first_of!(
                    LocalGet,
                    LOCAL_CONST_ADD,
                    LOCAL_LOCAL_ADD,
                    LOCAL_LOCAL,
                    LOCAL_ADD,
                    LOCAL_CONST_SHR_U,
                    LOCAL_CONST_SHL,
                    LOCAL_XOR,
                    LOCAL_LOCAL_CONST_SHL_ADD,
                    LOCAL_CONST_ROTL_XOR,
                    LOCAL_CONST_SHR_U_XOR,
                    LOCAL_XOR_TEE_CONST,
                    LOCAL_LOCAL_CONST_ADD,
                    LOCAL_CONST_ADD_SET,
                    LOCAL_CONST_ADD_TEE,
                    LOCAL_CONST_SHR_U_XOR_SET,
                    LOCAL3
                ) => {
                    pc += 1;
                    let i = imm_u32(code, &mut pc) as usize;
                    push!(unchecked::get(frame, i));
                }
                first_of!(
                    LocalSet,
                    SET_LOCAL,
                    SET_LOCAL_CONST_ADD,
                    SET_CONST_SET_LOCAL
                ) => {
                    pc += 1;
                    let i = imm_u32(code, &mut pc) as usize;
                    unchecked::set(frame, i, pop!());
                }
                first_of!(LocalTee, TEE_LOCAL, TEE_CONST) => {
                    pc += 1;
                    let i = imm_u32(code, &mut pc) as usize;
                    unchecked::set(frame, i, top!());
                }
                op::GlobalGet => {
                    pc += 1;
                    let g = imm_u32(code, &mut pc) as usize;
                    let addr = *checked!(arena.get(info.globals as usize + g), at);
                    push!(*checked!(arena.get(addr as usize), at));
                }
                op::GlobalSet => {
                    pc += 1;
                    let g = imm_u32(code, &mut pc) as usize;
                    let addr = *checked!(arena.get(info.globals as usize + g), at);
                    *checked!(arena.get_mut(addr as usize), at) = pop!();
                }
                op::TableGet => {
                    pc += 1;
                    let t = imm_u32(code, &mut pc) as usize;
                    let h = *checked!(arena.get(info.tables as usize + t), at) as usize;
                    let i = top!() as u32 as u64;
                    if i >= *checked!(arena.get(h), at) {
                        break 'run Err(Error::new(ErrorKind::TableOutOfBounds, at));
                    }
                    let v = *checked!(arena.get(h + 4 + i as usize), at);
                    unchecked::set(frame, sp - 1, v);
                }
                op::TableSet => {
                    pc += 1;
                    let t = imm_u32(code, &mut pc) as usize;
                    let h = *checked!(arena.get(info.tables as usize + t), at) as usize;
                    let v = pop!();
                    let i = pop!() as u32 as u64;
                    if i >= *checked!(arena.get(h), at) {
                        break 'run Err(Error::new(ErrorKind::TableOutOfBounds, at));
                    }
                    *checked!(arena.get_mut(h + 4 + i as usize), at) = v;
                }
                op::I32Load => load!(low 4, u32::from_le_bytes, at),
                op::I64Load => load!(8, u64::from_le_bytes, at),
                op::F32Load => load!(low 4, u32::from_le_bytes, at),
                op::F64Load => load!(8, u64::from_le_bytes, at),
                op::I32Load8S => load!(low 1, |b: [u8; 1]| b[0] as i8 as i32 as u32, at),
                op::I32Load8U => load!(low 1, |b: [u8; 1]| b[0] as u32, at),
                op::I32Load16S => load!(low 2, |b| i16::from_le_bytes(b) as i32 as u32, at),
                op::I32Load16U => load!(low 2, |b| u16::from_le_bytes(b) as u32, at),
                op::I64Load8S => load!(1, |b: [u8; 1]| b[0] as i8 as i64 as u64, at),
                op::I64Load8U => load!(1, |b: [u8; 1]| b[0] as u64, at),
                op::I64Load16S => load!(2, |b| i16::from_le_bytes(b) as i64 as u64, at),
                op::I64Load16U => load!(2, |b| u16::from_le_bytes(b) as u64, at),
                op::I64Load32S => load!(4, |b| i32::from_le_bytes(b) as i64 as u64, at),
                op::I64Load32U => load!(4, |b| u32::from_le_bytes(b) as u64, at),
                op::I32Store | op::F32Store => store!(4, |v: u64| (v as u32).to_le_bytes(), at),
                op::I64Store | op::F64Store => store!(8, |v: u64| v.to_le_bytes(), at),
                op::I32Store8 | op::I64Store8 => store!(1, |v: u64| [v as u8], at),
                op::I32Store16 | op::I64Store16 => store!(2, |v: u64| (v as u16).to_le_bytes(), at),
                op::I64Store32 => store!(4, |v: u64| (v as u32).to_le_bytes(), at),
                op::MemorySize => {
                    pc += 2; // the opcode and the memory index (0)
                    push!(mem.as_ref().map_or(0, |m| m.pages()));
                    heap = mem_bytes(mem);
                }
                op::MemoryGrow => {
                    pc += 2; // the opcode and the memory index (0)
                    let delta = top!() as u32 as u64;
                    let r = mem.as_mut().and_then(|m| m.grow(delta));
                    heap = mem_bytes(mem);
                    unchecked::set(
                        frame,
                        sp - 1,
                        r.map_or(u32::MAX as u64, |old| old as u32 as u64),
                    );
                }
                first_of!(
                    I32Const,
                    CONST_ADD,
                    CONST_SET,
                    CONST_AND,
                    CONST_SHL,
                    CONST_ROTL,
                    CONST_EQ,
                    CONST_NE,
                    CONST2_AND,
                    CONST2_ADD,
                    CONST2_NE,
                    CONST2_AND_CONST_SHL,
                    CONST_SET_BLOCK_LOCAL
                ) => {
                    pc += 1;
                    let v = imm_i32(code, &mut pc);
                    push_low!(v as u32);
                }
                op::I64Const => {
                    pc += 1;
                    let v = imm_i64(code, &mut pc);
                    push!(v as u64);
                }
                op::F32Const => {
                    pc += 1;
                    let b = [
                        unchecked::byte(code, pc),
                        unchecked::byte(code, pc + 1),
                        unchecked::byte(code, pc + 2),
                        unchecked::byte(code, pc + 3),
                    ];
                    pc += 4;
                    push_low!(u32::from_le_bytes(b));
                }
                op::F64Const => {
                    pc += 1;
                    let b = checked!(code.get(pc..pc + 8).and_then(|b| b.try_into().ok()), at);
                    pc += 8;
                    push!(u64::from_le_bytes(b));
                }
                op::I32Eqz => compare!(1, u32, |a: u32| a == 0),
                op::I32Eq => compare!(2, u32, |a, b| a == b),
                op::I32Ne => compare!(2, u32, |a, b| a != b),
                op::I32LtS => compare!(2, u32, |a, b| (a as i32) < (b as i32)),
                op::I32LtU => compare!(2, u32, |a, b| a < b),
                op::I32GtS => compare!(2, u32, |a, b| (a as i32) > (b as i32)),
                op::I32GtU => compare!(2, u32, |a, b| a > b),
                op::I32LeS => compare!(2, u32, |a, b| (a as i32) <= (b as i32)),
                op::I32LeU => compare!(2, u32, |a, b| a <= b),
                op::I32GeS => compare!(2, u32, |a, b| (a as i32) >= (b as i32)),
                op::I32GeU => compare!(2, u32, |a, b| a >= b),
                op::I64Eqz => unop_low!(u64, |a: u64| (a == 0) as u32),
                op::I64Eq => binop_low!(u64, |a, b| (a == b) as u64),
                op::I64Ne => binop_low!(u64, |a, b| (a != b) as u64),
                op::I64LtS => binop_low!(u64, |a, b| ((a as i64) < (b as i64)) as u64),
                op::I64LtU => binop_low!(u64, |a, b| (a < b) as u64),
                op::I64GtS => binop_low!(u64, |a, b| ((a as i64) > (b as i64)) as u64),
                op::I64GtU => binop_low!(u64, |a, b| (a > b) as u64),
                op::I64LeS => binop_low!(u64, |a, b| ((a as i64) <= (b as i64)) as u64),
                op::I64LeU => binop_low!(u64, |a, b| (a <= b) as u64),
                op::I64GeS => binop_low!(u64, |a, b| ((a as i64) >= (b as i64)) as u64),
                op::I64GeU => binop_low!(u64, |a, b| (a >= b) as u64),
                #[cfg(feature = "float")]
                op::F32Eq => fcmp!(f32, u32, |a, b| a == b),
                #[cfg(feature = "float")]
                op::F32Ne => fcmp!(f32, u32, |a, b| a != b),
                #[cfg(feature = "float")]
                op::F32Lt => fcmp!(f32, u32, |a, b| a < b),
                #[cfg(feature = "float")]
                op::F32Gt => fcmp!(f32, u32, |a, b| a > b),
                #[cfg(feature = "float")]
                op::F32Le => fcmp!(f32, u32, |a, b| a <= b),
                #[cfg(feature = "float")]
                op::F32Ge => fcmp!(f32, u32, |a, b| a >= b),
                #[cfg(feature = "float")]
                op::F64Eq => fcmp!(f64, u64, |a, b| num::f64_eq(a, b) != 0),
                #[cfg(feature = "float")]
                op::F64Ne => fcmp!(f64, u64, |a, b| num::f64_ne(a, b) != 0),
                #[cfg(feature = "float")]
                op::F64Lt => fcmp!(f64, u64, |a, b| num::f64_lt(a, b) != 0),
                #[cfg(feature = "float")]
                op::F64Gt => fcmp!(f64, u64, |a, b| num::f64_gt(a, b) != 0),
                #[cfg(feature = "float")]
                op::F64Le => fcmp!(f64, u64, |a, b| num::f64_le(a, b) != 0),
                #[cfg(feature = "float")]
                op::F64Ge => fcmp!(f64, u64, |a, b| num::f64_ge(a, b) != 0),
                op::I32Clz => unop_low!(u32, |a: u32| a.leading_zeros()),
                op::I32Ctz => unop_low!(u32, |a: u32| a.trailing_zeros()),
                op::I32Popcnt => unop_low!(u32, |a: u32| a.count_ones()),
                op::I32Add => binop_low!(u32, u32::wrapping_add),
                op::I32Sub => binop_low!(u32, u32::wrapping_sub),
                op::I32Mul => binop_low!(u32, u32::wrapping_mul),
                op::I32DivS => binop_trap!(
                    u32,
                    |a, b| num::i32_div_s(a as i32, b as i32).map(|v| v as u32),
                    at
                ),
                op::I32DivU => binop_trap!(
                    u32,
                    |a, b| num::i32_div_u(a as i32, b as i32).map(|v| v as u32),
                    at
                ),
                op::I32RemS => binop_trap!(
                    u32,
                    |a, b| num::i32_rem_s(a as i32, b as i32).map(|v| v as u32),
                    at
                ),
                op::I32RemU => binop_trap!(
                    u32,
                    |a, b| num::i32_rem_u(a as i32, b as i32).map(|v| v as u32),
                    at
                ),
                op::I32And => binop_low!(u32, |a, b| a & b),
                op::I32Or => binop_low!(u32, |a, b| a | b),
                op::I32Xor => binop_low!(u32, |a, b| a ^ b),
                op::I32Shl => binop_low!(u32, |a: u32, b: u32| a.wrapping_shl(b)),
                op::I32ShrS => binop_low!(u32, |a: u32, b: u32| (a as i32).wrapping_shr(b) as u32),
                op::I32ShrU => binop_low!(u32, |a: u32, b: u32| a.wrapping_shr(b)),
                op::I32Rotl => binop_low!(u32, |a: u32, b: u32| a.rotate_left(b % 32)),
                op::I32Rotr => binop_low!(u32, |a: u32, b: u32| a.rotate_right(b % 32)),
                op::I64Clz => unop!(u64, |a: u64| a.leading_zeros() as u64),
                op::I64Ctz => unop!(u64, |a: u64| a.trailing_zeros() as u64),
                op::I64Popcnt => unop!(u64, |a: u64| a.count_ones() as u64),
                op::I64Add => binop!(u64, u64::wrapping_add),
                op::I64Sub => binop!(u64, u64::wrapping_sub),
                op::I64Mul => binop!(u64, u64::wrapping_mul),
                op::I64DivS => binop_trap!(
                    u64,
                    |a, b| num::i64_div_s(a as i64, b as i64).map(|v| v as u64),
                    at
                ),
                op::I64DivU => binop_trap!(
                    u64,
                    |a, b| num::i64_div_u(a as i64, b as i64).map(|v| v as u64),
                    at
                ),
                op::I64RemS => binop_trap!(
                    u64,
                    |a, b| num::i64_rem_s(a as i64, b as i64).map(|v| v as u64),
                    at
                ),
                op::I64RemU => binop_trap!(
                    u64,
                    |a, b| num::i64_rem_u(a as i64, b as i64).map(|v| v as u64),
                    at
                ),
                op::I64And => binop!(u64, |a, b| a & b),
                op::I64Or => binop!(u64, |a, b| a | b),
                op::I64Xor => binop!(u64, |a, b| a ^ b),
                op::I64Shl => binop!(u64, |a: u64, b: u64| a.wrapping_shl(b as u32)),
                op::I64ShrS => binop!(u64, |a: u64, b: u64| (a as i64).wrapping_shr(b as u32)
                    as u64),
                op::I64ShrU => binop!(u64, |a: u64, b: u64| a.wrapping_shr(b as u32)),
                op::I64Rotl => binop!(u64, |a: u64, b: u64| a.rotate_left((b % 64) as u32)),
                op::I64Rotr => binop!(u64, |a: u64, b: u64| a.rotate_right((b % 64) as u32)),
                #[cfg(feature = "float")]
                op::F32Abs => unop_low!(u32, |a: u32| a & 0x7fff_ffff),
                #[cfg(feature = "float")]
                op::F32Neg => unop_low!(u32, |a: u32| a ^ 0x8000_0000),
                #[cfg(feature = "float")]
                op::F32Ceil => f32op1!(num::f32_ceil),
                #[cfg(feature = "float")]
                op::F32Floor => f32op1!(num::f32_floor),
                #[cfg(feature = "float")]
                op::F32Trunc => f32op1!(num::f32_trunc),
                #[cfg(feature = "float")]
                op::F32Nearest => f32op1!(num::f32_nearest),
                #[cfg(feature = "float")]
                op::F32Sqrt => f32op1!(num::f32_sqrt),
                #[cfg(feature = "float")]
                op::F32Add => f32op2!(|a: f32, b: f32| a + b),
                #[cfg(feature = "float")]
                op::F32Sub => f32op2!(|a: f32, b: f32| a - b),
                #[cfg(feature = "float")]
                op::F32Mul => f32op2!(|a: f32, b: f32| a * b),
                #[cfg(feature = "float")]
                op::F32Div => f32op2!(|a: f32, b: f32| a / b),
                #[cfg(feature = "float")]
                op::F32Min => f32op2!(num::f32_min),
                #[cfg(feature = "float")]
                op::F32Max => f32op2!(num::f32_max),
                #[cfg(feature = "float")]
                op::F32Copysign => {
                    binop_low!(u32, |a: u32, b: u32| (a & 0x7fff_ffff) | (b & 0x8000_0000))
                }
                #[cfg(feature = "float")]
                op::F64Abs => unop!(u64, |a: u64| a & 0x7fff_ffff_ffff_ffff),
                #[cfg(feature = "float")]
                op::F64Neg => unop!(u64, |a: u64| a ^ 0x8000_0000_0000_0000),
                #[cfg(feature = "float")]
                op::F64Ceil => f64op1!(num::f64_ceil),
                #[cfg(feature = "float")]
                op::F64Floor => f64op1!(num::f64_floor),
                #[cfg(feature = "float")]
                op::F64Trunc => f64op1!(num::f64_trunc),
                #[cfg(feature = "float")]
                op::F64Nearest => f64op1!(num::f64_nearest),
                #[cfg(feature = "float")]
                op::F64Sqrt => f64op1!(num::f64_sqrt),
                #[cfg(feature = "float")]
                op::F64Add => f64op2!(num::f64_add),
                #[cfg(feature = "float")]
                op::F64Sub => f64op2!(num::f64_sub),
                #[cfg(feature = "float")]
                op::F64Mul => f64op2!(num::f64_mul),
                #[cfg(feature = "float")]
                op::F64Div => f64op2!(num::f64_div),
                #[cfg(feature = "float")]
                op::F64Min => f64op2!(num::f64_min),
                #[cfg(feature = "float")]
                op::F64Max => f64op2!(num::f64_max),
                #[cfg(feature = "float")]
                op::F64Copysign => {
                    binop!(u64, |a: u64, b: u64| (a & 0x7fff_ffff_ffff_ffff)
                        | (b & 0x8000_0000_0000_0000))
                }
                op::I32WrapI64 => unop_low!(u64, |a: u64| a as u32),
                #[cfg(feature = "float")]
                op::I32TruncF32S => trunc!(
                    |b| num::i32_trunc_f32_s(f32::from_bits(b as u32)).map(|v| v as u32 as u64),
                    at
                ),
                #[cfg(feature = "float")]
                op::I32TruncF32U => trunc!(
                    |b| num::i32_trunc_f32_u(f32::from_bits(b as u32)).map(|v| v as u64),
                    at
                ),
                #[cfg(feature = "float")]
                op::I32TruncF64S => trunc!(
                    |b| num::i32_trunc_f64_s(f64::from_bits(b)).map(|v| v as u32 as u64),
                    at
                ),
                #[cfg(feature = "float")]
                op::I32TruncF64U => trunc!(
                    |b| num::i32_trunc_f64_u(f64::from_bits(b)).map(|v| v as u64),
                    at
                ),
                op::I64ExtendI32S => unop!(u64, |a: u64| a as u32 as i32 as i64 as u64),
                op::I64ExtendI32U => unop!(u64, |a: u64| a as u32 as u64),
                #[cfg(feature = "float")]
                op::I64TruncF32S => trunc!(
                    |b| num::i64_trunc_f32_s(f32::from_bits(b as u32)).map(|v| v as u64),
                    at
                ),
                #[cfg(feature = "float")]
                op::I64TruncF32U => trunc!(
                    |b| num::i64_trunc_f32_u(f32::from_bits(b as u32)).map(|v| v as u64),
                    at
                ),
                #[cfg(feature = "float")]
                op::I64TruncF64S => trunc!(
                    |b| num::i64_trunc_f64_s(f64::from_bits(b)).map(|v| v as u64),
                    at
                ),
                #[cfg(feature = "float")]
                op::I64TruncF64U => trunc!(
                    |b| num::i64_trunc_f64_u(f64::from_bits(b)).map(|v| v as u64),
                    at
                ),
                #[cfg(feature = "float")]
                op::F32ConvertI32S => {
                    unop_low!(u64, |a: u64| (a as u32 as i32 as f32).to_bits())
                }
                #[cfg(feature = "float")]
                op::F32ConvertI32U => unop_low!(u64, |a: u64| (a as u32 as f32).to_bits() as u64),
                #[cfg(feature = "float")]
                op::F32ConvertI64S => unop_low!(u64, |a: u64| num::f32_convert_i64_s(a as i64)
                    .to_bits()
                    as u64),
                #[cfg(feature = "float")]
                op::F32ConvertI64U => unop_low!(u64, |a: u64| num::f32_convert_i64_u(a as i64)
                    .to_bits()
                    as u64),
                #[cfg(feature = "float")]
                op::F32DemoteF64 => unop_low!(u64, |a: u64| num::f32_demote_f64(f64::from_bits(a))
                    .to_bits() as u64),
                #[cfg(feature = "float")]
                op::F64ConvertI32S => {
                    unop!(u64, |a: u64| num::f64_convert_i32_s(a as i32).to_bits())
                }
                #[cfg(feature = "float")]
                op::F64ConvertI32U => {
                    unop!(u64, |a: u64| num::f64_convert_i32_u(a as i32).to_bits())
                }
                #[cfg(feature = "float")]
                op::F64ConvertI64S => {
                    unop!(u64, |a: u64| num::f64_convert_i64_s(a as i64).to_bits())
                }
                #[cfg(feature = "float")]
                op::F64ConvertI64U => {
                    unop!(u64, |a: u64| num::f64_convert_i64_u(a as i64).to_bits())
                }
                #[cfg(feature = "float")]
                op::F64PromoteF32 => {
                    unop!(u64, |a: u64| num::f64_promote_f32(f32::from_bits(a as u32))
                        .to_bits())
                }
                // Reinterpretations keep the bits; the slot representation is already shared.
                op::I32ReinterpretF32
                | op::I64ReinterpretF64
                | op::F32ReinterpretI32
                | op::F64ReinterpretI64 => pc += 1,
                op::I32Extend8S => unop!(u64, |a: u64| a as i8 as i32 as u32 as u64),
                op::I32Extend16S => unop!(u64, |a: u64| a as i16 as i32 as u32 as u64),
                op::I64Extend8S => unop!(u64, |a: u64| a as i8 as i64 as u64),
                op::I64Extend16S => unop!(u64, |a: u64| a as i16 as i64 as u64),
                op::I64Extend32S => unop!(u64, |a: u64| a as i32 as i64 as u64),
                op::RefNull => {
                    pc += 2; // the opcode and the heap type
                    push!(0);
                }
                op::RefIsNull => unop!(u64, |a: u64| (a == 0) as u64),
                op::RefFunc => {
                    pc += 1;
                    let f = imm_u32(code, &mut pc);
                    push!(FuncRef { slot, func: f }.to_bits());
                }
                op::PREFIX_FC => {
                    pc += 1;
                    let sub = imm_u32(code, &mut pc);
                    save!();
                    let args = Prefixed {
                        sub,
                        at,
                        code,
                        ctx,
                        slot,
                    };
                    // Copies, so that the loop's own `pc`, `sp` and fuel stay in registers.
                    let (mut p, mut s, mut f) =
                        (pc, sp, rest.wrapping_add(chunk as u64).wrapping_sub(1));
                    let step = prefixed(args, &mut p, arena, mem, frame, &mut s, &mut f);
                    heap = mem_bytes(mem);
                    (pc, sp, *rest, chunk) = (p, s, f, 1);
                    if tri!(step) == Step::Paused {
                        out_of_fuel!(at);
                    }
                }
                // Fused sequences, only in modules that enable them (`binary::fused`). None
                // of them branches, so they cost no fuel, as their instructions would not.
                #[cfg(feature = "speed")]
                fused_op::LOCAL_CONST_ADD => local_const_op!(u32::wrapping_add),
                #[cfg(feature = "speed")]
                fused_op::LOCAL_LOCAL_ADD => {
                    let v = (local_at!(1) as u32).wrapping_add(local_at!(3) as u32);
                    pc += 5;
                    push_low!(v);
                }
                #[cfg(feature = "speed")]
                fused_op::LOCAL_LOCAL => {
                    let (a, b) = (local_at!(1), local_at!(3));
                    pc += 4;
                    push!(a);
                    push!(b);
                }
                #[cfg(feature = "speed")]
                fused_op::SET_LOCAL => {
                    // The set first: `local.set 3; local.get 3` reads the new value.
                    unchecked::set(frame, unchecked::byte(code, pc + 1) as usize, top!());
                    unchecked::set(frame, sp - 1, local_at!(3));
                    pc += 4;
                }
                #[cfg(feature = "speed")]
                fused_op::TEE_LOCAL => {
                    unchecked::set(frame, unchecked::byte(code, pc + 1) as usize, top!());
                    let v = local_at!(3);
                    pc += 4;
                    push!(v);
                }
                #[cfg(feature = "speed")]
                fused_op::CONST_ADD => const_op!(u32::wrapping_add),
                #[cfg(feature = "speed")]
                fused_op::LOCAL_ADD => local_op!(u32::wrapping_add),
                #[cfg(feature = "speed")]
                fused_op::CONST_SET => {
                    let i = unchecked::byte(code, pc + 3) as usize;
                    unchecked::set_low(frame, i, const_at!(1));
                    pc += 4;
                }
                #[cfg(feature = "speed")]
                fused_op::LOCAL_CONST_SHR_U => local_const_op!(|a: u32, c: u32| a.wrapping_shr(c)),
                #[cfg(feature = "speed")]
                fused_op::LOCAL_CONST_SHL => local_const_op!(|a: u32, c: u32| a.wrapping_shl(c)),
                // A `block` does nothing at run time (its label's branches use the side table).
                #[cfg(feature = "speed")]
                fused_op::BLOCK_BLOCK => pc += 4,
                #[cfg(feature = "speed")]
                fused_op::BLOCK4 => pc += 8,
                #[cfg(feature = "speed")]
                fused_op::BLOCK_LOCAL => {
                    let v = local_at!(3);
                    pc += 4;
                    push!(v);
                }
                #[cfg(feature = "speed")]
                fused_op::CONST_AND => const_op!(|a: u32, c: u32| a & c),
                #[cfg(feature = "speed")]
                fused_op::CONST_SHL => const_op!(|a: u32, c: u32| a.wrapping_shl(c)),
                #[cfg(feature = "speed")]
                fused_op::CONST_ROTL => const_op!(|a: u32, c: u32| a.rotate_left(c)),
                #[cfg(feature = "speed")]
                fused_op::LOCAL_XOR => local_op!(|a: u32, b: u32| a ^ b),
                #[cfg(feature = "speed")]
                fused_op::SET_LOCAL_CONST_ADD => {
                    // The set first, as in `SET_LOCAL`.
                    unchecked::set(frame, unchecked::byte(code, pc + 1) as usize, top!());
                    let v = (local_at!(3) as u32).wrapping_add(const_at!(5));
                    pc += 7;
                    unchecked::set_low(frame, sp - 1, v);
                }
                #[cfg(feature = "speed")]
                fused_op::CONST_EQ => const_op!(|a: u32, c: u32| (a == c) as u32),
                #[cfg(feature = "speed")]
                fused_op::CONST_NE => const_op!(|a: u32, c: u32| (a != c) as u32),
                #[cfg(feature = "speed")]
                fused_op::TEE_CONST => {
                    unchecked::set(frame, unchecked::byte(code, pc + 1) as usize, top!());
                    let c = const_at!(3);
                    pc += 4;
                    push_low!(c);
                }
                #[cfg(feature = "speed")]
                fused_op::CONST2_AND => const2_op!(|a: u32, c: u32| a & c),
                #[cfg(feature = "speed")]
                fused_op::CONST2_ADD => const2_op!(u32::wrapping_add),
                #[cfg(feature = "speed")]
                fused_op::CONST2_NE => const2_op!(|a: u32, c: u32| (a != c) as u32),
                #[cfg(feature = "speed")]
                fused_op::LOCAL_LOCAL_CONST_SHL_ADD => {
                    // An array element's address: `base + (i << c)`.
                    let v = (local_at!(1) as u32)
                        .wrapping_add((local_at!(3) as u32).wrapping_shl(const_at!(5)));
                    pc += 8;
                    push_low!(v);
                }
                #[cfg(feature = "speed")]
                fused_op::LOCAL_CONST_ROTL_XOR => {
                    let v = (local_at!(1) as u32).rotate_left(const_at!(3));
                    pc += 6;
                    unchecked::set_low(frame, sp - 1, top!() as u32 ^ v);
                }
                #[cfg(feature = "speed")]
                fused_op::LOCAL_CONST_SHR_U_XOR => {
                    let v = (local_at!(1) as u32).wrapping_shr(const_at!(3));
                    pc += 6;
                    unchecked::set_low(frame, sp - 1, top!() as u32 ^ v);
                }
                #[cfg(feature = "speed")]
                fused_op::CONST2_AND_CONST_SHL => {
                    let v = (top!() as u32 & const2_at!()).wrapping_shl(const_at!(5));
                    pc += 7;
                    unchecked::set_low(frame, sp - 1, v);
                }
                #[cfg(feature = "speed")]
                fused_op::LOCAL_XOR_TEE_CONST => {
                    let v = top!() as u32 ^ local_at!(1) as u32;
                    unchecked::set_low(frame, sp - 1, v);
                    unchecked::set_low(frame, unchecked::byte(code, pc + 4) as usize, v);
                    let c = const_at!(6);
                    pc += 7;
                    push_low!(c);
                }
                #[cfg(feature = "speed")]
                fused_op::SET_CONST_SET_LOCAL => {
                    // The sets first, as in `SET_LOCAL`.
                    unchecked::set(frame, unchecked::byte(code, pc + 1) as usize, top!());
                    let i = unchecked::byte(code, pc + 5) as usize;
                    unchecked::set_low(frame, i, const_at!(3));
                    unchecked::set(frame, sp - 1, local_at!(7));
                    pc += 8;
                }
                #[cfg(feature = "speed")]
                fused_op::LOCAL_LOCAL_CONST_ADD => {
                    let a = local_at!(1);
                    let b = (local_at!(3) as u32).wrapping_add(const_at!(5));
                    pc += 7;
                    push!(a);
                    push_low!(b);
                }
                #[cfg(feature = "speed")]
                fused_op::CONST_SET_BLOCK_LOCAL => {
                    let i = unchecked::byte(code, pc + 3) as usize;
                    unchecked::set_low(frame, i, const_at!(1));
                    let v = local_at!(7);
                    pc += 8;
                    push!(v);
                }
                #[cfg(feature = "speed")]
                fused_op::LOCAL_CONST_ADD_SET => {
                    let v = (local_at!(1) as u32).wrapping_add(const_at!(3));
                    unchecked::set_low(frame, unchecked::byte(code, pc + 6) as usize, v);
                    pc += 7;
                }
                #[cfg(feature = "speed")]
                fused_op::LOCAL_CONST_ADD_TEE => {
                    let v = (local_at!(1) as u32).wrapping_add(const_at!(3));
                    unchecked::set_low(frame, unchecked::byte(code, pc + 6) as usize, v);
                    pc += 7;
                    push_low!(v);
                }
                #[cfg(feature = "speed")]
                fused_op::LOCAL_CONST_SHR_U_XOR_SET => {
                    let v = (local_at!(1) as u32).wrapping_shr(const_at!(3));
                    let v = pop!() as u32 ^ v;
                    unchecked::set_low(frame, unchecked::byte(code, pc + 7) as usize, v);
                    pc += 8;
                }
                #[cfg(feature = "speed")]
                fused_op::LOCAL3 => {
                    let (a, b, c) = (local_at!(1), local_at!(3), local_at!(5));
                    pc += 6;
                    push!(a);
                    push!(b);
                    push!(c);
                }
                _ => {
                    unchecked::unreachable_opcode(opcode);
                    break 'run Err(Error::new(ErrorKind::UnknownOpcode, at));
                }
            }
        };
        *chunk_out = chunk;
        result
    })();
    *fuel_slot = rest.wrapping_add(chunk as u64).wrapping_sub(1);
    // A call's results leave zero-extended (a host call's arguments do in `host_call`);
    // done here rather than in the loop's return path, where it cost registers (measured:
    // most of the half-slot gain on the Cortex-M4).
    if let Ok(Exit::Done(Outcome::Returned)) = result {
        let n = (*results).min(vals.len());
        zero_extend_narrow(&mut vals[..n], module.func_sig(st_regs.func).results);
    }
    result
}

/// Charges one unit of fuel from `chunk`, refilling it from `rest` (at most `u32::MAX` at
/// a time) when it is empty; `false`, charging nothing, when both are.
///
/// `chunk` holds one more than the units it has left, so it is never 0 between calls and
/// the common case is a decrement whose zero flag is the test (`subs` + `beq` on the
/// Cortex-M4, one instruction fewer than a decrement compared with -1; measured 3% of the
/// bench workloads' instructions there).
#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
fn charge(rest: &mut u64, chunk: &mut u32) -> bool {
    *chunk -= 1;
    if *chunk == 0 {
        // Out of line and cold, so the common path falls through to the fetch.
        let Some((r, c)) = refill(*rest) else {
            *chunk = 1;
            return false;
        };
        // The unit charged now is the one `chunk`'s extra 1 stood for.
        *rest = r;
        *chunk = c;
    }
    true
}

/// A new chunk taken from `rest` (1 to `u32::MAX`), and what is left; `None` when `rest`
/// is empty.
#[cold]
#[inline(never)]
fn refill(rest: u64) -> Option<(u64, u32)> {
    if rest == 0 {
        return None;
    }
    let take = rest.min(u32::MAX as u64);
    Some((rest - take, take as u32))
}

#[cfg(feature = "float")]
/// Applies a trapping truncation to the top slot.
#[cfg_attr(feature = "speed", inline(always))]
#[cfg_attr(not(feature = "speed"), inline)]
fn trunc(
    vals: &mut [u64],
    sp: usize,
    at: usize,
    f: impl Fn(u64) -> core::result::Result<u64, ErrorKind>,
) -> Result<()> {
    let v = f(unchecked::get(vals, sp - 1)).map_err(|k| Error::new(k, at))?;
    unchecked::set(vals, sp - 1, v);
    Ok(())
}

/// Returns to the host for a call to host function `target`; `regs` are the caller's,
/// already saved. The arguments on top of `vals` are zero-extended for the host.
fn host_call(
    regs: &Regs,
    pause: &mut Pause,
    target: u64,
    at: usize,
    slots: &[InstanceSlot<'_, '_>],
    arena: &[u64],
    vals: &mut [u64],
) -> Result<Exit> {
    // The host function's type is the calling module's declaration of the import; the
    // caller passed exactly its parameters, already on top of the stack.
    let module = slots.get(regs.slot as usize).and_then(|s| s.module);
    let module = module.ok_or(Error::new(ErrorKind::UnknownFunction, at))?;
    let ty = host_type(module, target, slots, regs.slot, arena);
    let sp = regs.sp.min(vals.len());
    zero_extend_narrow(&mut vals[sp.saturating_sub(ty.params.len())..sp], ty.params);
    *pause = Pause::Host {
        id: target as u32,
        caller: regs.slot,
        args: ty.params.len() as u32,
        results: ty.results.len() as u32,
    };
    Ok(Exit::Done(Outcome::HostCall {
        id: target as u32,
        caller: regs.slot,
    }))
}

/// The type of host function `target` as seen from `slot`: the first import of that
/// module that maps to it declares it (all such imports were checked to have the host
/// function's type).
fn host_type<'w>(
    module: &Module<'w, '_>,
    target: u64,
    slots: &[InstanceSlot<'_, '_>],
    slot: u32,
    arena: &[u64],
) -> FuncType<'w> {
    if let Some(s) = slots.get(slot as usize) {
        let imports = s.info.func_imports as usize..;
        let imports = arena.get(imports).unwrap_or_default();
        for (i, &t) in (0..module.counts().imported_funcs).zip(imports) {
            if t == target {
                return module.func_sig(i);
            }
        }
    }
    FuncType {
        params: &[],
        results: &[],
    }
}

/// Clears the high halves of the i32 and f32 values among `values` (typed by `types`,
/// one value-type byte each). Inside the interpreter those halves are unspecified (see
/// [`unchecked::set_low`]); values handed out, a host call's arguments and a call's
/// results, are zero-extended as [`Value::to_bits`](super::value::Value::to_bits) makes
/// them.
fn zero_extend_narrow(values: &mut [u64], types: &[u8]) {
    for (v, &t) in values.iter_mut().zip(types) {
        if t == ValType::I32 as u8 || t == ValType::F32 as u8 {
            *v &= 0xffff_ffff;
        }
    }
}

/// A branch through wide side-table entry `raw` (see [`crate::module::side_table`]): moves
/// the values it carries down over those it drops; returns its function-relative target
/// pc, side-table index and the new `sp`. Out of line, so that the common compact branch
/// stays short; `sp` goes by value, since a `&mut` to it would keep it in memory for the
/// whole loop (as for `imm_u32_slow`).
#[cold]
#[inline(never)]
fn wide_branch(wide: &[[u8; 8]], raw: u32, frame: &mut [u64], sp: usize) -> (usize, usize, usize) {
    let Some(&e) = wide.get((raw & !WIDE) as usize) else {
        // Not there (a bug, see `branch!`): the caller stops with an error.
        return (usize::MAX, 0, sp);
    };
    let e = SideEntry(u64::from_le_bytes(e));
    let (keep, drop) = (e.keep() as usize, e.drop() as usize);
    let mut sp = sp;
    // Validation sized the frame for these values; the checks keep a wrong table from
    // panicking.
    let from = sp.saturating_sub(keep);
    if let Some(to) = from.checked_sub(drop) {
        if copy_words(frame, from, to, keep.min(sp), 0).is_ok() {
            sp -= drop;
        }
    }
    (e.target_pc() as usize, e.target_stp() as usize, sp)
}

/// Pushes a frame for `f` (a defined function of any instance).
fn enter_frame(
    slots: &[InstanceSlot<'_, '_>],
    values: &mut [u64],
    frames: &mut [u64],
    regs: &mut Regs,
    f: FuncRef,
    at: usize,
) -> Result<()> {
    let module = slots
        .get(f.slot as usize)
        .and_then(|s| s.module)
        .ok_or(Error::new(ErrorKind::UnknownFunction, at))?;
    let fi = module.func(f.func);
    let (params, _) = module.type_arity(fi.type_idx);
    let exhausted = Error::new(ErrorKind::CallStackExhausted, at);
    let depth = regs.depth;
    if (depth + 1) * FRAME_SLOTS > frames.len() {
        return Err(exhausted);
    }
    let fp = regs.sp - params as usize;
    let locals_end = regs.sp + fi.locals as usize;
    if locals_end + fi.max_height as usize > values.len() {
        return Err(exhausted);
    }
    let Some([w0, w1, ..]) = frames.get_mut(depth * FRAME_SLOTS..(depth + 1) * FRAME_SLOTS) else {
        return Err(exhausted);
    };
    *w0 = regs.pc as u64 | (regs.stp as u64) << 32;
    *w1 = regs.fp as u64 | (regs.func as u64) << 24 | (regs.slot as u64) << 48;
    // Few locals are the common case: stores, not a `memset` call.
    let locals = values.get_mut(regs.sp..locals_end).ok_or(exhausted)?;
    if locals.len() <= 4 {
        for v in locals {
            *v = 0;
        }
    } else {
        locals.fill(0);
    }
    *regs = Regs {
        pc: fi.code_start as usize,
        stp: 0,
        sp: locals_end,
        fp,
        depth: depth + 1,
        slot: f.slot,
        func: f.func,
    };
    Ok(())
}

/// Whether a prefixed instruction finished or stopped between two steps for lack of fuel.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Done,
    /// Its remaining work is back on the operand stack as updated operands.
    Paused,
}

/// What `prefixed` needs to know about the instruction and where it runs.
struct Prefixed<'c, 'm, 'wasm> {
    sub: u32,
    at: usize,
    code: &'c [u8],
    ctx: &'c Ctx<'m, 'wasm>,
    slot: u32,
}

/// Does `n` units of bulk work in steps of at most [`BULK_STEP`]: `step(done, k)` does
/// `k` units after the first `done`. The first step is free, like any instruction; each
/// further one is a charge point of its own and costs one unit of fuel. Returns how many
/// units were done, fewer than `n` if fuel ran out (the unit refused then is charged on
/// resumption, and pays for the step the instruction starts with again).
#[inline]
fn bulk(
    n: usize,
    fuel: &mut u64,
    mut step: impl FnMut(usize, usize) -> Result<()>,
) -> Result<usize> {
    let mut done = 0;
    loop {
        let k = (n - done).min(BULK_STEP);
        step(done, k)?;
        done += k;
        if done == n || *fuel == 0 {
            return Ok(done);
        }
        *fuel -= 1;
    }
}

/// The 0xFC-prefixed instructions: saturating truncations and bulk memory/table ops.
///
/// A bulk instruction first checks its whole range (so a trap happens before any write,
/// as the spec requires), then works in fuel-charged steps. If fuel runs out between
/// steps, it pushes back operands describing the work left and returns [`Step::Paused`];
/// the caller stops before the instruction, which on resumption continues from there.
fn prefixed(
    a: Prefixed<'_, '_, '_>,
    pc: &mut usize,
    arena: &mut [u64],
    mem: &mut Option<Memory<'_>>,
    vals: &mut [u64],
    sp: &mut usize,
    fuel: &mut u64,
) -> Result<Step> {
    use op::fc;
    let Prefixed {
        sub,
        at,
        code,
        ctx,
        slot,
    } = a;
    let module = ctx.module;
    let info = ctx.info;
    macro_rules! pop {
        () => {{
            *sp -= 1;
            unchecked::get(vals, *sp)
        }};
    }
    // Pushes the operands of the work left and reports the pause, if any is left.
    macro_rules! rest {
        ($done:expr, $n:expr, [$($v:expr),+]) => {{
            if $done < $n {
                $(
                    unchecked::set(vals, *sp, $v as u64);
                    *sp += 1;
                )+
                return Ok(Step::Paused);
            }
        }};
    }
    // Only the saturating truncations read `top`; the others may run on an empty stack.
    #[cfg(feature = "float")]
    let top = sp.wrapping_sub(1);
    match sub {
        #[cfg(feature = "float")]
        fc::I32TruncSatF32S => {
            let v = unchecked::get(vals, top);
            unchecked::set(vals, top, f32::from_bits(v as u32) as i32 as u32 as u64);
        }
        #[cfg(feature = "float")]
        fc::I32TruncSatF32U => {
            let v = unchecked::get(vals, top);
            unchecked::set(vals, top, f32::from_bits(v as u32) as u32 as u64);
        }
        #[cfg(feature = "float")]
        fc::I32TruncSatF64S => {
            let v = unchecked::get(vals, top);
            unchecked::set(
                vals,
                top,
                num::i32_trunc_sat_f64_s(f64::from_bits(v)) as u32 as u64,
            );
        }
        #[cfg(feature = "float")]
        fc::I32TruncSatF64U => {
            let v = unchecked::get(vals, top);
            unchecked::set(
                vals,
                top,
                num::i32_trunc_sat_f64_u(f64::from_bits(v)) as u32 as u64,
            );
        }
        #[cfg(feature = "float")]
        fc::I64TruncSatF32S => {
            let v = unchecked::get(vals, top);
            unchecked::set(
                vals,
                top,
                num::i64_trunc_sat_f32_s(f32::from_bits(v as u32)) as u64,
            );
        }
        #[cfg(feature = "float")]
        fc::I64TruncSatF32U => {
            let v = unchecked::get(vals, top);
            unchecked::set(
                vals,
                top,
                num::i64_trunc_sat_f32_u(f32::from_bits(v as u32)) as u64,
            );
        }
        #[cfg(feature = "float")]
        fc::I64TruncSatF64S => {
            let v = unchecked::get(vals, top);
            unchecked::set(
                vals,
                top,
                num::i64_trunc_sat_f64_s(f64::from_bits(v)) as u64,
            );
        }
        #[cfg(feature = "float")]
        fc::I64TruncSatF64U => {
            let v = unchecked::get(vals, top);
            unchecked::set(
                vals,
                top,
                num::i64_trunc_sat_f64_u(f64::from_bits(v)) as u64,
            );
        }
        fc::MemoryInit => {
            let d = imm_u32(code, pc);
            *pc += 1;
            let n = pop!() as u32 as usize;
            let s = pop!() as u32 as usize;
            let dst = pop!() as u32 as usize;
            let seg: &[u8] =
                if is_dropped(arena, &info, module.counts().elems as usize + d as usize) {
                    &[]
                } else {
                    data_bytes(module, d)
                };
            let m = mem_bytes(mem);
            if s.checked_add(n).is_none_or(|e| e > seg.len())
                || dst.checked_add(n).is_none_or(|e| e > m.len())
            {
                return Err(Error::new(ErrorKind::MemoryOutOfBounds, at));
            }
            let done = bulk(n, fuel, |o, k| {
                let to = m.get_mut(dst + o..dst + o + k);
                let from = seg.get(s + o..s + o + k);
                match (to, from) {
                    (Some(to), Some(from)) if to.len() == from.len() => to.copy_from_slice(from),
                    _ => return Err(Error::new(ErrorKind::MemoryOutOfBounds, at)),
                }
                Ok(())
            })?;
            rest!(done, n, [dst + done, s + done, n - done]);
        }
        fc::DataDrop => {
            let d = imm_u32(code, pc) as usize;
            set_dropped(arena, &info, module.counts().elems as usize + d);
        }
        fc::MemoryCopy => {
            *pc += 2;
            let n = pop!() as u32 as usize;
            let s = pop!() as u32 as usize;
            let d = pop!() as u32 as usize;
            let m = mem_bytes(mem);
            if s.checked_add(n).is_none_or(|e| e > m.len())
                || d.checked_add(n).is_none_or(|e| e > m.len())
            {
                return Err(Error::new(ErrorKind::MemoryOutOfBounds, at));
            }
            // Overlapping ranges copy like `memmove`: front to back when the destination
            // is below the source, back to front otherwise, one step at a time.
            if d <= s {
                let done = bulk(n, fuel, |o, k| copy_within(m, s + o, d + o, k, at))?;
                rest!(done, n, [d + done, s + done, n - done]);
            } else {
                let done = bulk(n, fuel, |o, k| {
                    let e = n - o;
                    copy_within(m, s + e - k, d + e - k, k, at)
                })?;
                rest!(done, n, [d, s, n - done]);
            }
        }
        fc::MemoryFill => {
            *pc += 1;
            let n = pop!() as u32 as usize;
            let v = pop!() as u8;
            let d = pop!() as u32 as usize;
            let m = mem_bytes(mem);
            if d.checked_add(n).is_none_or(|e| e > m.len()) {
                return Err(Error::new(ErrorKind::MemoryOutOfBounds, at));
            }
            let done = bulk(n, fuel, |o, k| {
                let to = m.get_mut(d + o..d + o + k);
                to.ok_or(Error::new(ErrorKind::MemoryOutOfBounds, at))?
                    .fill(v);
                Ok(())
            })?;
            rest!(done, n, [d + done, v, n - done]);
        }
        fc::TableInit => {
            let e = imm_u32(code, pc);
            let t = imm_u32(code, pc) as usize;
            let n = pop!() as u32;
            let s = pop!() as u32;
            let d = pop!() as u32;
            let addr = word(arena, info.tables as usize + t, at)? as u32;
            let oob = Error::new(ErrorKind::TableOutOfBounds, at);
            let off = module.elem_offset(e).ok_or(oob)? as usize;
            let mut r = Reader::at(module.bytes(), off, module.bytes().len());
            let mut seg = ElemSegment::read(&mut r)?;
            if is_dropped(arena, &info, e as usize) {
                seg.count = 0; // a dropped segment behaves as empty
            }
            let size = word(arena, addr as usize, at)?;
            if d as u64 + n as u64 > size || s as u64 + n as u64 > seg.count as u64 {
                return Err(oob);
            }
            let done = bulk(n as usize, fuel, |o, k| {
                let (o, k) = (o as u32, k as u32);
                table_init(arena, module, &info, slot, &seg, addr, d + o, s + o, k).map_err(|_| oob)
            })? as u32;
            rest!(done, n, [d + done, s + done, n - done]);
        }
        fc::ElemDrop => {
            let e = imm_u32(code, pc) as usize;
            set_dropped(arena, &info, e);
        }
        fc::TableCopy => {
            let dt = imm_u32(code, pc) as usize;
            let stt = imm_u32(code, pc) as usize;
            let n = pop!() as u32 as u64;
            let s = pop!() as u32 as u64;
            let d = pop!() as u32 as u64;
            let hd = word(arena, info.tables as usize + dt, at)? as usize;
            let hs = word(arena, info.tables as usize + stt, at)? as usize;
            if s + n > word(arena, hs, at)? || d + n > word(arena, hd, at)? {
                return Err(Error::new(ErrorKind::TableOutOfBounds, at));
            }
            let (s0, d0, n) = (hs + 4 + s as usize, hd + 4 + d as usize, n as usize);
            if d0 <= s0 {
                let done = bulk(n, fuel, |o, k| copy_words(arena, s0 + o, d0 + o, k, at))?;
                rest!(done, n, [d as usize + done, s as usize + done, n - done]);
            } else {
                let done = bulk(n, fuel, |o, k| {
                    let e = n - o;
                    copy_words(arena, s0 + e - k, d0 + e - k, k, at)
                })?;
                rest!(done, n, [d, s, n - done]);
            }
        }
        fc::TableGrow => {
            let t = imm_u32(code, pc) as usize;
            let h = word(arena, info.tables as usize + t, at)? as usize;
            let n = pop!() as u32 as u64;
            let init = pop!();
            let [size, max, cap, _] = *arena
                .get(h..h + 4)
                .and_then(|w| <&[u64; 4]>::try_from(w).ok())
                .ok_or(Error::internal(at))?;
            let max = if max == NO_MAX { u32::MAX as u64 } else { max };
            let new = size + n;
            let grown = arena.get_mut(h + 4 + size as usize..h + 4 + new as usize);
            match grown {
                Some(items) if new <= max && new <= cap => {
                    items.fill(init);
                    if let Some(w) = arena.get_mut(h) {
                        *w = new;
                    }
                    unchecked::set(vals, *sp, size);
                }
                _ => unchecked::set(vals, *sp, u32::MAX as u64),
            }
            *sp += 1;
        }
        fc::TableSize => {
            let t = imm_u32(code, pc) as usize;
            let h = word(arena, info.tables as usize + t, at)? as usize;
            unchecked::set(vals, *sp, word(arena, h, at)?);
            *sp += 1;
        }
        fc::TableFill => {
            let t = imm_u32(code, pc) as usize;
            let h = word(arena, info.tables as usize + t, at)? as usize;
            let n = pop!() as u32 as usize;
            let v = pop!();
            let d = pop!() as u32 as usize;
            if (d + n) as u64 > word(arena, h, at)? {
                return Err(Error::new(ErrorKind::TableOutOfBounds, at));
            }
            let base = h + 4 + d;
            let done = bulk(n, fuel, |o, k| {
                let items = arena
                    .get_mut(base + o..base + o + k)
                    .ok_or(Error::internal(at))?;
                items.fill(v);
                Ok(())
            })?;
            rest!(done, n, [d + done, v, n - done]);
        }
        _ => return Err(Error::new(ErrorKind::UnknownOpcode, at)),
    }
    Ok(Step::Done)
}

/// The bytes of data segment `d`.
fn data_bytes<'wasm>(module: &Module<'wasm, '_>, d: u32) -> &'wasm [u8] {
    let bytes = module.bytes();
    let Some(off) = module.data_offset(d) else {
        return &[];
    };
    let mut r = Reader::at(bytes, off as usize, bytes.len());
    let mut read = || -> Result<&'wasm [u8]> {
        let flags = r.u32()?;
        if flags == 2 {
            r.u32()?;
        }
        if flags != 1 {
            while ConstInstr::read(&mut r)? != ConstInstr::End {}
        }
        let len = r.count()?;
        r.bytes(len)
    };
    read().unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::{charge, imm_i32, imm_i64};

    /// Signed LEB128 of `v` in `len` bytes (padded with sign-extension bytes, as the
    /// format allows).
    fn sleb(v: i64, len: usize) -> std::vec::Vec<u8> {
        let mut out = std::vec::Vec::new();
        for i in 0..len {
            let byte = ((v >> (7 * i)) & 0x7f) as u8;
            out.push(if i + 1 < len { byte | 0x80 } else { byte });
        }
        out
    }

    /// The 32-bit decoder of `i32.const` against the 64-bit one, on every length an i32
    /// may be encoded in and the values at each length's edges; `pc` lands after the
    /// immediate.
    #[test]
    fn i32_immediates_decode_like_the_64_bit_decoder() {
        let values = [
            0,
            1,
            -1,
            63,
            -64,
            64,
            -65,
            8191,
            -8192,
            8192,
            -8193,
            i32::MAX,
            i32::MIN,
        ];
        for &v in &values {
            for len in 1..=5usize {
                // A length too short for `v` is not a valid encoding of it.
                let bits = 7 * len as u32;
                if bits < 32 && !(-(1i64 << (bits - 1))..(1i64 << (bits - 1))).contains(&(v as i64))
                {
                    continue;
                }
                let mut code = sleb(v as i64, len);
                code.push(0x0b);
                let (mut p32, mut p64) = (0, 0);
                assert_eq!(imm_i32(&code, &mut p32), v, "{v} in {len} bytes");
                assert_eq!(imm_i64(&code, &mut p64), v as i64, "{v} in {len} bytes");
                assert_eq!((p32, p64), (len, len), "{v} in {len} bytes");
            }
        }
        // Every value of the inline two-byte path, and in three bytes (the slow path).
        let step = if cfg!(miri) { 61 } else { 1 };
        for v in (-8192i32..8192).step_by(step) {
            for len in [2, 3] {
                let mut code = sleb(v as i64, len);
                code.push(0x0b);
                let mut pc = 0;
                assert_eq!(
                    (imm_i32(&code, &mut pc), pc),
                    (v, len),
                    "{v} in {len} bytes"
                );
            }
        }
    }

    #[test]
    fn fuel_chunks_add_up_to_the_budget() {
        // `chunk` is one more than the units it holds; the budget is `rest + chunk - 1`.
        // A budget over 32 bits: the first chunk is u32::MAX units, the rest waits.
        let (mut rest, mut chunk) = (u32::MAX as u64 + 3, 1u32);
        assert!(charge(&mut rest, &mut chunk));
        assert_eq!((rest, chunk), (3, u32::MAX));
        assert_eq!(rest + (chunk - 1) as u64, u32::MAX as u64 + 2);
        // An empty chunk refills from what is left, and every unit is charged once.
        chunk = 1;
        for left in (0..3).rev() {
            assert!(charge(&mut rest, &mut chunk));
            assert_eq!(rest + (chunk - 1) as u64, left);
        }
        assert!(!charge(&mut rest, &mut chunk));
        assert_eq!((rest, chunk), (0, 1));
        // u64::MAX (unlimited) takes whole chunks without overflow.
        let (mut rest, mut chunk) = (u64::MAX, 1u32);
        assert!(charge(&mut rest, &mut chunk));
        assert_eq!(rest + (chunk - 1) as u64, u64::MAX - 1);
    }
}
