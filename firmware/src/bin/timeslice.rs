//! Two guests share the core in turns, each given a slice of fuel per turn:
//!
//! - `spin` (`wat/spin.wat`) loops forever;
//! - the Rust guest (`guests/wasm/demo.wasm`) runs its `run` export, printing through
//!   `env.print`, whose "UART" is busy for one turn after each line: the host answers
//!   "not ready", the guest's turn ends early, and the firmware moves on (a suspending host
//!   call).
//!
//! The run passes when the Rust guest finishes with the checksum the host computes for it
//! (see `guests/README.md`) while the spinner is still paused mid-loop, having made
//! progress every turn. Exits 0 on success, 1 otherwise.
#![no_std]
#![no_main]

use barewasm::{
    Error, ErrorKind, Extern, ExternKind, FuncRef, FuncType, Host, InstanceSlot, Limits, Memory,
    Module, Stack, Store, Value,
};
use cortex_m_rt::entry;
use firmware::console::Console;
use firmware::{board, figures, harness, println};

static GUEST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/demo.wasm"));
static SPIN: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/spin.wasm"));

/// What the Rust guest's `run` returns (`barewasm run guests/wasm/demo.wasm --invoke run`).
const GUEST_CHECKSUM: i32 = -405_716_371;
/// Fuel per turn: taken branches and calls a guest may make before the other gets the
/// core (the Rust guest's `run` takes 78,400, so about 80 turns).
const SLICE: u64 = 1_000;

const LIMITS: Limits = Limits {
    max_nesting: 64,
    max_function_slots: 512,
    value_stack_slots: 256,
    max_call_depth: 48,
};

/// `env.print`, with a UART that stays busy for one turn after each line.
struct Uart {
    turn: u32,
    busy_until: u32,
    lines: u32,
    not_ready: u32,
}

impl Host for Uart {
    fn call(
        &mut self,
        _: u32,
        args: &[u64],
        _: &mut [u64],
        memory: Option<&mut Memory<'_>>,
    ) -> Result<(), Error> {
        let (&[ptr, len], Some(memory)) = (args, memory) else {
            return Err(Error::new(ErrorKind::HostTrap, 0));
        };
        let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
        let text = memory
            .data()
            .get(ptr..ptr.saturating_add(len))
            .ok_or(Error::new(ErrorKind::MemoryOutOfBounds, 0))?;
        let mut console = Console::new();
        console.write_bytes(b"  guest: ");
        console.write_bytes(text);
        self.lines += 1;
        self.busy_until = self.turn + 1;
        Ok(())
    }

    fn ready(&mut self, _: u32, _: &[u64]) -> bool {
        let ready = self.turn >= self.busy_until;
        if !ready {
            self.not_ready += 1;
        }
        ready
    }
}

fn export(store: &Store<'_, '_>, inst: barewasm::Instance, name: &str) -> Result<FuncRef, Error> {
    match store.export(inst, name) {
        Some(Extern::Func(f)) => Ok(f),
        _ => Err(Error::new(ErrorKind::UnknownFunction, 0)),
    }
}

/// Whether a guest's turn ended by pausing (fuel or a host call not ready) rather than by
/// finishing or trapping.
fn paused(r: &Result<(), Error>) -> bool {
    matches!(r, Err(e) if e.category() == barewasm::Category::Suspended)
}

