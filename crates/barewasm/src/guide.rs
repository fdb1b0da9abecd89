//! # The embedding guide
//!
//! How firmware runs WebAssembly with barewasm, from sizing buffers to sharing the core
//! between guests. Every example here is compiled and run as a test (`cargo test --doc`).
//! The complete firmware images that run under QEMU are in `firmware/src/bin/`
//! (`minimal.rs` is the smallest, `timeslice.rs` shows fuel and suspending host calls).
//!
//! 1. [Sizing buffers with the memory plan](#1-sizing-buffers-with-the-memory-plan)
//! 2. [Host functions](#2-host-functions)
//! 3. [Calling exports: typed and untyped](#3-calling-exports-typed-and-untyped)
//! 4. [Fuel, pausing and resuming](#4-fuel-pausing-and-resuming)
//! 5. [Errors and what to do with each](#5-errors-and-what-to-do-with-each)
//! 6. [A complete firmware example](#6-a-complete-firmware-example)
//!
//! ## 1. Sizing buffers with the memory plan
//!
//! barewasm never allocates. It works in five buffers the firmware hands over:
//!
//! | buffer | holds | how big |
//! |---|---|---|
//! | state | the module's index tables and side table; the rest of it can be the store's arena (globals, tables, import maps) | [`Plan::state_bytes`](crate::Plan::state_bytes) |
//! | scratch | the validator's stacks, only while [`Module::new`](crate::Module::new) runs | [`Plan::scratch_bytes`](crate::Plan::scratch_bytes) |
//! | stack | wasm values and call frames (8 B per slot, 16 B per active call) | [`Stack::bytes_for`](crate::Stack::bytes_for) |
//! | memory | the linear memory; `memory.grow` stops at the buffer's end | [`Plan::memory_min_bytes`](crate::Plan::memory_min_bytes) and up |
//! | slots | one [`InstanceSlot`](crate::InstanceSlot) per instance (and per host-defined global, table or memory) | a few words each |
//!
//! The figures depend on the module and on the [`Limits`](crate::Limits) chosen, so they
//! are known at build time: `barewasm plan guest.wasm` prints them, and the `static`
//! declarations to paste. On the device, [`Plan::new`](crate::Plan::new) computes the
//! same figures from the validated module, so firmware that loads modules at run time can
//! check them before instantiating. A buffer that is too small is never a panic: it is
//! [`ErrorKind::BufferTooSmall`](crate::ErrorKind::BufferTooSmall), which says which
//! buffer, how many bytes it needs and how many it got.
//!
//! ```
//! use barewasm::{validate, AlignedBuffer, Limits, Module, Plan};
//!
//! static GUEST: &[u8] = include_bytes!("../../../guests/wasm/demo.wasm"); // in flash
//!
//! // Tighter limits than the defaults: this guest nests blocks 31 deep and needs 19
//! // slots per function (`barewasm plan` reports both), and calls 25 deep.
//! const LIMITS: Limits = Limits {
//!     max_nesting: 32,
//!     max_function_slots: 64,
//!     value_stack_slots: 512,
//!     max_call_depth: 64,
//! };
//!
//! // Scratch can be sized before validating, from the section counts alone.
//! let counts = validate::counts(GUEST).unwrap();
//! assert!(validate::scratch_bytes(&counts, &LIMITS) <= 1024);
//!
//! let mut state = AlignedBuffer::<4096>::new();
//! let mut scratch = AlignedBuffer::<1024>::new();
//! let (module, arena) = Module::new(GUEST, &mut state.0, &mut scratch.0, &LIMITS).unwrap();
//! let plan = Plan::new(&module, &LIMITS);
//! assert_eq!(plan.state_bytes, plan.module_state_bytes + plan.instance_state_bytes);
//! assert!(arena.len() >= plan.instance_state_bytes, "the rest of STATE holds the instance");
//! assert_eq!(plan.memory_min_bytes, 65536);
//! assert_eq!(plan.stack_bytes, 512 * 8 + 64 * 16); // 8 B per slot, 16 B per call
//!
//! // Too small a buffer says so, with the figures.
//! let mut tiny = AlignedBuffer::<64>::new();
//! let e = Module::new(GUEST, &mut tiny.0, &mut scratch.0, &LIMITS).unwrap_err();
//! assert!(e.to_string().contains("needs"), "{e}");
//! ```
//!
//! **Prepared modules.** `barewasm prepare guest.wasm -o guest.prepared.wasm` stores the
//! side table in a custom section of the module itself, so it stays in flash: the state
//! buffer then holds no side table ([`Plan::side_table_prepared`](crate::Plan::side_table_prepared);
//! 4 bytes per branch target saved, 8 more for one that drops values). `Module::new`
//! still validates the code and checks every stored entry against the one it computes,
//! so a wrong or tampered table is rejected
//! ([`ErrorKind::BadSideTable`](crate::ErrorKind::BadSideTable)), never run; so is a
//! table in another format version (modules prepared before 4-byte entries: prepare them
//! again).
//! `prepare` also fuses frequent instruction sequences ([`binary::fused`](crate::binary::fused)):
//! about 30% fewer instructions executed on the Cortex-M4 on the bench workloads (the
//! table is tuned to them; other code gains less), and the module then runs only on
//! barewasm (`--no-fuse` keeps it standard). A module fused for an earlier version of the
//! table is rejected: prepare it again. Fusion changes no fuel: no fused sequence
//! branches.
//!
//! In firmware the buffers are `static`s, so they take no stack and the linker checks that
//! they fit in RAM. [`AlignedBuffer`](crate::AlignedBuffer) gives the 8-byte alignment the
//! runtime wants (a misaligned buffer works, minus the few bytes skipped to align it). To
//! get a `&'static mut` to a static without `unsafe`, take it once with
//! `cortex_m::singleton!` (or the `static_cell` crate).
//!
//! ## 2. Host functions
//!
//! Imports are resolved when instantiating: the resolver maps `(module, name, kind)` to an
//! [`Extern`](crate::Extern). A host function is [`Extern::HostFunc`](crate::Extern::HostFunc)
//! with an id of the firmware's choosing and its type, which is checked against the import.
//! When the guest calls it, execution returns to the firmware with that id.
//!
//! The simple way to answer is the [`Host`](crate::Host) trait: `call` gets the id, the
//! arguments as raw slots (read them per the declared types), room for the results, and
//! the calling instance's linear memory. Returning an error traps the guest.
//!
//! ```
//! use barewasm::{Error, ErrorKind, Extern, ExternKind, FuncType, Host, Memory, ValType};
//!
//! const PRINT: u32 = 0;
//! const I32: u8 = ValType::I32 as u8;
//!
//! /// `env.print(ptr, len)`: text from the guest's memory to a UART.
//! struct Console {
//!     written: usize,
//! }
//!
//! impl Host for Console {
//!     fn call(
//!         &mut self,
//!         id: u32,
//!         args: &[u64],
//!         _results: &mut [u64],
//!         memory: Option<&mut Memory<'_>>,
//!     ) -> Result<(), Error> {
//!         let trap = Error::new(ErrorKind::HostTrap, 0);
//!         let (PRINT, &[ptr, len], Some(memory)) = (id, args, memory) else {
//!             return Err(trap);
//!         };
//!         // Never trust the guest's pointers: `get` turns a bad range into a trap.
//!         let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
//!         let text = memory.data().get(ptr..ptr.saturating_add(len)).ok_or(trap)?;
//!         self.written += text.len(); // uart.write(text) on a device
//!         Ok(())
//!     }
//! }
//!
//! fn resolve(module: &str, name: &str, kind: ExternKind) -> Option<Extern<'static>> {
//!     match (module, name, kind) {
//!         ("env", "print", ExternKind::Func) => Some(Extern::HostFunc(
//!             PRINT,
//!             FuncType { params: &[I32, I32], results: &[] },
//!         )),
//!         _ => None, // instantiation fails with "unknown import"
//!     }
//! }
//! # let _ = (resolve, Console { written: 0 });
//! ```
//!
//! Underneath, every host call is a pause: [`Store::call`](crate::Store::call) returns
//! [`Outcome::HostCall`](crate::Outcome::HostCall), the arguments are in
//! [`Stack::host_args`](crate::Stack::host_args), and [`Store::resume`](crate::Store::resume)
//! continues with the results (or [`Store::resume_trap`](crate::Store::resume_trap) ends
//! the call with a trap). Firmware can drive that loop itself when it wants full control;
//! the `Host` trait is a loop over it.
//!
//! ## 3. Calling exports: typed and untyped
//!
//! [`Store::typed`](crate::Store::typed) checks an export's type once and gives a
//! [`TypedFunc`](crate::TypedFunc) whose calls take and return Rust values:
//! `i32`, `u32`, `i64`, `u64`, `f32`, `f64`, `()` and tuples of up to four.
//! [`Store::invoke`](crate::Store::invoke) takes [`Value`](crate::Value)s for types known
//! only at run time.
//!
//! ```
//! use barewasm::{AlignedBuffer, Extern, InstanceSlot, Limits, Module, NoHost, Stack, Store, Value};
//!
//! // (module
//! //   (func (export "add") (param i32 i32) (result i32)
//! //     (i32.add (local.get 0) (local.get 1))))
//! static WASM: &[u8] = &[
//!     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f,
//!     0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64,
//!     0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
//! ];
//! const LIMITS: Limits = Limits {
//!     max_nesting: 8,
//!     max_function_slots: 16,
//!     value_stack_slots: 64,
//!     max_call_depth: 8,
//! };
//! let (mut state, mut scratch) = (AlignedBuffer::<512>::new(), AlignedBuffer::<256>::new());
//! let mut stack_buf = AlignedBuffer::<{ 64 * 8 + 8 * 16 }>::new();
//! let (module, arena) = Module::new(WASM, &mut state.0, &mut scratch.0, &LIMITS).unwrap();
//! let mut slots = [InstanceSlot::EMPTY];
//! let mut store = Store::new(&mut slots, arena);
//! let inst = store.instantiate(&module, None, &mut |_, _, _| None).unwrap();
//! let mut stack = Stack::new(&mut stack_buf.0, &LIMITS).unwrap();
//! let Some(Extern::Func(add)) = store.export(inst, "add") else { panic!() };
//!
//! // Typed: checked once, then plain Rust values.
//! let typed = store.typed::<(i32, i32), i32>(add).unwrap();
//! assert_eq!(typed.call(&mut store, &mut stack, &mut NoHost, (2, 40)), Ok(42));
//! // A wrong signature is refused up front.
//! assert!(store.typed::<i64, i32>(add).is_err());
//!
//! // Untyped: values checked against the type on each call.
//! let mut results = [Value::I32(0)];
//! let n = store
//!     .invoke(&mut stack, add, &[Value::I32(-1), Value::I32(1)], &mut results, &mut NoHost)
//!     .unwrap();
//! assert_eq!(&results[..n], &[Value::I32(0)]);
//! ```
//!
//! ## 4. Fuel, pausing and resuming
//!
//! A guest must not keep the core forever. Each [`Stack`](crate::Stack) carries a fuel
//! budget ([`Stack::set_fuel`](crate::Stack::set_fuel), unlimited by default), charged
//! where every long run must pass: one unit per taken branch and per call of a wasm
//! function, and for bulk instructions (`memory.fill`, `memory.copy`, ...) one unit per
//! [`BULK_STEP`](crate::BULK_STEP) bytes or elements after the first step. Straight-line
//! code costs nothing, so one unit stands for at most one function body's run without a
//! branch. When the budget runs out, execution stops right after the branch or call that
//! found none and the call returns
//! [`ErrorKind::OutOfFuel`](crate::ErrorKind::OutOfFuel); nothing is lost. Give the stack
//! more fuel and [`Store::resume_with_host`](crate::Store::resume_with_host) charges the
//! refused unit and continues exactly there. The slicing never changes results or the total fuel a call consumes
//! (the whole spec suite is tested in slices of 1, 7 and 1000).
//!
//! A host function that cannot answer yet (a UART still busy, a sensor not sampled)
//! returns `false` from [`Host::ready`](crate::Host::ready): the call pauses with
//! [`ErrorKind::HostCallPending`](crate::ErrorKind::HostCallPending), the firmware does
//! other work, and `resume_with_host` asks again later. Both pauses are
//! [`Category::Suspended`](crate::Category::Suspended).
//!
//! Several guests share the core by taking turns, each on its own stack, in one store:
//!
//! ```
//! use barewasm::{
//!     AlignedBuffer, Category, Extern, InstanceSlot, Limits, Module, NoHost, Stack, Store,
//! };
//!
//! // (module
//! //   (func (export "spin") (loop $l (br $l)))
//! //   (func (export "count") (param i32) (result i32) (local i32)
//! //     (loop $l
//! //       (local.set 1 (i32.add (local.get 1) (i32.const 1)))
//! //       (br_if $l (i32.lt_u (local.get 1) (local.get 0))))
//! //     (local.get 1)))
//! static WASM: &[u8] = &[
//!     0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60, 0x00, 0x00,
//!     0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x03, 0x02, 0x00, 0x01, 0x07, 0x10, 0x02, 0x04,
//!     0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, 0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x00, 0x01,
//!     0x0a, 0x21, 0x02, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x17, 0x01, 0x01,
//!     0x7f, 0x03, 0x40, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, 0x20, 0x01, 0x20, 0x00,
//!     0x49, 0x0d, 0x00, 0x0b, 0x20, 0x01, 0x0b,
//! ];
//! const LIMITS: Limits = Limits {
//!     max_nesting: 8,
//!     max_function_slots: 16,
//!     value_stack_slots: 32,
//!     max_call_depth: 4,
//! };
//! const SLICE: u64 = 500;
//! let (mut state, mut scratch) = (AlignedBuffer::<512>::new(), AlignedBuffer::<256>::new());
//! let (module, arena) = Module::new(WASM, &mut state.0, &mut scratch.0, &LIMITS).unwrap();
//! let mut slots = [InstanceSlot::EMPTY, InstanceSlot::EMPTY];
//! let mut store = Store::new(&mut slots, arena);
//! let a = store.instantiate(&module, None, &mut |_, _, _| None).unwrap();
//! let b = store.instantiate(&module, None, &mut |_, _, _| None).unwrap();
//! let (Some(Extern::Func(spin)), Some(Extern::Func(count))) =
//!     (store.export(a, "spin"), store.export(b, "count"))
//! else {
//!     panic!()
//! };
//! let (mut buf_a, mut buf_b) = (AlignedBuffer::<512>::new(), AlignedBuffer::<512>::new());
//! let mut stack_a = Stack::new(&mut buf_a.0, &LIMITS).unwrap();
//! let mut stack_b = Stack::new(&mut buf_b.0, &LIMITS).unwrap();
//!
//! let paused = |r: &Result<(), barewasm::Error>| {
//!     matches!(r, Err(e) if e.category() == Category::Suspended)
//! };
//! stack_a.set_fuel(SLICE);
//! let mut ra = store.call_with_host(&mut stack_a, spin, &[], &mut NoHost);
//! stack_b.set_fuel(SLICE);
//! let mut rb = store.call_with_host(&mut stack_b, count, &[10_000], &mut NoHost);
//! while paused(&rb) {
//!     assert!(paused(&ra)); // the endless loop only ever pauses
//!     stack_a.set_fuel(SLICE);
//!     ra = store.resume_with_host(&mut stack_a, &mut NoHost);
//!     stack_b.set_fuel(SLICE);
//!     rb = store.resume_with_host(&mut stack_b, &mut NoHost);
//! }
//! assert_eq!(rb, Ok(()));
//! assert_eq!(stack_b.results(), &[10_000]);
//! assert!(stack_a.is_paused()); // still spinning, whenever it gets another turn
//! ```
//!
//! Below the convenience layer, [`Store::call`](crate::Store::call) returns
//! [`Outcome::OutOfFuel`](crate::Outcome::OutOfFuel) and
//! [`Store::continue_call`](crate::Store::continue_call) resumes it. Resuming a stack that
//! is not paused is [`ErrorKind::NotResumable`](crate::ErrorKind::NotResumable), never
//! undefined behaviour.
//!
//! ## 5. Errors and what to do with each
//!
//! Everything that can go wrong is an [`Error`](crate::Error): a small `Copy` value with
//! an [`ErrorKind`](crate::ErrorKind), a message (`Display`) and the byte offset in the
//! module where it applies. Its [`Category`](crate::Category) says what to do:
//!
//! | category | when | what firmware does |
//! |---|---|---|
//! | `Malformed` | [`Module::new`](crate::Module::new): the bytes are not a wasm binary (truncated, corrupted download) | reject the module; the offset shows where it breaks |
//! | `Invalid` | `Module::new`: the module breaks a validation rule, or exceeds a [`Limits`](crate::Limits) bound (too deep, too big) | reject it; for a limit, raise the limit if RAM allows |
//! | `Buffer` | any step: a buffer is too small (`needs N bytes, got M`) | size it from the [memory plan](#1-sizing-buffers-with-the-memory-plan) |
//! | `Unlinkable` | `instantiate`: an import is missing or has the wrong type | offer the import, or reject the module |
//! | `Trap` | a call: the guest divided by zero, accessed memory out of bounds, hit `unreachable`, or a host function returned an error | the call is over; the instance stays usable for other calls |
//! | `Exhausted` | a call: the wasm call stack or value stack is full | the call is over; give a bigger stack or fix the guest's recursion |
//! | `Suspended` | a call: out of fuel, or a host function not ready | not an error: resume when there is time or the host is ready |
//! | `Usage` | resuming a stack that is not paused | a firmware bug |
//! | `Internal` | any step: a check of the runtime's own bookkeeping failed | a barewasm bug: report it with the module (nothing outside the host's buffers was touched) |
//!
//! Traps never touch memory outside the buffers the firmware gave, and never leave the
//! store inconsistent: after a trap the stack is idle and can run the next call.
//!
//! ## 6. A complete firmware example
//!
//! The whole path on a device, written as the body of `main` in a `#![no_std]`,
//! `#![no_main]` image (with `cortex-m-rt`'s `#[entry]`). Only the UART is left to the
//! board. It runs here as a test; `firmware/src/bin/minimal.rs` is the same shape built for
//! Cortex-M4 and Cortex-M0 in CI.
//!
//! ```
//! use barewasm::{
//!     AlignedBuffer, Error, ErrorKind, Extern, ExternKind, FuncType, Host, InstanceSlot,
//!     Limits, Memory, Module, Stack, Store, ValType,
//! };
//!
//! /// The module, linked into flash and executed there.
//! static GUEST: &[u8] = include_bytes!("../../../guests/wasm/demo.wasm");
//!
//! /// From `barewasm plan` (max nesting 31, 19 slots per function, 25 calls deep).
//! const LIMITS: Limits = Limits {
//!     max_nesting: 32,
//!     max_function_slots: 64,
//!     value_stack_slots: 256,
//!     max_call_depth: 48,
//! };
//! const STATE_BYTES: usize = 2304; // plan: 2200
//! const STACK_BYTES: usize = 256 * 8 + 48 * 16;
//! const MEMORY_BYTES: usize = 65536; // the guest's one page, its declared maximum too
//!
//! /// The board's UART (on a device: a peripheral register).
//! struct Uart<'a>(&'a mut dyn FnMut(&[u8]));
//!
//! impl Host for Uart<'_> {
//!     fn call(&mut self, _: u32, args: &[u64], _: &mut [u64], memory: Option<&mut Memory<'_>>)
//!         -> Result<(), Error>
//!     {
//!         let trap = Error::new(ErrorKind::HostTrap, 0);
//!         let (&[ptr, len], Some(memory)) = (args, memory) else { return Err(trap) };
//!         let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
//!         (self.0)(memory.data().get(ptr..ptr.saturating_add(len)).ok_or(trap)?);
//!         Ok(())
//!     }
//! }
//!
//! /// Statics on a device (taken once with `cortex_m::singleton!`); locals here.
//! struct Buffers {
//!     state: AlignedBuffer<STATE_BYTES>,
//!     stack: AlignedBuffer<STACK_BYTES>, // also lent to validation as scratch
//!     memory: AlignedBuffer<MEMORY_BYTES>,
//! }
//!
//! fn run_guest(bufs: &mut Buffers, uart: &mut dyn FnMut(&[u8])) -> Result<i32, Error> {
//!     // Validate in place. Scratch is only needed during this call, so the stack buffer
//!     // lends it its bytes.
//!     let (module, arena) = Module::new(GUEST, &mut bufs.state.0, &mut bufs.stack.0, &LIMITS)?;
//!     let mut slots = [InstanceSlot::EMPTY];
//!     let mut store = Store::new(&mut slots, arena);
//!     const I32: u8 = ValType::I32 as u8;
//!     let print = FuncType { params: &[I32, I32], results: &[] };
//!     let inst = store.instantiate(&module, Some(&mut bufs.memory.0), &mut |m, n, k| {
//!         (m == "env" && n == "print" && k == ExternKind::Func)
//!             .then_some(Extern::HostFunc(0, print))
//!     })?;
//!     let mut stack = Stack::new(&mut bufs.stack.0, &LIMITS)?;
//!     let mut host = Uart(uart);
//!     if let Some(start) = store.start(inst) {
//!         store.call_with_host(&mut stack, start, &[], &mut host)?;
//!     }
//!     let Some(Extern::Func(run)) = store.export(inst, "run") else {
//!         return Err(Error::new(ErrorKind::UnknownFunction, 0));
//!     };
//!     // Bound the run: a million taken branches and calls per slice; between slices,
//!     // the firmware would feed its watchdog and serve interrupts.
//!     let typed = store.typed::<(), i32>(run)?;
//!     stack.set_fuel(1_000_000);
//!     let mut result = typed.call(&mut store, &mut stack, &mut host, ());
//!     while matches!(result, Err(e) if e.kind() == ErrorKind::OutOfFuel) {
//!         // watchdog.feed();
//!         stack.set_fuel(1_000_000);
//!         result = typed.resume(&mut store, &mut stack, &mut host);
//!     }
//!     result
//! }
//!
//! // fn main() -> ! under #[entry]:
//! let mut bufs = Buffers {
//!     state: AlignedBuffer::new(),
//!     stack: AlignedBuffer::new(),
//!     memory: AlignedBuffer::new(),
//! };
//! let mut lines = 0;
//! let mut uart = |text: &[u8]| lines += text.iter().filter(|&&b| b == b'\n').count();
//! match run_guest(&mut bufs, &mut uart) {
//!     Ok(checksum) => assert_eq!(checksum, -405_716_371),
//!     Err(e) => panic!("guest failed: {e}"), // on a device: log it, carry on
//! }
//! assert_eq!(lines, 11);
//! ```
