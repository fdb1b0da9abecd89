//! The smallest useful embedding: validate one module in place, instantiate it, answer its
//! host calls, check its result. Runtime flash = this image - `baseline` - the module's
//! bytes. Also the image built for Cortex-M0 (thumbv6m-none-eabi) to show the runtime
//! needs neither an FPU nor atomics.
#![no_std]
#![no_main]

use barewasm::{
    AlignedBuffer, Error, ErrorKind, Extern, ExternKind, FuncType, Host, InstanceSlot, Limits,
    Memory, Module, Stack, Store,
};
use cortex_m_rt::entry;
use firmware::console::Console;
use firmware::{board, harness, println};

static WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hello.wasm"));

const LIMITS: Limits = Limits {
    max_nesting: 16,
    max_function_slots: 64,
    value_stack_slots: 64,
    max_call_depth: 8,
};

/// `env.print` (0) and `env.checksum` (1).
struct MiniHost;

impl Host for MiniHost {
    fn call(
        &mut self,
        id: u32,
        args: &[u64],
        results: &mut [u64],
        memory: Option<&mut Memory<'_>>,
    ) -> Result<(), Error> {
        let trap = Error::new(ErrorKind::HostTrap, 0);
        let (&[ptr, len], Some(memory)) = (args, memory) else {
            return Err(trap);
        };
        let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
        let bytes = memory
            .data()
            .get(ptr..ptr.saturating_add(len))
            .ok_or(Error::new(ErrorKind::MemoryOutOfBounds, 0))?;
        match id {
            0 => Console::new().write_bytes(bytes),
            1 => {
                let sum = harness::checksum(bytes);
                // The runtime sized `results` by the import's type: one result.
                let [result] = results else {
                    return Err(trap);
                };
                *result = sum as u64;
            }
            _ => return Err(trap),
        }
        Ok(())
    }
}

fn run() -> Result<i32, Error> {
    let mut state = AlignedBuffer::<512>::new();
    let mut scratch = AlignedBuffer::<512>::new();
    let mut arena = AlignedBuffer::<64>::new();
    let mut memory = [0u8; 256];
    let mut stack_buf = AlignedBuffer::<1024>::new();

    let (module, _) = Module::new(WASM, &mut state.0, &mut scratch.0, &LIMITS)?;
    let mut slots = [InstanceSlot::EMPTY];
    let mut store = Store::new(&mut slots, &mut arena.0);
    const I32: u8 = barewasm::ValType::I32 as u8;
    let mut resolve = |m: &str, name: &str, kind: ExternKind| match (m, name, kind) {
        ("env", "print", ExternKind::Func) => Some(Extern::HostFunc(
            0,
            FuncType {
                params: &[I32, I32],
                results: &[],
            },
        )),
        ("env", "checksum", ExternKind::Func) => Some(Extern::HostFunc(
            1,
            FuncType {
                params: &[I32, I32],
                results: &[I32],
            },
        )),
        _ => None,
    };
    let inst = store.instantiate(&module, Some(&mut memory), &mut resolve)?;
    let mut stack = Stack::new(&mut stack_buf.0, &LIMITS)?;
    let Some(Extern::Func(f)) = store.export(inst, "run") else {
        return Err(Error::new(ErrorKind::UnknownFunction, 0));
    };
    store
        .typed::<i32, i32>(f)?
        .call(&mut store, &mut stack, &mut MiniHost, 10)
}

#[entry]
fn main() -> ! {
    board::init();
    match run() {
        // FNV-style checksum of "squares: 1 4 9 16 25 36 49 64 81 100\n" (see `programs`).
        Ok(sum) => {
            println!("minimal: run(10) = {sum}");
            let line = b"squares: 1 4 9 16 25 36 49 64 81 100\n";
            let want = harness::checksum(line) as i32;
            if sum != want {
                board::fail("wrong checksum");
            }
            board::exit(board::EXIT_OK)
        }
        Err(e) => {
            println!("minimal: {e}");
            board::exit(board::EXIT_FAILED)
        }
    }
}
