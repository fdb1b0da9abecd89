//! Running one wasm module out of the RAM pool, and what it used.
//!
//! The pool is carved per module, front to back:
//!
//! ```text
//! | module state (index tables, side table) | instance arena | wasm stack | linear memory ... |
//!                                            ^ validation scratch lives here first
//! ```
//!
//! Validation scratch is only needed while `Module::new` runs, so it is lent the bytes that
//! later hold the arena, the wasm stack and linear memory.

use core::cell::Cell;

use barewasm::exec::host::{WasmParams, WasmResults};
use barewasm::{
    AlignedBuffer, BufferKind, Error, ErrorKind, Extern, ExternKind, Host, Instance, InstanceSlot,
    Limits, Module, Plan, Stack, Store,
};
use cortex_m::interrupt::{self, Mutex};

use crate::figures::{self, WasmStackUse};

/// Bytes of the RAM pool: all of the 80 KiB of statics the linker script allows, less
/// what the rest of the firmware keeps in statics.
pub const POOL_BYTES: usize = 79 * 1024;

static mut POOL: AlignedBuffer<POOL_BYTES> = AlignedBuffer::new();
static POOL_TAKEN: Mutex<Cell<bool>> = Mutex::new(Cell::new(false));

/// The RAM pool, once (`None` after the first call).
pub fn take_pool() -> Option<&'static mut [u8]> {
    let first = interrupt::free(|cs| !POOL_TAKEN.borrow(cs).replace(true));
    if !first {
        return None;
    }
    // SAFETY: `POOL_TAKEN` makes this branch run at most once, so this is the only
    // reference to `POOL` ever created; nothing else names the static.
    let pool: *mut AlignedBuffer<POOL_BYTES> = &raw mut POOL;
    Some(unsafe { &mut (*pool).0 })
}

/// The checksum the `env.checksum` host function computes (FNV-style, from zero) over
/// the bytes a guest passes; the `hello` program's expected value comes from it too.
pub fn checksum(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0u32, |h, &b| (h ^ b as u32).wrapping_mul(16_777_619))
}

/// Bytes used of each kind while one module ran.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    /// Module state: index tables and side table.
    pub module_state: usize,
    /// Instance state in the store's arena: globals, tables, import map, segment flags.
    pub instance_state: usize,
    /// Validation scratch (lent, then reused for the stack and memory).
    pub scratch: usize,
    /// Wasm stack buffer (value slots and call frames, per the limits).
    pub stack_buffer: usize,
    /// High-water marks within it.
    pub stack: WasmStackUse,
    /// Linear memory: current size in bytes at the end.
    pub memory: usize,
    /// Linear memory buffer handed to the store (growth room included).
    pub memory_buffer: usize,
    /// Native stack high-water mark over the whole run (validation included).
    pub native_stack: usize,
}

impl Usage {
    /// RAM from the pool this module took: state, arena, stack buffer and memory buffer.
    pub fn pool_bytes(&self) -> usize {
        self.module_state + self.instance_state + self.stack_buffer + self.memory_buffer
    }
}

/// A module instantiated and started, ready for calls.
pub struct Run<'a> {
    /// The store holding the one instance.
    pub store: Store<'a, 'static>,
    /// The instance.
    pub inst: Instance,
    /// The wasm stack calls run on.
    pub stack: Stack<'a>,
}

/// How to set a module up.
pub struct Setup<'r> {
    /// The module, in flash.
    pub wasm: &'static [u8],
    /// Validation and execution limits.
    pub limits: Limits,
    /// Linear memory beyond the declared minimum, for `memory.grow` (capped by the declared
    /// maximum and by the pool).
    pub memory_room: usize,
    /// Resolves imports.
    pub resolve: &'r mut dyn FnMut(&str, &str, ExternKind) -> Option<Extern<'static>>,
}

const fn round8(n: usize) -> usize {
    (n + 7) & !7
}

