//! The wasm programs, run in place from flash with every result checked:
//!
//! - `kernel`: deep recursion and loops (`wat/kernel.wat`), against values computed
//!   independently (Python's integers, `zlib.crc32`, IEEE doubles, f32 rounding per step);
//! - `guest`: the Rust-compiled guest `guests/wasm/demo.wasm`, against what the `barewasm`
//!   CLI computes for it on the host;
//! - `host`: a guest printing through imported host functions (`wat/hello.wat`);
//! - `traps`: out-of-bounds accesses, wasm stack exhaustion and other traps, each caught
//!   and reported while the firmware carries on (`wat/traps.wat`).
//!
//! The semihosting command line selects programs by name (none: all; `none`: only boot,
//! for instruction-count baselines). Exits 0 if every check held, 1 otherwise.
#![no_std]
#![no_main]

use barewasm::{Error, ErrorKind, Extern, ExternKind, FuncType, Host, Limits, Memory};
use cortex_m_rt::entry;
use firmware::board::{self, CmdLine};
use firmware::console::Console;
use firmware::harness::{self, Checks, Run, Setup, Usage};
use firmware::{figures, println};

static KERNEL: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kernel.wasm"));
static HELLO: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hello.wasm"));
static TRAPS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/traps.wasm"));
static GUEST: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/demo.wasm"));

/// Host function ids.
const PRINT: u32 = 0;
const CHECKSUM: u32 = 1;
const FAIL: u32 = 2;

const I32: u8 = barewasm::ValType::I32 as u8;

fn resolve(module: &str, name: &str, kind: ExternKind) -> Option<Extern<'static>> {
    if module != "env" || kind != ExternKind::Func {
        return None;
    }
    Some(match name {
        "print" => Extern::HostFunc(
            PRINT,
            FuncType {
                params: &[I32, I32],
                results: &[],
            },
        ),
        "checksum" => Extern::HostFunc(
            CHECKSUM,
            FuncType {
                params: &[I32, I32],
                results: &[I32],
            },
        ),
        "fail" => Extern::HostFunc(
            FAIL,
            FuncType {
                params: &[],
                results: &[],
            },
        ),
        _ => return None,
    })
}

/// The host side: prints what guests print and keeps a copy to check.
struct ProgramHost {
    captured: [u8; 1024],
    len: usize,
    calls: u32,
}

impl ProgramHost {
    const fn new() -> Self {
        ProgramHost {
            captured: [0; 1024],
            len: 0,
            calls: 0,
        }
    }

    fn output(&self) -> &[u8] {
        &self.captured[..self.len]
    }
}

/// `(ptr, len)` of the guest's memory, or an out-of-bounds trap.
fn guest_bytes<'m>(memory: Option<&'m mut Memory<'_>>, args: &[u64]) -> Result<&'m [u8], Error> {
    let oob = Error::new(ErrorKind::MemoryOutOfBounds, 0);
    let (&[ptr, len], Some(memory)) = (args, memory) else {
        return Err(Error::new(ErrorKind::HostTrap, 0));
    };
    let (ptr, len) = (ptr as u32 as usize, len as u32 as usize);
    let end = ptr.checked_add(len).ok_or(oob)?;
    memory.data().get(ptr..end).ok_or(oob)
}

impl Host for ProgramHost {
    fn call(
        &mut self,
        id: u32,
        args: &[u64],
        results: &mut [u64],
        memory: Option<&mut Memory<'_>>,
    ) -> Result<(), Error> {
        self.calls += 1;
        match id {
            PRINT => {
                let text = guest_bytes(memory, args)?;
                let mut c = Console::new();
                c.write_bytes(b"  guest: ");
                c.write_bytes(text);
                let room = self.captured.len() - self.len;
                let n = text.len().min(room);
                self.captured[self.len..self.len + n].copy_from_slice(&text[..n]);
                self.len += n;
                Ok(())
            }
            CHECKSUM => {
                let bytes = guest_bytes(memory, args)?;
                let sum = harness::checksum(bytes);
                results[0] = sum as u64;
                Ok(())
            }
            _ => Err(Error::new(ErrorKind::HostTrap, 0)),
        }
    }
}

