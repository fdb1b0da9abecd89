//! The `minimal` image on wasmi (`no_std`, with an allocator): decode, validate, translate,
//! instantiate, answer `env.print`/`env.checksum`, check `run(10)`.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use firmware::board;
use wasmi::{Caller, Engine, Error, Extern, Linker, Module, Store};

/// The guest's memory, as the host functions see it.
fn memory<'a>(caller: &'a Caller<'_, ()>) -> Result<&'a [u8], Error> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m.data(caller)),
        _ => Err(Error::new("no memory export")),
    }
}

fn run() -> Result<i32, Error> {
    let engine = Engine::default();
    let module = Module::new(&engine, peers::WASM)?;
    let mut store = Store::new(&engine, ());
    let mut linker = <Linker<()>>::new(&engine);
    let oob = || Error::new("out of bounds");
    linker.func_wrap("env", "print", move |c: Caller<'_, ()>, p: i32, n: i32| {
        peers::print(memory(&c)?, p as u32, n as u32).ok_or_else(oob)
    })?;
    linker.func_wrap(
        "env",
        "checksum",
        move |c: Caller<'_, ()>, p: i32, n: i32| {
            peers::checksum(memory(&c)?, p as u32, n as u32).ok_or_else(oob)
        },
    )?;
    let instance = linker.instantiate_and_start(&mut store, &module)?;
    let run = instance.get_typed_func::<i32, i32>(&store, "run")?;
    run.call(&mut store, 10)
}

#[entry]
fn main() -> ! {
    board::init();
    peers::init_heap();
    peers::finish("wasmi", run())
}
