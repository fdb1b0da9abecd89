//! The `minimal` image on tinywasm (`no_std`, with an allocator): parse, validate,
//! instantiate, answer `env.print`/`env.checksum`, check `run(10)`.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use firmware::board;
use tinywasm::engine::Config;
use tinywasm::{
    Engine, Error, FuncContext, HostFunction, Imports, ModuleInstance, StackConfig, Store,
};

/// Copies `len` bytes at `ptr` out of the guest's memory into `buf`.
fn read<'b>(
    ctx: &FuncContext<'_>,
    ptr: i32,
    len: i32,
    buf: &'b mut [u8],
) -> Result<&'b [u8], Error> {
    let bytes = buf
        .get_mut(..len as u32 as usize)
        .ok_or_else(|| Error::Other("print longer than the buffer".into()))?;
    ctx.memory("memory")?
        .read_exact(ctx.store(), ptr as u32 as usize, bytes)?;
    Ok(bytes)
}

fn run() -> Result<i32, Error> {
    let module = tinywasm::parse_bytes(peers::WASM)?;
    // Small growing stacks: the defaults reserve about 470 KiB up front.
    let config = Config::new()
        .with_value_stack_32(StackConfig::dynamic(64, 1024))
        .with_value_stack_64(StackConfig::dynamic(64, 1024))
        .with_value_stack_128(StackConfig::dynamic(16, 64))
        .with_call_stack(StackConfig::dynamic(16, 64));
    let mut store = Store::new(Engine::new(config));
    let print = HostFunction::from(&mut store, |ctx: FuncContext<'_>, (p, n): (i32, i32)| {
        let mut buf = [0u8; 64];
        let bytes = read(&ctx, p, n, &mut buf)?;
        peers::print(bytes, 0, bytes.len() as u32).ok_or_else(|| Error::Other("print".into()))
    });
    let checksum = HostFunction::from(&mut store, |ctx: FuncContext<'_>, (p, n): (i32, i32)| {
        let mut buf = [0u8; 64];
        let bytes = read(&ctx, p, n, &mut buf)?;
        peers::checksum(bytes, 0, bytes.len() as u32).ok_or_else(|| Error::Other("checksum".into()))
    });
    let mut imports = Imports::new();
    imports
        .define("env", "print", print)
        .define("env", "checksum", checksum);
    let instance = ModuleInstance::instantiate(&mut store, &module, Some(imports))?;
    instance
        .func::<i32, i32>(&store, "run")?
        .call(&mut store, 10)
}

#[entry]
fn main() -> ! {
    board::init();
    peers::init_heap();
    peers::finish("tinywasm", run())
}