/// Prints a program's figures, one human line and one `FIGURES` line for scripts.
fn report(name: &str, checks: &Checks, u: &Usage, limits: &Limits) {
    println!(
        "[{name}] {} checks passed, {} failed",
        checks.passed, checks.failed
    );
    println!(
        "  RAM: state {} B (module {} + instance {}), wasm stack buffer {} B, linear memory {} B \
         (buffer {} B); {} B of the {} B pool; validation scratch {} B (lent)",
        u.module_state + u.instance_state,
        u.module_state,
        u.instance_state,
        u.stack_buffer,
        u.memory,
        u.memory_buffer,
        u.pool_bytes(),
        harness::POOL_BYTES,
        u.scratch,
    );
    println!(
        "  high water: call depth {} of {}, value stack {} of {} slots, native stack {} of {} B",
        u.stack.call_depth,
        limits.max_call_depth,
        u.stack.value_slots,
        limits.value_stack_slots,
        u.native_stack,
        figures::native_stack_size(),
    );
    println!(
        "FIGURES program={name} passed={} failed={} module_state={} instance_state={} \
         scratch={} stack_buffer={} call_depth={} value_slots={} memory={} memory_buffer={} \
         native_stack={} pool={}",
        checks.passed,
        checks.failed,
        u.module_state,
        u.instance_state,
        u.scratch,
        u.stack_buffer,
        u.stack.call_depth,
        u.stack.value_slots,
        u.memory,
        u.memory_buffer,
        u.native_stack,
        u.pool_bytes(),
    );
}

