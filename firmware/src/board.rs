//! The board: MPU set-up, exit codes, the command line, the fault and panic handlers.
//!
//! QEMU's `mps2-an386` has 4 MiB of RAM at 0x2000_0000 and reads unmapped addresses as
//! zero, so nothing would stop firmware from using more than the 96 KiB it is meant to have.
//! The Cortex-M4 MPU is emulated, though: [`init`] programs it so that the only memory the
//! firmware can touch is
//!
//! | region | base          | size    | access                    |
//! |--------|---------------|---------|---------------------------|
//! | 0      | `0x0000_0000` | 4 MiB   | read-only, executable (code and wasm modules) |
//! | 1      | `0x2000_0000` | 96 KiB  | read-write, never executable (stack, statics) |
//!
//! with the default memory map switched off for privileged code too (`PRIVDEFENA` = 0), so
//! any other access (RAM above 96 KiB, a write to flash, a jump into RAM) is a MemManage
//! fault. MemManage is left disabled, so the fault escalates to HardFault, whose handler
//! reports it over semihosting and exits with [`EXIT_FAULT`]. The System Control Space
//! (SysTick, SCB, the MPU itself) is always accessible, and semihosting uses `bkpt`, not
//! memory, so nothing else needs a region.

use core::fmt::Write as _;

use cortex_m::peripheral::MPU;
use cortex_m_rt::{exception, ExceptionFrame};

use crate::console::Console;

/// Exit code: every check passed.
pub const EXIT_OK: u32 = 0;
/// Exit code: a check failed (a wrong result, or an unexpected error).
pub const EXIT_FAILED: u32 = 1;
/// Exit code: the firmware panicked.
pub const EXIT_PANIC: u32 = 2;
/// Exit code: a HardFault (an MPU violation, a bus fault, ...).
pub const EXIT_FAULT: u32 = 3;

/// Start of the RAM the firmware may use.
pub const RAM_START: u32 = 0x2000_0000;
/// Bytes of RAM the firmware may use.
pub const RAM_BYTES: u32 = 96 * 1024;
/// Start and size of the code region.
pub const FLASH_START: u32 = 0x0000_0000;
/// Bytes of flash (the board's 4 MiB SSRAM1, read-only under the MPU).
pub const FLASH_BYTES: u32 = 4 * 1024 * 1024;

extern "C" {
    static _allowed_ram_start: u32;
    static _allowed_ram_end: u32;
}

// RASR fields (ARMv7-M ARM, B3.5.9).
const RASR_ENABLE: u32 = 1;
const fn rasr_size(log2_bytes: u32) -> u32 {
    (log2_bytes - 1) << 1
}
const RASR_AP_RW: u32 = 0b011 << 24;
const RASR_AP_RO: u32 = 0b110 << 24;
const RASR_XN: u32 = 1 << 28;
/// Normal memory, outer and inner write-through, no write allocate (TEX=000, C=1, B=0).
const RASR_NORMAL: u32 = 1 << 17;
const RBAR_VALID: u32 = 1 << 4;
const CTRL_ENABLE: u32 = 1;

/// Programs the MPU as the module docs describe and checks that it is there. Call first
/// thing in `main`.
pub fn init() {
    let Some(p) = cortex_m::Peripherals::take() else {
        fail("board::init called twice");
    };
    // The linker script and this table must agree on what the firmware may use.
    let (lo, hi) = (
        &raw const _allowed_ram_start as u32,
        &raw const _allowed_ram_end as u32,
    );
    if lo != RAM_START || hi != RAM_START + RAM_BYTES {
        fail("memory.x and board::RAM_BYTES disagree");
    }
    let mpu: MPU = p.MPU;
    if (mpu._type.read() >> 8) & 0xff < 2 {
        fail("no MPU with at least two regions");
    }
    // 96 KiB is not a power of two: take a 128 KiB region and disable its top two 16 KiB
    // subregions (SRD bits 6 and 7).
    let ram_srd: u32 = 0b1100_0000 << 8;
    // SAFETY: nothing else touches the MPU; it is off while the regions are written, and the
    // regions cover the code being executed, the stack and every static before it is
    // enabled. The barriers make the new map apply to the next instruction.
    unsafe {
        mpu.ctrl.write(0);
        mpu.rbar.write(FLASH_START | RBAR_VALID);
        mpu.rasr
            .write(RASR_ENABLE | rasr_size(22) | RASR_AP_RO | RASR_NORMAL);
        mpu.rbar.write(RAM_START | RBAR_VALID | 1);
        mpu.rasr
            .write(RASR_ENABLE | rasr_size(17) | ram_srd | RASR_AP_RW | RASR_XN | RASR_NORMAL);
        // Unused regions off (their RASR resets to unknown on some cores).
        for region in 2..(mpu._type.read() >> 8) & 0xff {
            mpu.rnr.write(region);
            mpu.rasr.write(0);
        }
        mpu.ctrl.write(CTRL_ENABLE);
    }
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}

