//! The value and call stack, in a host-provided buffer, and the saved registers that make
//! execution resumable (after a host call, and later after running out of fuel).
//!
//! Wasm calls never use the native stack: each pushes a [`FRAME_SLOTS`]-word record onto
//! the frame region, so recursion depth is bounded by the buffer, and running out of it is
//! the `call stack exhausted` trap.

use crate::buffer::align_u64;
use crate::error::{BufferKind, Error, Result};
use crate::limits::Limits;

/// `u64` words per call frame: `[return pc | return stp << 32, fp | func << 32, slot]`.
pub const FRAME_SLOTS: usize = 3;

/// The interpreter's registers, saved while execution is paused.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Regs {
    pub pc: usize,
    pub stp: usize,
    pub sp: usize,
    pub fp: usize,
    pub depth: usize,
    pub slot: u32,
    pub func: u32,
}

/// What a paused stack is waiting for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Pause {
    /// Nothing is running.
    #[default]
    Idle,
    /// A host call is out: `args` values sit on top of the stack; `results` are expected.
    Host { args: u32, results: u32 },
}

/// The value stack and call stack of one thread of execution.
#[derive(Debug)]
pub struct Stack<'a> {
    pub(crate) values: &'a mut [u64],
    pub(crate) frames: &'a mut [u64],
    pub(crate) regs: Regs,
    pub(crate) pause: Pause,
    /// Results the outermost call returns, once it has.
    pub(crate) results: usize,
}

impl<'a> Stack<'a> {
    /// Bytes a stack needs for `limits` (value-stack slots and call depth).
    pub fn bytes_for(limits: &Limits) -> usize {
        let frames = (limits.max_call_depth as usize).saturating_mul(FRAME_SLOTS);
        (limits.value_stack_slots as usize)
            .saturating_add(frames)
            .saturating_mul(8)
    }

    /// Carves a stack for `limits` out of `buf`.
    pub fn new(buf: &'a mut [u8], limits: &Limits) -> Result<Self> {
        let len = buf.len();
        let (words, skipped) = align_u64(buf);
        let frames_len = (limits.max_call_depth as usize).saturating_mul(FRAME_SLOTS);
        let values_len = limits.value_stack_slots as usize;
        if words.len() < frames_len.saturating_add(values_len) {
            return Err(Error::buffer(
                BufferKind::Stack,
                Self::bytes_for(limits) + skipped,
                len,
            ));
        }
        let (frames, rest) = words.split_at_mut(frames_len);
        let (values, _) = rest.split_at_mut(values_len);
        Ok(Stack {
            values,
            frames,
            regs: Regs::default(),
            pause: Pause::Idle,
            results: 0,
        })
    }

    /// The results of the last call that returned, as raw slots.
    pub fn results(&self) -> &[u64] {
        &self.values[..self.results.min(self.values.len())]
    }

    /// The arguments of the host call execution is paused on.
    pub fn host_args(&self) -> &[u64] {
        match self.pause {
            Pause::Host { args, .. } => {
                let sp = self.regs.sp.min(self.values.len());
                &self.values[sp.saturating_sub(args as usize)..sp]
            }
            Pause::Idle => &[],
        }
    }

    /// Deepest call nesting possible.
    pub fn max_depth(&self) -> usize {
        self.frames.len() / FRAME_SLOTS
    }
}