/// Runs one program and reports it; returns how many checks failed.
fn program(
    pool: &mut [u8],
    name: &str,
    wasm: &'static [u8],
    limits: Limits,
    body: impl FnOnce(&mut Run<'_>, &mut ProgramHost, &mut Checks),
) -> u32 {
    println!(
        "[{name}] {} bytes of wasm at {:#010x} (flash)",
        wasm.len(),
        wasm.as_ptr() as usize
    );
    let mut checks = Checks::default();
    let mut host = ProgramHost::new();
    let mut resolve = resolve;
    let setup = Setup {
        wasm,
        limits,
        memory_room: 0,
        resolve: &mut resolve,
    };
    match harness::run_module(pool, setup, &mut host, |run, host| {
        body(run, host, &mut checks)
    }) {
        Ok(((), usage)) => report(name, &checks, &usage, &limits),
        Err(e) => checks.fail(format_args!("{name}: cannot set up the module: {e}")),
    }
    checks.failed
}

fn kernel(run: &mut Run<'_>, host: &mut ProgramHost, c: &mut Checks) {
    c.eq("fib(20)", run.call(host, "fib", 20i32), 6765i32);
    c.eq(
        "sum_down(1000), 1000 calls deep",
        run.call(host, "sum_down", 1000i32),
        500_500i64,
    );
    c.eq("ack(2, 3)", run.call(host, "ack", (2i32, 3i32)), 9i32);
    c.eq("ack(3, 4)", run.call(host, "ack", (3i32, 4i32)), 125i32);
    c.eq("sieve(16384)", run.call(host, "sieve", 16384i32), 1900i32);
    c.eq(
        "collatz(10000)",
        run.call(host, "collatz", 10000i32),
        (6171i64 << 32) | 261,
    );
    c.eq(
        "crc32(16384)",
        run.call(host, "crc32", 16384i32),
        1_923_389_050i32,
    );
    c.eq(
        "fsum(1000) bits",
        run.call::<i32, f64>(host, "fsum", 1000).map(f64::to_bits),
        0x3ffa_4d8e_550a_946e,
    );
    c.eq(
        "fdot(1000) bits",
        run.call::<i32, f32>(host, "fdot", 1000).map(f32::to_bits),
        0x4c1c_6e32,
    );
    c.eq(
        "switchy(100000)",
        run.call(host, "switchy", 100_000i32),
        480_697_937i32,
    );
}

fn hello(run: &mut Run<'_>, host: &mut ProgramHost, c: &mut Checks) {
    const LINE: &[u8] = b"squares: 1 4 9 16 25 36 49 64 81 100\n";
    let want_sum = harness::checksum(LINE) as i32;
    c.eq(
        "run(10), the host's checksum",
        run.call(host, "run", 10i32),
        want_sum,
    );
    let mut want = [0u8; 128];
    let greeting = b"hello from wasm, running in place from flash\n";
    want[..greeting.len()].copy_from_slice(greeting);
    want[greeting.len()..greeting.len() + LINE.len()].copy_from_slice(LINE);
    let want = &want[..greeting.len() + LINE.len()];
    c.eq("printed text", Ok(host.output() == want), true);
    c.eq("host calls", Ok(host.calls), 3);
}

fn traps(run: &mut Run<'_>, host: &mut ProgramHost, c: &mut Checks) {
    const MARK: i32 = 0x1234_5678;
    c.eq("store", run.call(host, "store", MARK), ());
    let alive = |run: &mut Run<'_>, host: &mut ProgramHost, c: &mut Checks, after: &str| {
        let v = run.call::<(), i32>(host, "alive", ());
        if v != Ok(MARK) {
            c.fail(format_args!("instance not usable after {after}: {v:?}"));
        } else {
            c.passed += 1;
        }
    };
    c.eq(
        "load(1020), the last word",
        run.call(host, "load", 1020i32),
        0i32,
    );
    c.trap(
        "load(1024)",
        run.call::<i32, i32>(host, "load", 1024),
        ErrorKind::MemoryOutOfBounds,
    );
    alive(run, host, c, "load(1024)");
    c.trap(
        "load(1021)",
        run.call::<i32, i32>(host, "load", 1021),
        ErrorKind::MemoryOutOfBounds,
    );
    c.trap(
        "store_at(-4)",
        run.call::<(i32, i32), ()>(host, "store_at", (-4, 1)),
        ErrorKind::MemoryOutOfBounds,
    );
    alive(run, host, c, "store_at(-4)");
    c.trap(
        "down(0), unbounded recursion",
        run.call::<i32, i32>(host, "down", 0),
        ErrorKind::CallStackExhausted,
    );
    alive(run, host, c, "down(0)");
    c.trap(
        "wide(0), 17 slots per call",
        run.call::<i32, i32>(host, "wide", 0),
        ErrorKind::CallStackExhausted,
    );
    alive(run, host, c, "wide(0)");
    c.trap(
        "div(1, 0)",
        run.call::<(i32, i32), i32>(host, "div", (1, 0)),
        ErrorKind::IntegerDivideByZero,
    );
    c.trap(
        "div(i32::MIN, -1)",
        run.call::<(i32, i32), i32>(host, "div", (i32::MIN, -1)),
        ErrorKind::IntegerOverflow,
    );
    c.trap(
        "unreachable",
        run.call::<(), ()>(host, "unreachable", ()),
        ErrorKind::Unreachable,
    );
    c.trap(
        "call_null",
        run.call::<(), i32>(host, "call_null", ()),
        ErrorKind::UninitializedElement,
    );
    c.trap(
        "call_wrong_type",
        run.call::<(), i32>(host, "call_wrong_type", ()),
        ErrorKind::IndirectCallTypeMismatch,
    );
    c.trap(
        "host_fail",
        run.call::<(), ()>(host, "host_fail", ()),
        ErrorKind::HostTrap,
    );
    alive(run, host, c, "all of them");
}

/// What `run()` of the Rust guest prints, as the `barewasm` CLI printed it on the host.
const GUEST_OUTPUT: &str = "\
crc32(1 KiB)      = 0x66862b7f
primes < 10000    = 1229
sort 256 checksum = 0x0a0937a7
fib(20)           = 6765
dft16 |X| sum     = 39.427
basel(1000)       = 1.643935, pi ~ 3.140638
frame adler32     = 0x0900c1eb
deltas: last 256, energy 126724
vm: 12! = 479001600, xorshift(1) = 270369
filter pipeline   = 24896
checksum          = 0xe7d1426d
";

