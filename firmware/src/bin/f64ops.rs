//! The cost on the Cortex-M4 of what its FPU cannot do: f64 arithmetic, square roots,
//! rounding and conversions, and 64-bit division, which the runtime computes on the
//! integer unit (`exec::numeric`, `exec::softfloat`). One loop per operation
//! (`wat/f64ops.wat`), one per QEMU run, for executed-instruction counts.
//!
//! The command line names the operation and the loop's `n` (`div 1001`); `scripts/qemu.sh`
//! subtracts the run with n = 1 from the run with n = 1001, and compares the result,
//! printed as `f64ops: OP(N) = VALUE:f64` (the form `barewasm run` prints), with the host
//! CLI's. The pool is the firmware's own, inside the 96 KiB. Exits 0 when the loop ran.
#![no_std]
#![no_main]

use barewasm::{Error, Limits, NoHost};
use cortex_m_rt::entry;
use firmware::board::{self, CmdLine};
use firmware::harness::{self, Setup};
use firmware::println;

static WASM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/f64ops.wasm"));

const LIMITS: Limits = Limits {
    max_nesting: 8,
    max_function_slots: 16,
    value_stack_slots: 64,
    max_call_depth: 4,
};

#[entry]
fn main() -> ! {
    board::init();
    let line = CmdLine::read();
    let mut args = line.args();
    let (Some(name), Some(n)) = (args.next(), args.next().and_then(|a| a.parse::<i32>().ok()))
    else {
        board::fail("usage: f64ops OPERATION N");
    };
    let Some(pool) = harness::take_pool() else {
        board::fail("no pool");
    };
    let mut resolve = |_: &str, _: &str, _: barewasm::ExternKind| None;
    let setup = Setup {
        wasm: WASM,
        limits: LIMITS,
        memory_room: 0,
        resolve: &mut resolve,
    };
    let result = harness::run_module(pool, setup, &mut NoHost, |run, _| {
        let v: f64 = run.call(&mut NoHost, name, n)?;
        println!("f64ops: {name}({n}) = {v}:f64");
        Ok::<(), Error>(())
    });
    match result {
        Ok((Ok(()), _)) => board::exit(board::EXIT_OK),
        Ok((Err(e), _)) | Err(e) => {
            println!("f64ops: {name}: {e}");
            board::exit(board::EXIT_FAILED)
        }
    }
}
