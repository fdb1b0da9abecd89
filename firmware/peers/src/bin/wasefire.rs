//! The `minimal` image on wasefire's interpreter (`no_std`, with an allocator; the side
//! table computed on the host, as in the bench): verify, instantiate, answer
//! `env.print`/`env.checksum` (host calls return to this loop), check `run(10)`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use cortex_m_rt::entry;
use firmware::board;
use wasefire_interpreter::{Module, RunResult, Store, Val};

/// The guest's linear memory, which wasefire takes from the host (one 64 KiB page).
const MEMORY_BYTES: usize = 64 * 1024;

/// A wasefire error, or what this host found wrong.
#[derive(Debug)]
#[allow(dead_code)] // read through Debug
enum Failure {
    Wasefire(wasefire_interpreter::Error),
    Host(&'static str),
}

fn run() -> Result<i32, Failure> {
    let err = Failure::Wasefire;
    // From the heap, at the alignment wasefire requires (MEMORY_ALIGN, 16 bytes).
    let align = wasefire_interpreter::MEMORY_ALIGN;
    let buf = alloc::boxed::Box::leak(vec![0u8; MEMORY_BYTES + align - 1].into_boxed_slice());
    let start = buf.as_ptr().align_offset(align);
    let memory = &mut buf[start..start + MEMORY_BYTES];
    let module = Module::new(peers::WASM_WASEFIRE).map_err(err)?;
    let mut store = Store::default();
    // Host functions are numbered in the order they are linked, which must be by name.
    store.link_func("env", "checksum", 2, 1).map_err(err)?;
    store.link_func("env", "print", 2, 0).map_err(err)?;
    let inst = store.instantiate(module, memory).map_err(err)?;
    let mut state = store.invoke(inst, "run", vec![Val::I32(10)]).map_err(err)?;
    loop {
        let mut call = match state {
            RunResult::Done(results) => match results.as_slice() {
                [Val::I32(v)] => return Ok(*v as i32),
                _ => return Err(Failure::Host("unexpected results")),
            },
            RunResult::Host(call) => call,
        };
        let (index, args) = (call.index(), call.args());
        let (Some(Val::I32(p)), Some(Val::I32(n))) = (args.first().copied(), args.get(1).copied())
        else {
            return Err(Failure::Host("bad host call"));
        };
        let mem = call.mem_mut();
        state = match index {
            0 => {
                let sum = peers::checksum(mem, p, n).ok_or(Failure::Host("out of bounds"))?;
                call.resume(&[Val::I32(sum as u32)]).map_err(err)?
            }
            1 => {
                peers::print(mem, p, n).ok_or(Failure::Host("out of bounds"))?;
                call.resume(&[]).map_err(err)?
            }
            _ => return Err(Failure::Host("unknown host function")),
        };
    }
}

#[entry]
fn main() -> ! {
    board::init();
    peers::init_heap();
    peers::finish("wasefire", run())
}