/// Start of the spec images' test window: RAM beyond the firmware's 96 KiB that only the
/// spec images open, for the modules, stores and linear memories of the spec scripts.
pub const TEST_WINDOW_START: u32 = 0x2010_0000;
/// Bytes of the test window (up to the end of the board's 4 MiB of RAM).
pub const TEST_WINDOW_BYTES: u32 = 3 * 1024 * 1024;

static TEST_WINDOW_TAKEN: cortex_m::interrupt::Mutex<core::cell::Cell<bool>> =
    cortex_m::interrupt::Mutex::new(core::cell::Cell::new(false));

/// Opens the test window (MPU regions 2 and 3: 1 MiB at 0x2010_0000 and 2 MiB at
/// 0x2020_0000, read-write, never executable) and hands it out, once. Only the `spec`
/// images call this: the spec scripts hold dozens of modules with 64 KiB pages of linear
/// memory at a time, which no 96 KiB board could. The firmware's own stack and statics stay
/// in the 96 KiB, and everything outside the window and the 96 KiB still faults.
pub fn open_test_window() -> Option<&'static mut [u8]> {
    let first = cortex_m::interrupt::free(|cs| !TEST_WINDOW_TAKEN.borrow(cs).replace(true));
    if !first {
        return None;
    }
    let regions: [(u32, u32); 2] = [(TEST_WINDOW_START, 20), (0x2020_0000, 21)];
    // SAFETY: `init` has run (it took the peripherals), so the MPU is set up and nothing
    // else writes it; each region is written whole (number, base, attributes) with the
    // barriers below making it apply before the window is used.
    unsafe {
        let mpu = &*MPU::PTR;
        for (i, (base, log2)) in regions.into_iter().enumerate() {
            mpu.rbar.write(base | RBAR_VALID | (2 + i as u32));
            mpu.rasr
                .write(RASR_ENABLE | rasr_size(log2) | RASR_AP_RW | RASR_XN | RASR_NORMAL);
        }
    }
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    // SAFETY: the window is board RAM outside every section of the linker script, so no
    // static, the stack or anything else refers to it; the flag above hands it out once,
    // making this the only reference; the MPU now allows reads and writes to all of it.
    Some(unsafe {
        core::slice::from_raw_parts_mut(TEST_WINDOW_START as *mut u8, TEST_WINDOW_BYTES as usize)
    })
}

/// Ends the run with `code` as QEMU's exit status (semihosting `SYS_EXIT_EXTENDED`).
pub fn exit(code: u32) -> ! {
    const SYS_EXIT_EXTENDED: usize = 0x20;
    const ADP_STOPPED_APPLICATION_EXIT: usize = 0x20026;
    let block = [ADP_STOPPED_APPLICATION_EXIT, code as usize];
    loop {
        // SAFETY: the parameter block is a live, initialised two-word array the host only
        // reads; the call does not return under QEMU.
        unsafe {
            cortex_m_semihosting::syscall(SYS_EXIT_EXTENDED, &block);
        }
    }
}

/// Prints `why` and exits with [`EXIT_FAILED`].
pub fn fail(why: &str) -> ! {
    crate::println!("FAILED: {why}");
    exit(EXIT_FAILED)
}

