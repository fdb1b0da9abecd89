//! What a run used: native stack (painted at reset, scanned afterwards) and the wasm value
//! and call stacks (painted by [`paint_wasm_stack`], scanned by [`wasm_stack_use`]).
//!
//! barewasm does not report high-water marks of its [`barewasm::Stack`] itself; these
//! figures come from looking at which words of the buffers were written. A slot the
//! runtime reserved but never wrote (operand space checked at function entry and not
//! reached) does not count.

use barewasm::exec::stack::FRAME_SLOTS;
use barewasm::Limits;

extern "C" {
    static _stack_end: u32;
    static _stack_start: u32;
}

/// The word cortex-m-rt paints the stack with at reset (`paint-stack` feature).
const STACK_PAINT: u32 = cortex_m_rt::STACK_PAINT_VALUE;

/// Lowest and one-past-highest address of the native stack.
fn stack_bounds() -> (usize, usize) {
    (
        &raw const _stack_end as usize,
        &raw const _stack_start as usize,
    )
}

/// Bytes reserved for the native stack.
pub fn native_stack_size() -> usize {
    let (lo, hi) = stack_bounds();
    hi - lo
}

/// The deepest the native stack has been since reset or the last [`repaint_native_stack`],
/// in bytes.
pub fn native_stack_high_water() -> usize {
    let (lo, hi) = stack_bounds();
    let mut addr = lo;
    while addr < hi {
        // SAFETY: `addr` is a word-aligned address inside the stack region the linker
        // script reserves (and the MPU allows). Everything below the deepest point the
        // stack reached belongs to no live frame, and the scan stops at the first word that
        // does not hold the paint, so it only reads words nothing refers to.
        let word = unsafe { core::ptr::read_volatile(addr as *const u32) };
        if word != STACK_PAINT {
            break;
        }
        addr += 4;
    }
    hi - addr
}

/// Paints the unused part of the native stack again, so the next
/// [`native_stack_high_water`] measures only what runs after this call.
#[inline(never)]
pub fn repaint_native_stack() {
    let (lo, _) = stack_bounds();
    // Leave a margin below this function's own frame: it calls nothing, but the compiler
    // may spill below the stack pointer it had when `msp` was read.
    let sp = cortex_m::register::msp::read() as usize;
    let top = sp.saturating_sub(64) & !3;
    let mut addr = lo;
    while addr < top {
        // SAFETY: `addr` is word-aligned, inside the stack region and at least 64 bytes
        // below the current stack pointer: memory no live frame uses, which an interrupt
        // could only use transiently (none are enabled).
        unsafe { core::ptr::write_volatile(addr as *mut u32, STACK_PAINT) };
        addr += 4;
    }
}

/// The word wasm stack buffers are painted with before a run.
const WASM_PAINT: u64 = 0xA5A5_5A5A_C3C3_3C3C;

/// Fills a wasm stack buffer with the paint.
pub fn paint_wasm_stack(buf: &mut [u8]) {
    for chunk in buf.chunks_exact_mut(8) {
        chunk.copy_from_slice(&WASM_PAINT.to_le_bytes());
    }
}

/// Deepest use of a wasm stack, read from its painted buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WasmStackUse {
    /// Deepest chain of active wasm calls.
    pub call_depth: usize,
    /// Most value-stack slots (8 bytes each) written at once.
    pub value_slots: usize,
}

/// Reads the high-water marks from a buffer painted with [`paint_wasm_stack`] and then
/// given to [`barewasm::Stack::new`] with `limits`.
///
/// Relies on the layout `Stack::new` uses: call frames ([`FRAME_SLOTS`] words per call)
/// first, then the value slots, both `u64` words from the buffer's first 8-byte boundary.
pub fn wasm_stack_use(buf: &[u8], limits: &Limits) -> WasmStackUse {
    let skip = (8 - buf.as_ptr() as usize % 8) % 8;
    let words = buf.get(skip..).unwrap_or(&[]);
    let frame_words = limits.max_call_depth as usize * FRAME_SLOTS;
    let last_written = |words: &[u8]| {
        words
            .chunks_exact(8)
            .rposition(|w| w != WASM_PAINT.to_le_bytes())
            .map_or(0, |i| i + 1)
    };
    let frames = &words[..(frame_words * 8).min(words.len())];
    let values = words.get(frame_words * 8..).unwrap_or(&[]);
    let values = &values[..(limits.value_stack_slots as usize * 8).min(values.len())];
    WasmStackUse {
        call_depth: last_written(frames).div_ceil(FRAME_SLOTS),
        value_slots: last_written(values),
    }
}
