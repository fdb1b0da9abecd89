//! Proves the 96 KiB limit is enforced: touches memory the MPU forbids, which must end in
//! the HardFault handler (exit code 3). Returning normally is a failure (exit code 1).
//! `scripts/qemu.sh` runs every mode and counts the expected fault as a pass.
//!
//! The semihosting command line picks the violation (default `read-above`):
//! - `read-above`: reads the first word past the 96 KiB of RAM;
//! - `write-above`: writes far above it (the board has 4 MiB there);
//! - `write-flash`: writes to the code region, which is read-only;
//! - `exec-ram`: jumps to RAM, which is never executable;
//! - `stack-overflow`: recurses until the native stack runs below 0x2000_0000. The push
//!   faults, and the core has no stack left to take the fault on, so it locks up: QEMU
//!   reports "Lockup" and exits 134, which is this mode's expected outcome.
#![no_std]
#![no_main]

use cortex_m_rt::entry;
use firmware::board::{self, CmdLine, RAM_BYTES, RAM_START};
use firmware::println;

#[entry]
fn main() -> ! {
    board::init();
    let cmd = CmdLine::read();
    let mode = cmd.args().next().unwrap_or("read-above");
    let last = RAM_START + RAM_BYTES - 4;
    // SAFETY: the last word of the allowed RAM is in the pool's bss or the linker's
    // free space; reading it disturbs nothing and must not fault.
    let v = unsafe { core::ptr::read_volatile(last as *const u32) };
    println!("read of the last allowed word {last:#010x} ok ({v:#x})");
    match mode {
        "read-above" => {
            let addr = RAM_START + RAM_BYTES;
            println!("reading {addr:#010x}, just past the 96 KiB: this must fault");
            // SAFETY: deliberately invalid under the MPU; on the board it is plain RAM
            // that nothing uses, so even a missing fault would corrupt nothing.
            let v = unsafe { core::ptr::read_volatile(addr as *const u32) };
            println!("read {v:#x}");
        }
        "write-above" => {
            let addr = RAM_START + 1024 * 1024;
            println!("writing {addr:#010x}, 1 MiB into RAM: this must fault");
            // SAFETY: as above; the board's RAM there is unused.
            unsafe { core::ptr::write_volatile(addr as *mut u32, 0xdead_beef) };
        }
        "write-flash" => {
            let addr = 0x100u32;
            println!("writing {addr:#010x}, in the code region: this must fault");
            // SAFETY: the vector table's tail; QEMU's SSRAM1 is writable, so a missing
            // fault would change an unused vector only.
            unsafe { core::ptr::write_volatile(addr as *mut u32, 0) };
        }
        "exec-ram" => {
            // A Thumb `bx lr` placed in RAM, then called: must fault on the fetch.
            static mut CODE: [u16; 2] = [0x4770, 0x4770];
            let addr = (&raw const CODE) as usize | 1;
            println!("calling {:#010x}, in RAM: this must fault", addr & !1);
            // SAFETY: the target holds a valid Thumb instruction (`bx lr`) that returns at
            // once, so even without the MPU the call would be harmless.
            let f: extern "C" fn() = unsafe { core::mem::transmute(addr) };
            f();
        }
        "stack-overflow" => {
            println!("recursing past the bottom of the native stack: this must fault");
            let n = recurse(u32::MAX);
            println!("recursion returned {n}");
        }
        other => board::fail(other),
    }
    board::fail("the access did not fault")
}

/// Uses 256 bytes of stack per level, for ever.
#[inline(never)]
fn recurse(n: u32) -> u32 {
    let mut buf = [0u32; 64];
    buf[n as usize % 64] = n;
    let buf = core::hint::black_box(buf);
    if n == 0 {
        return buf[0];
    }
    recurse(n - 1).wrapping_add(buf[(n as usize + 1) % 64])
}