/// Expected values from `barewasm run guests/wasm/demo.wasm --invoke NAME ARG` on the host
/// (floats compared by bits; the CLI prints the shortest decimal that reads back exactly).
fn guest(run: &mut Run<'_>, host: &mut ProgramHost, c: &mut Checks) {
    c.eq("run()", run.call(host, "run", ()), -405_716_371i32);
    c.eq(
        "run() output",
        Ok(host.output() == GUEST_OUTPUT.as_bytes()),
        true,
    );
    c.eq("fib(24)", run.call(host, "fib", 24i32), 46368i32);
    c.eq(
        "crc32_len(1024)",
        run.call(host, "crc32_len", 1024i32),
        1_720_068_991i32,
    );
    c.eq(
        "crc32_len(100)",
        run.call(host, "crc32_len", 100i32),
        1_790_719_757i32,
    );
    c.eq("sieve(10000)", run.call(host, "sieve", 10_000i32), 1229i32);
    let f64_bits = |r: Result<f64, Error>| r.map(f64::to_bits);
    let f32_bits = |r: Result<f32, Error>| r.map(f32::to_bits);
    c.eq(
        "fsum(1000)",
        f64_bits(run.call(host, "fsum", 1000i32)),
        1.643_934_566_681_561_5f64.to_bits(),
    );
    c.eq(
        "fsum(100000)",
        f64_bits(run.call(host, "fsum", 100_000i32)),
        1.644_924_066_898_242_3f64.to_bits(),
    );
    c.eq(
        "f32_kernel(3)",
        f32_bits(run.call(host, "f32_kernel", 3i32)),
        39.427_418f32.to_bits(),
    );
    c.eq(
        "f32_kernel(7)",
        f32_bits(run.call(host, "f32_kernel", 7i32)),
        39.200_005f32.to_bits(),
    );
    c.eq(
        "sort_checksum(2024)",
        run.call(host, "sort_checksum", 2024i32),
        168_376_231i32,
    );
    c.eq(
        "sort_checksum(0)",
        run.call(host, "sort_checksum", 0i32),
        797_536_838i32,
    );
}

/// A program's checks.
type Body = fn(&mut Run<'_>, &mut ProgramHost, &mut Checks);

/// `Limits` in the order of its fields.
const fn limits(nesting: u32, function_slots: u32, value_slots: u32, calls: u32) -> Limits {
    Limits {
        max_nesting: nesting,
        max_function_slots: function_slots,
        value_stack_slots: value_slots,
        max_call_depth: calls,
    }
}

/// The programs, in the order they run, with the limits each is validated and run under.
const PROGRAMS: &[(&str, &[u8], Limits, Body)] = &[
    ("kernel", KERNEL, limits(32, 64, 3100, 1100), kernel),
    ("guest", GUEST, limits(64, 512, 1024, 128), guest),
    ("host", HELLO, limits(16, 64, 128, 16), hello),
    ("traps", TRAPS, limits(16, 64, 1024, 256), traps),
];

#[entry]
fn main() -> ! {
    board::init();
    let cmd = CmdLine::read();
    let Some(pool) = harness::take_pool() else {
        board::fail("no pool")
    };
    let mut failed = 0;
    for &(name, wasm, limits, body) in PROGRAMS {
        if !cmd.selects(name) {
            continue;
        }
        if wasm.is_empty() {
            println!("[{name}] FAILED: its module was not there at build time");
            failed += 1;
        } else {
            failed += program(pool, name, wasm, limits, body);
        }
    }
    if failed == 0 {
        println!("all programs passed");
        board::exit(board::EXIT_OK)
    }
    println!("{failed} check(s) FAILED");
    board::exit(board::EXIT_FAILED)
}
