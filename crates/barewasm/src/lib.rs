//! barewasm: a WebAssembly runtime for bare-metal microcontrollers.
//!
//! - `#![no_std]`, no allocator and no `alloc` crate: the host hands over every byte the
//!   runtime uses as plain buffers, and can ask beforehand how many it needs ([`Plan`]).
//! - Modules execute in place: their bytes (`&'wasm [u8]`, in flash on a device) are never
//!   copied. RAM holds only small index tables and a side table for control flow.
//! - Untrusted modules are fully validated, with no recursion whose depth depends on the
//!   input, and bad input of any kind yields an [`Error`] carrying a byte offset.
//!
//! The crate follows the specification's chapters: [`binary`] (format), [`module`]
//! (a validated module's structure), [`validate`] (validation, which builds the side table)
//! and [`plan`] (the memory plan). See ARCHITECTURE.md for the layering.
//!
//! **Start with [the embedding guide](guide)**: sizing buffers, host functions, typed
//! calls, fuel and resumption, errors, and a complete firmware example.
//!
//! # Cargo features
//!
//! | feature | default | what it adds |
//! |---------|---------|--------------|
//! | `float` | on | the f32/f64 comparison, arithmetic and conversion instructions ([`binary::opcodes::computes_float`]). Without it they are rejected while validating ([`ErrorKind::FloatUnsupported`]) and no float code is linked (on a Cortex-M4, 5.8 KB less flash at `opt-level = "z"`: the float arms and the f64 arithmetic, rounding and conversions done on the integer unit); float constants, locals, memory accesses and reinterpretations still work |
//! | `speed` | on | flash spent on speed: the interpreter's arms for the sequences `barewasm prepare` fuses ([`binary::fused`]) and its hot helpers inlined everywhere. Without it a fused sequence runs as its instructions one by one (same results, same fuel): on a Cortex-M4, 4.7 KB less flash at `opt-level = "z"` (1.3 KB at `"s"`); unprepared modules execute as many instructions (0.99x), prepared ones 1.37x, as many as unprepared |
//! | `messages` | on | [`Error`]'s `Display` in words (the spec suite's wording where there is one). Without it an error displays as its category and code, `invalid error 28 (at byte offset 0x1c)` ([`ErrorKind::code`]), and `barewasm explain 28` on the host gives the message back: 2.5 KB less flash at `"z"` for firmware that prints its errors. [`ErrorKind::message`] stays available either way |
//!
//! # Buffers
//!
//! | buffer  | holds                                                   | sized by          |
//! |---------|---------------------------------------------------------|-------------------|
//! | state   | type/function/global/segment index, side table          | [`Plan::state_bytes`] |
//! | scratch | operand and control stacks while validating (reusable afterwards) | [`Plan::scratch_bytes`] |
//!
//! ```
//! use barewasm::{AlignedBuffer, Limits, Module};
//! // (module (func (export "f") (result i32) i32.const 7))
//! static WASM: &[u8] = &[
//!     0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0,
//!     7, 5, 1, 1, 0x66, 0, 0, 10, 6, 1, 4, 0, 0x41, 7, 0x0b,
//! ];
//! let mut state = AlignedBuffer::<256>::new();
//! let mut scratch = AlignedBuffer::<{ 16 * 1024 + 8192 + 64 }>::new();
//! let (module, _rest) = Module::new(WASM, &mut state.0, &mut scratch.0, &Limits::DEFAULT).unwrap();
//! assert_eq!(module.counts().funcs, 1);
//! ```
#![no_std]
// `unsafe` is denied everywhere but `exec::unchecked`, which documents why it is there.
#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(test)]
extern crate std;

pub mod binary;
mod buffer;
mod error;
pub mod exec;
pub mod guide;
mod limits;
pub mod module;
pub mod plan;
pub mod validate;

pub use binary::types::{BlockType, ExternKind, FuncType, GlobalType, MemType, TableType, ValType};
pub use buffer::AlignedBuffer;
pub use error::{BufferKind, Category, Error, ErrorKind, Result};
pub use exec::host::{Host, NoHost, TypedFunc};
pub use exec::interp::Outcome;
pub use exec::stack::{Stack, BULK_STEP, UNLIMITED_FUEL};
pub use exec::store::{Extern, Instance, InstanceSlot, Memory, Store};
pub use exec::value::{FuncRef, Value};
pub use limits::Limits;
pub use module::Module;
pub use plan::Plan;
