//! What the peer images share: the heap the peers need, and the `minimal` image's host
//! functions and checks (see `../src/bin/minimal.rs`), so each image differs from the
//! barewasm one only in the runtime.
#![no_std]

extern crate alloc;

use core::mem::MaybeUninit;

use embedded_alloc::LlffHeap;
use firmware::console::Console;
use firmware::{board, harness, println};

/// The module, with a 64 KiB memory (see build.rs); it stays in flash.
pub static WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hello.wasm"));
/// The same with wasefire's side table, computed on the host.
pub static WASM_WASEFIRE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hello.wasefire.wasm"));

/// Heap for the peers: their structures and the module's 64 KiB linear memory.
pub const HEAP_BYTES: usize = 76 * 1024;

#[global_allocator]
static HEAP: LlffHeap = LlffHeap::empty();

/// Hands the heap its memory; call once, first thing.
pub fn init_heap() {
    static mut ARENA: [MaybeUninit<u8>; HEAP_BYTES] = [MaybeUninit::uninit(); HEAP_BYTES];
    // SAFETY: called once at start-up, before any allocation; nothing else names ARENA.
    unsafe { HEAP.init(core::ptr::addr_of_mut!(ARENA) as usize, HEAP_BYTES) }
}

/// `env.print(ptr, len)`: `None` if the range is outside `memory`.
pub fn print(memory: &[u8], ptr: u32, len: u32) -> Option<()> {
    let bytes = memory.get(ptr as usize..(ptr as usize).checked_add(len as usize)?)?;
    Console::new().write_bytes(bytes);
    Some(())
}

/// `env.checksum(ptr, len)`: `None` if the range is outside `memory`.
pub fn checksum(memory: &[u8], ptr: u32, len: u32) -> Option<i32> {
    let bytes = memory.get(ptr as usize..(ptr as usize).checked_add(len as usize)?)?;
    Some(harness::checksum(bytes) as i32)
}

/// Checks `run(10)`'s result as the `minimal` image does and exits; an error is printed,
/// as `minimal` prints barewasm's, so each image carries its runtime's error reporting.
pub fn finish<E: core::fmt::Debug>(name: &str, result: Result<i32, E>) -> ! {
    match result {
        Ok(sum) => {
            println!("{name}: run(10) = {sum}");
            let line = b"squares: 1 4 9 16 25 36 49 64 81 100\n";
            if sum != harness::checksum(line) as i32 {
                board::fail("wrong checksum");
            }
            board::exit(board::EXIT_OK)
        }
        Err(e) => {
            println!("{name}: {e:?}");
            board::exit(board::EXIT_FAILED)
        }
    }
}