fn run() -> Result<bool, Error> {
    let pool = harness::take_pool().ok_or(Error::new(ErrorKind::HostTrap, 0))?;
    // Carve the pool: both modules' state, validation scratch, the store's arena, two
    // wasm stacks, and the Rust guest's 64 KiB linear memory.
    // (80 KiB in all; the Rust guest needs 2024 B of state, the spinner under 200.)
    let (state, rest) = pool.split_at_mut(2560);
    let (scratch, rest) = rest.split_at_mut(2048);
    let (arena, rest) = rest.split_at_mut(512);
    let (guest_stack, rest) = rest.split_at_mut(Stack::bytes_for(&LIMITS));
    let (spin_stack, rest) = rest.split_at_mut(Stack::bytes_for(&LIMITS));
    let (memory, _) = rest.split_at_mut(65536);

    let (guest, state) = Module::new(GUEST, state, scratch, &LIMITS)?;
    let (spin, _) = Module::new(SPIN, state, scratch, &LIMITS)?;
    let mut slots = [InstanceSlot::EMPTY, InstanceSlot::EMPTY];
    let mut store = Store::new(&mut slots, arena);
    const I32: u8 = barewasm::ValType::I32 as u8;
    let g = store.instantiate(&guest, Some(memory), &mut |m, name, kind| {
        (m == "env" && name == "print" && kind == ExternKind::Func).then_some(Extern::HostFunc(
            0,
            FuncType {
                params: &[I32, I32],
                results: &[],
            },
        ))
    })?;
    let s = store.instantiate(&spin, None, &mut |_, _, _| None)?;
    let (guest_run, spin_f) = (export(&store, g, "run")?, export(&store, s, "spin")?);
    let Some(Extern::Global(count)) = store.export(s, "count") else {
        return Err(Error::new(ErrorKind::UnknownGlobal, 0));
    };

    let mut guest_stack = Stack::new(guest_stack, &LIMITS)?;
    let mut spin_stack = Stack::new(spin_stack, &LIMITS)?;
    let mut uart = Uart {
        turn: 0,
        busy_until: 0,
        lines: 0,
        not_ready: 0,
    };
    guest_stack.set_fuel(SLICE);
    let mut guest_r = store.call_with_host(&mut guest_stack, guest_run, &[], &mut uart);
    spin_stack.set_fuel(SLICE);
    let mut spin_r = store.call_with_host(&mut spin_stack, spin_f, &[], &mut uart);
    let mut turns = 1;
    let mut last_count = 0;
    let mut spinner_stalled = false;
    while paused(&guest_r) {
        if !paused(&spin_r) {
            println!("timeslice: the spinner stopped: {:?}", spin_r);
            return Ok(false);
        }
        let Some(Value::I64(n)) = store.global_value(count) else {
            return Err(Error::new(ErrorKind::UnknownGlobal, 0));
        };
        spinner_stalled |= n <= last_count;
        last_count = n;
        uart.turn += 1;
        turns += 1;
        guest_stack.set_fuel(SLICE);
        guest_r = store.resume_with_host(&mut guest_stack, &mut uart);
        spin_stack.set_fuel(SLICE);
        spin_r = store.resume_with_host(&mut spin_stack, &mut uart);
    }
    guest_r?;
    let result = guest_stack.results().first().map(|&b| b as u32 as i32);
    println!(
        "timeslice: {turns} turns of {SLICE} fuel; the Rust guest returned {result:?} after \
         {} lines, waiting {} times for the UART; the spinner counted to {last_count} and is \
         still {}",
        uart.lines,
        uart.not_ready,
        if paused(&spin_r) {
            "paused"
        } else {
            "NOT paused"
        }
    );
    println!(
        "native stack: {} of {} bytes",
        figures::native_stack_high_water(),
        figures::native_stack_size()
    );
    // The spinner's loop takes one branch per count, so each of its full turns adds
    // exactly SLICE; the first also ran the count before the branch that paused it.
    // `last_count` was read after `turns - 1` turns.
    let spin_expected = (turns as i64 - 1) * SLICE as i64 + 1;
    Ok(result == Some(GUEST_CHECKSUM)
        && paused(&spin_r)
        && !spinner_stalled
        && last_count == spin_expected
        && uart.lines == 11
        && uart.not_ready > 0)
}

#[entry]
fn main() -> ! {
    board::init();
    match run() {
        Ok(true) => {
            println!("timeslice: passed");
            board::exit(board::EXIT_OK)
        }
        Ok(false) => board::fail("timeslice: a check failed"),
        Err(e) => {
            println!("timeslice: {e}");
            board::exit(board::EXIT_FAILED)
        }
    }
}