/// The semihosting command line: QEMU's `-semihosting-config arg=...` words, the first
/// being the image's name (as with `-kernel` alone).
pub struct CmdLine {
    buf: [u8; 256],
    len: usize,
}

impl CmdLine {
    /// Reads the command line from the host (empty if it has none).
    pub fn read() -> Self {
        const SYS_GET_CMDLINE: usize = 0x15;
        let mut line = CmdLine {
            buf: [0; 256],
            len: 0,
        };
        let mut block = [line.buf.as_mut_ptr() as usize, line.buf.len()];
        // SAFETY: the block holds a pointer to `line.buf` and its length; the host writes at
        // most that many bytes there, and the new length into `block[1]`, both of which
        // live across the call. A raw pointer is passed, so no shared reference is written
        // through.
        let status =
            unsafe { cortex_m_semihosting::syscall1(SYS_GET_CMDLINE, block.as_mut_ptr() as usize) };
        if status == 0 {
            line.len = block[1].min(line.buf.len());
            // The host counts the terminating NUL on some versions.
            while line.len > 0 && line.buf[line.len - 1] == 0 {
                line.len -= 1;
            }
        }
        line
    }

    /// The image name: the first word.
    pub fn program(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len])
            .unwrap_or("")
            .split_ascii_whitespace()
            .next()
            .unwrap_or("")
    }

    /// The words after the image name.
    pub fn args(&self) -> impl Iterator<Item = &str> {
        core::str::from_utf8(&self.buf[..self.len])
            .unwrap_or("")
            .split_ascii_whitespace()
            .skip(1)
    }

    /// Whether `name` was selected: no arguments select everything.
    pub fn selects(&self, name: &str) -> bool {
        self.args().next().is_none() || self.args().any(|a| a == name)
    }
}

#[cfg(not(armv6m))]
fn describe_fault(c: &mut Console, ef: &ExceptionFrame) {
    // SAFETY: reads of the SCB's fault status and address registers, which nothing else
    // is writing while the HardFault handler runs.
    let (cfsr, hfsr, mmfar, bfar) = unsafe {
        let scb = &*cortex_m::peripheral::SCB::PTR;
        (
            scb.cfsr.read(),
            scb.hfsr.read(),
            scb.mmfar.read(),
            scb.bfar.read(),
        )
    };
    let _ = writeln!(
        c,
        "HardFault at pc {:#010x}: HFSR {hfsr:#010x}, CFSR {cfsr:#010x}",
        ef.pc()
    );
    let mmarvalid = cfsr & (1 << 7) != 0;
    if cfsr & (1 << 1) != 0 {
        let _ = write!(c, "MPU violation: data access");
        if mmarvalid {
            let _ = write!(c, " at {mmfar:#010x}");
        }
        let _ = writeln!(c);
    }
    if cfsr & 1 != 0 {
        let _ = writeln!(c, "MPU violation: instruction fetch at {:#010x}", ef.pc());
    }
    if cfsr & (1 << 4) != 0 || cfsr & (1 << 3) != 0 {
        let _ = writeln!(
            c,
            "MPU violation while stacking/unstacking (stack overflow?)"
        );
    }
    if cfsr & (1 << 15) != 0 {
        let _ = writeln!(c, "bus fault at {bfar:#010x}");
    }
}

#[cfg(armv6m)]
fn describe_fault(c: &mut Console, ef: &ExceptionFrame) {
    let _ = writeln!(c, "HardFault at pc {:#010x}", ef.pc());
}

// SAFETY: `unsafe fn` is the signature cortex-m-rt requires of a HardFault handler (it
// runs in a state where the core cannot return normally). The body only reads the
// exception frame the hardware stacked and the fault registers, then exits via
// semihosting; it dereferences nothing else.
#[exception]
unsafe fn HardFault(ef: &ExceptionFrame) -> ! {
    let mut c = Console::new();
    describe_fault(&mut c, ef);
    c.flush();
    exit(EXIT_FAULT)
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    crate::println!("panic: {info}");
    exit(EXIT_PANIC)
}
