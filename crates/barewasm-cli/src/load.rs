//! Loading modules from files, and validating them with host buffers grown to fit.
//!
//! The runtime never allocates: when a buffer is too small it says exactly how many bytes
//! it needs. The CLI starts with modest buffers and grows them to those figures, so the
//! sizes it ends with are the ones firmware must provide.

use std::path::Path;

use barewasm::module::Counts;
use barewasm::{BufferKind, Error, ErrorKind, Limits, Module, Plan};

/// The runtime carves `u64` tables out of its buffers; [`barewasm::AlignedBuffer`] is
/// aligned to this, and so are the CLI's buffers, so the figures match firmware's.
const ALIGN: usize = 8;
/// Starting size of each buffer: enough for small modules under the default limits' scratch.
const INITIAL_BYTES: usize = 64 * 1024;
/// Largest buffer the CLI allocates. Far above any microcontroller's RAM; it stops huge
/// limits (scratch grows with `--max-nesting`) from exhausting the host.
pub const MAX_BUFFER_BYTES: usize = 1 << 30;
/// State may need two growths (index tables, then side table) and scratch one; more
/// than this means the runtime's figures do not converge.
const MAX_ATTEMPTS: usize = 8;

/// Reads a module: `.wat`/`.wast` text (by extension, or text without the `\0asm` magic)
/// is converted to binary; anything else is returned as is, for the runtime to judge.
pub fn load_module_bytes(path: impl AsRef<Path>) -> Result<Vec<u8>, String> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read file: {e}"))?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let text = match ext.as_deref() {
        Some("wat" | "wast") => true,
        Some("wasm") => false,
        // Unknown extension: readable text without the magic is taken as text format;
        // other bytes go to the runtime, which reports them as malformed.
        _ => !bytes.starts_with(b"\0asm") && is_text(&bytes),
    };
    if !text {
        return Ok(bytes);
    }
    wat::parse_bytes(&bytes)
        .map(|b| b.into_owned())
        .map_err(|mut e| {
            e.set_path(path);
            format!("cannot parse text format: {e}")
        })
}

fn is_text(bytes: &[u8]) -> bool {
    std::str::from_utf8(bytes).is_ok_and(|s| !s.contains('\0'))
}

/// What validation found, owned (a [`Module`] borrows the buffers, which stay here).
#[derive(Clone, Copy, Debug)]
pub struct Validated {
    /// The memory plan under the limits used.
    pub plan: Plan,
    /// How many of each entity the module has.
    pub counts: Counts,
}

/// Decodes and validates `bytes` under `limits`, growing the buffers as the runtime asks.
pub fn validate_bytes(bytes: &[u8], limits: &Limits) -> Result<Validated, Error> {
    Buffers::new().validate(bytes, limits)
}

/// A host buffer of `len` bytes starting at an 8-byte boundary inside a `Vec`.
#[derive(Debug)]
struct HostBuffer {
    bytes: Vec<u8>,
    len: usize,
}

impl HostBuffer {
    fn new() -> Self {
        HostBuffer {
            bytes: vec![0; INITIAL_BYTES + ALIGN - 1],
            len: INITIAL_BYTES,
        }
    }

    fn as_mut(&mut self) -> &mut [u8] {
        // `align_offset` may decline (usize::MAX); the runtime then skips the misaligned
        // head itself and only the reported figures grow by a few bytes.
        let off = match self.bytes.as_ptr().align_offset(ALIGN) {
            off if off < ALIGN => off,
            _ => 0,
        };
        &mut self.bytes[off..off + self.len]
    }

    /// Grows to `needed` bytes. False if that is no growth (the runtime's figure would not
    /// help), above [`MAX_BUFFER_BYTES`] or the allocation fails: the caller then reports
    /// the runtime's error.
    fn grow(&mut self, needed: usize) -> bool {
        if needed <= self.len || needed > MAX_BUFFER_BYTES {
            return false;
        }
        let total = needed + ALIGN - 1;
        if self
            .bytes
            .try_reserve_exact(total - self.bytes.len())
            .is_err()
        {
            return false;
        }
        self.bytes.resize(total, 0);
        self.len = needed;
        true
    }
}

