//! The benchmark workloads of `guests/bench` (`guests/wasm/bench.wasm`, in flash) on the
//! Cortex-M4, one per QEMU run, for executed-instruction counts (#6).
//!
//! The command line names one workload and its `n` (`sha256 20`), or `load` to stop after
//! validation and instantiation. Named `bench-prepared` (the command line's first word),
//! the image runs the module as `barewasm prepare` writes it (side table in flash,
//! sequences fused) instead of the plain one: `scripts/qemu.sh` subtracts that run's count from each
//! workload's. The result is printed as `bench: WORKLOAD(N) = VALUE:TYPE`, the form
//! `barewasm run` prints on the host, and the script compares the two.
//!
//! The guest declares 128 KiB of linear memory, more than a 96 KiB part has, so like the
//! `spec` images this one takes its pool from the RAM test window
//! ([`board::open_test_window`]); the firmware's own stack and statics stay in the 96 KiB.
//! Exits 0 when the workload ran, 1 otherwise.
#![no_std]
#![no_main]

use barewasm::{Error, Limits, NoHost};
use cortex_m_rt::entry;
use firmware::board::{self, CmdLine};
use firmware::harness::{self, Run, Setup};
use firmware::println;

static BENCH: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/bench.wasm"));
static PREPARED: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/bench.prepared.wasm"));

/// The host benchmark's limits (`bench/src/runtimes.rs`): enough for the 200-deep
/// recursion workload with about 25% to spare.
const LIMITS: Limits = Limits {
    max_nesting: 64,
    max_function_slots: 256,
    value_stack_slots: 1024,
    max_call_depth: 256,
};

/// The workloads and their result types: `fft` returns `f32`, the others `i32`.
const WORKLOADS: [(&str, bool); 8] = [
    ("sha256", false),
    ("crc32", false),
    ("lzss", false),
    ("json", false),
    ("fft", true),
    ("sort", false),
    ("recursion", false),
    ("coremark", false),
];

fn call(run: &mut Run<'_>, name: &str, is_f32: bool, n: i32) -> Result<(), Error> {
    if is_f32 {
        let v: f32 = run.call(&mut NoHost, name, n)?;
        println!("bench: {name}({n}) = {v}:f32");
    } else {
        let v: i32 = run.call(&mut NoHost, name, n)?;
        println!("bench: {name}({n}) = {v}:i32");
    }
    Ok(())
}

#[entry]
fn main() -> ! {
    board::init();
    let line = CmdLine::read();
    let mut args = line.args();
    let prepared = line.program() == "bench-prepared";
    let (Some(name), n) = (args.next(), args.next().and_then(|a| a.parse::<i32>().ok())) else {
        board::fail("usage: bench|bench-prepared WORKLOAD N | bench|bench-prepared load");
    };
    let workload = WORKLOADS.iter().find(|(w, _)| *w == name);
    let Some(pool) = board::open_test_window() else {
        board::fail("no test window");
    };
    let mut resolve = |_: &str, _: &str, _: barewasm::ExternKind| None;
    let setup = Setup {
        wasm: if prepared { PREPARED } else { BENCH },
        limits: LIMITS,
        memory_room: 0,
        resolve: &mut resolve,
    };
    let result = harness::run_module(pool, setup, &mut NoHost, |run, _| match (workload, n) {
        (Some(&(w, is_f32)), Some(n)) => call(run, w, is_f32, n),
        _ if name == "load" => Ok(()),
        _ => {
            println!("bench: unknown workload or n: {name}");
            Err(Error::new(barewasm::ErrorKind::UnknownFunction, 0))
        }
    });
    match result {
        Ok((Ok(()), usage)) => {
            println!(
                "bench: state {} + {} B, value stack high water {} slots, call depth {}",
                usage.module_state,
                usage.instance_state,
                usage.stack.value_slots,
                usage.stack.call_depth
            );
            board::exit(board::EXIT_OK)
        }
        Ok((Err(e), _)) | Err(e) => {
            println!("bench: {name}: {e}");
            board::exit(board::EXIT_FAILED)
        }
    }
}