/// Validates, instantiates and starts `setup.wasm` in `pool`, then hands it to `body`.
/// Returns what `body` returned and what the module used.
pub fn run_module<H: Host, R>(
    pool: &mut [u8],
    setup: Setup<'_>,
    host: &mut H,
    body: impl FnOnce(&mut Run<'_>, &mut H) -> R,
) -> Result<(R, Usage), Error> {
    figures::repaint_native_stack();
    let limits = setup.limits;
    let counts = barewasm::validate::counts(setup.wasm)?;
    let scratch = round8(barewasm::validate::scratch_bytes(&counts, &limits));
    let pool_len = pool.len();
    if scratch > pool_len {
        return Err(Error::buffer(BufferKind::Scratch, scratch, pool_len));
    }
    let (state_region, tail) = pool.split_at_mut(pool_len - scratch);
    let (module, rest) = Module::new(setup.wasm, state_region, tail, &limits)?;
    let plan = Plan::new(&module, &limits);

    // The arena goes into the scratch bytes if it fits there, else after the state.
    let arena_bytes = round8(plan.instance_state_bytes).max(8);
    let (arena, rest): (&mut [u8], &mut [u8]) = if arena_bytes <= tail.len() {
        (&mut tail[..arena_bytes], rest)
    } else if arena_bytes <= rest.len() {
        let (a, r) = rest.split_at_mut(arena_bytes);
        (a, r)
    } else {
        return Err(Error::buffer(
            BufferKind::State,
            module.state_bytes() + arena_bytes,
            pool_len,
        ));
    };
    let stack_bytes = Stack::bytes_for(&limits);
    if stack_bytes > rest.len() {
        return Err(Error::buffer(BufferKind::Stack, stack_bytes, rest.len()));
    }
    let (stack_buf, rest) = rest.split_at_mut(stack_bytes);
    let memory_buf = if plan.has_memory {
        let want = (plan.memory_min_bytes as usize).saturating_add(setup.memory_room);
        let want = plan
            .memory_max_bytes
            .map_or(want, |max| want.min(max as usize));
        let len = want.min(rest.len());
        Some(&mut rest[..len])
    } else {
        None
    };
    let memory_buffer = memory_buf.as_ref().map_or(0, |m| m.len());
    figures::paint_wasm_stack(stack_buf);

    let mut slots = [InstanceSlot::EMPTY];
    let (result, memory, instance_state) = {
        let mut store = Store::new(&mut slots, arena);
        let inst = store.instantiate(&module, memory_buf, setup.resolve)?;
        let mut stack = Stack::new(stack_buf, &limits)?;
        if let Some(start) = store.start(inst) {
            store.call_with_host(&mut stack, start, &[], host)?;
        }
        let mut run = Run { store, inst, stack };
        let result = body(&mut run, host);
        let memory = run.store.memory(run.inst).map_or(0, |m| m.data().len());
        (result, memory, run.store.arena_used())
    };
    let usage = Usage {
        module_state: module.state_bytes(),
        instance_state,
        scratch,
        stack_buffer: stack_bytes,
        stack: figures::wasm_stack_use(stack_buf, &limits),
        memory,
        memory_buffer,
        native_stack: figures::native_stack_high_water(),
    };
    Ok((result, usage))
}

impl Run<'_> {
    /// Calls export `name` with typed parameters and results.
    pub fn call<P: WasmParams, R: WasmResults>(
        &mut self,
        host: &mut impl Host,
        name: &str,
        params: P,
    ) -> Result<R, Error> {
        let Some(Extern::Func(f)) = self.store.export(self.inst, name) else {
            return Err(Error::new(ErrorKind::UnknownFunction, 0));
        };
        self.store
            .typed::<P, R>(f)?
            .call(&mut self.store, &mut self.stack, host, params)
    }
}

/// Counts checks and prints each failure.
#[derive(Debug, Default)]
pub struct Checks {
    /// Checks that held.
    pub passed: u32,
    /// Checks that did not.
    pub failed: u32,
}

impl Checks {
    /// Checks that `got` is `Ok(want)`.
    pub fn eq<T: PartialEq + core::fmt::Debug>(
        &mut self,
        what: &str,
        got: Result<T, Error>,
        want: T,
    ) {
        match got {
            Ok(v) if v == want => self.passed += 1,
            Ok(v) => self.fail(format_args!("{what}: got {v:?}, expected {want:?}")),
            Err(e) => self.fail(format_args!("{what}: {e}, expected {want:?}")),
        }
    }

    /// Checks that `got` is the trap `want`, and prints it as caught.
    pub fn trap<T: core::fmt::Debug>(
        &mut self,
        what: &str,
        got: Result<T, Error>,
        want: ErrorKind,
    ) {
        match got {
            Err(e) if e.kind() == want => {
                self.passed += 1;
                crate::println!("  {what}: trap caught: {e} ({})", e.category());
            }
            Err(e) => self.fail(format_args!("{what}: {e}, expected {want:?}")),
            Ok(v) => self.fail(format_args!("{what}: returned {v:?}, expected {want:?}")),
        }
    }

    /// Records a failure.
    pub fn fail(&mut self, why: core::fmt::Arguments<'_>) {
        self.failed += 1;
        crate::println!("  FAILED: {why}");
    }
}