/// The state and scratch buffers one module is validated with, grown on demand and
/// reusable for the next module.
#[derive(Debug)]
pub struct Buffers {
    state: HostBuffer,
    scratch: HostBuffer,
}

impl Default for Buffers {
    fn default() -> Self {
        Self::new()
    }
}

impl Buffers {
    /// Buffers of a modest starting size.
    pub fn new() -> Self {
        Buffers {
            state: HostBuffer::new(),
            scratch: HostBuffer::new(),
        }
    }

    /// Current state-buffer size in bytes.
    pub fn state_len(&self) -> usize {
        self.state.len
    }

    /// Current scratch-buffer size in bytes.
    pub fn scratch_len(&self) -> usize {
        self.scratch.len
    }

    /// Validates `bytes`, growing the buffers until they suffice; returns the plan.
    pub fn validate(&mut self, bytes: &[u8], limits: &Limits) -> Result<Validated, Error> {
        let mut attempts = 0;
        loop {
            let err = match Module::new(bytes, self.state.as_mut(), self.scratch.as_mut(), limits) {
                Ok((module, _)) => {
                    return Ok(Validated {
                        plan: Plan::new(&module, limits),
                        counts: *module.counts(),
                    })
                }
                Err(e) => e,
            };
            attempts += 1;
            if attempts >= MAX_ATTEMPTS || !self.grow_for(&err) {
                return Err(err);
            }
        }
    }

    /// Validates `bytes` and returns the module itself, borrowing these buffers, with the
    /// unused tail of the state buffer (for instances).
    pub fn module<'w, 's>(
        &'s mut self,
        bytes: &'w [u8],
        limits: &Limits,
    ) -> Result<(Module<'w, 's>, &'s mut [u8]), Error> {
        // The borrow checker cannot return a borrowed module from inside the retry loop
        // (it needs the buffers mutable after a failed attempt), so size first, then build.
        self.validate(bytes, limits)?;
        Module::new(bytes, self.state.as_mut(), self.scratch.as_mut(), limits)
    }

    /// Grows the buffer `err` says is too small; false if `err` is not about that.
    fn grow_for(&mut self, err: &Error) -> bool {
        match err.kind() {
            ErrorKind::BufferTooSmall { which, needed, .. } => match which {
                BufferKind::State => self.state.grow(needed as usize),
                BufferKind::Scratch => self.scratch.grow(needed as usize),
                _ => false,
            },
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_aligned_after_growth() {
        let mut b = HostBuffer::new();
        assert!(b.grow(INITIAL_BYTES * 3 + 5));
        let s = b.as_mut();
        assert_eq!(s.len(), INITIAL_BYTES * 3 + 5);
        assert_eq!(s.as_ptr() as usize % ALIGN, 0);
        assert!(!b.grow(10), "shrinking is not growth");
    }

    #[test]
    fn grows_past_the_initial_state_buffer() {
        // Many functions with branches need more state than the initial 64 KiB.
        let mut wat = String::from("(module");
        for _ in 0..2000 {
            wat.push_str(" (func (block br 0) (block br 0) (block br 0) (block br 0))");
        }
        wat.push(')');
        let bytes = wat::parse_str(&wat).expect("test module parses");
        let mut buffers = Buffers::new();
        let v = buffers
            .validate(&bytes, &Limits::DEFAULT)
            .expect("validates");
        assert_eq!(v.plan.side_table_entries, 8000);
        assert!(buffers.state_len() > INITIAL_BYTES);
        assert_eq!(buffers.state_len(), v.plan.module_state_bytes);
        let (module, _) = buffers.module(&bytes, &Limits::DEFAULT).expect("validates");
        assert_eq!(module.counts().funcs, 2000);
    }
}
