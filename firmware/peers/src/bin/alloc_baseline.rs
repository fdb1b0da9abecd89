//! The flash baseline for the peers: `../src/bin/baseline.rs` plus the heap allocator they
//! need (initialised; a vector allocated, grown and freed, so its code is linked). A peer's
//! runtime flash = its image - this - its module.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use cortex_m_rt::entry;
use firmware::{board, figures, println};

#[entry]
fn main() -> ! {
    board::init();
    peers::init_heap();
    // Allocate, grow (realloc) and free: the allocator's whole interface is linked.
    let mut v: Vec<u32> = Vec::with_capacity(core::hint::black_box(1));
    for i in 0..core::hint::black_box(3) {
        v.push(i);
    }
    println!("alloc-baseline: no wasm, {} allocated", v.len());
    drop(v);
    println!(
        "native stack: {} of {} bytes",
        figures::native_stack_high_water(),
        figures::native_stack_size()
    );
    board::exit(board::EXIT_OK)
}
