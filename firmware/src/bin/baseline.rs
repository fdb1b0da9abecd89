//! The flash-size baseline: the same board support as the other images (MPU, console,
//! fault and panic handlers, figures) and no wasm. Runtime flash = `minimal` - this.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use firmware::{board, figures, println};

#[entry]
fn main() -> ! {
    board::init();
    println!("baseline: no wasm");
    println!(
        "native stack: {} of {} bytes",
        figures::native_stack_high_water(),
        figures::native_stack_size()
    );
    board::exit(board::EXIT_OK)
}
