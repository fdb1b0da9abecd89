//! A guest for barewasm: workloads typical of firmware (checksums, sieving, sorting,
//! fixed-size DSP, packet framing, a bytecode dispatcher), compiled for
//! `wasm32-unknown-unknown` with rustc's default features.
//!
//! `run` prints one line per workload through the host's `env.print` and returns a checksum
//! of all results. The other exports are pure functions of one `i32`, for differential
//! tests; each is cheap for any argument (inputs are clamped), so tests can pass anything.
//!
//! No allocator and no `core::fmt`: numbers are formatted by hand into a stack buffer.
#![no_std]

use core::hint::black_box;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

#[link(wasm_import_module = "env")]
extern "C" {
    /// Prints `len` bytes of UTF-8 text starting at `ptr`.
    fn print(ptr: *const u8, len: usize);
}

// ---------------------------------------------------------------------------------------
// Output

/// One line of text, built in place and handed to the host.
struct Line {
    buf: [u8; 96],
    len: usize,
}

impl Line {
    fn new() -> Line {
        Line {
            buf: [0; 96],
            len: 0,
        }
    }

    fn byte(&mut self, b: u8) {
        // A full line is truncated rather than trapping.
        if let Some(slot) = self.buf.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }

    fn str(&mut self, s: &str) -> &mut Line {
        for &b in s.as_bytes() {
            self.byte(b);
        }
        self
    }

    fn uint(&mut self, mut v: u64) -> &mut Line {
        let mut digits = [0u8; 20];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        for &d in &digits[i..] {
            self.byte(d);
        }
        self
    }

    fn int(&mut self, v: i64) -> &mut Line {
        if v < 0 {
            self.byte(b'-');
        }
        self.uint(v.unsigned_abs())
    }

    fn hex(&mut self, v: u32) -> &mut Line {
        self.str("0x");
        for k in (0..8).rev() {
            self.byte(b"0123456789abcdef"[(v >> (4 * k)) as usize & 15]);
        }
        self
    }

    /// `scaled / 10^decimals`, with exactly `decimals` digits after the point.
    fn fixed(&mut self, negative: bool, scaled: u64, decimals: u32) -> &mut Line {
        let unit = 10u64.pow(decimals);
        if negative && scaled != 0 {
            self.byte(b'-');
        }
        self.uint(scaled / unit).byte(b'.');
        let frac = scaled % unit;
        let mut div = unit / 10;
        while div > 0 {
            self.byte(b'0' + (frac / div % 10) as u8);
            div /= 10;
        }
        self
    }

    /// An f64 rounded to `decimals` places (magnitudes below 2^64 / 10^decimals).
    fn f64(&mut self, x: f64, decimals: u32) -> &mut Line {
        let mag = if x < 0.0 { -x } else { x };
        // `as` saturates: rustc emits i64.trunc_sat_f64_u (nontrapping-fptoint).
        let scaled = (mag * 10u64.pow(decimals) as f64 + 0.5) as u64;
        self.fixed(x < 0.0, scaled, decimals)
    }

    /// An f32 rounded to 3 places, converted in f32 (i32.trunc_sat_f32_u).
    fn f32(&mut self, x: f32) -> &mut Line {
        let mag = if x < 0.0 { -x } else { x };
        let scaled = (mag * 1000.0 + 0.5) as u32;
        self.fixed(x < 0.0, scaled as u64, 3)
    }

    fn emit(&mut self) {
        self.byte(b'\n');
        // SAFETY: the host reads `len` initialised bytes of our memory and keeps no pointer.
        unsafe { print(self.buf.as_ptr(), self.len) }
    }
}

// ---------------------------------------------------------------------------------------
// Test data

const BUF_LEN: usize = 1024;

/// The 1 KiB "sensor dump" every workload starts from: an LCG's high bytes.
fn gen_buffer(buf: &mut [u8; BUF_LEN]) {
    let mut s: u32 = 0x1234_5678;
    for b in buf.iter_mut() {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        *b = (s >> 24) as u8;
    }
}

fn xorshift32(mut s: u32) -> u32 {
    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    s
}

/// Clamps a guest argument into `0..=max`.
fn clamp(n: i32, max: usize) -> usize {
    if n < 0 {
        0
    } else {
        (n as usize).min(max)
    }
}

// ---------------------------------------------------------------------------------------
// CRC-32 (IEEE, reflected), table in the data segment as it would be in flash

const fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

static CRC_TABLE: [u32; 256] = crc_table();

fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c = CRC_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

/// CRC-32 of the first `n` bytes (clamped to 0..=1024) of the generated buffer.
#[no_mangle]
pub extern "C" fn crc32_len(n: i32) -> i32 {
    let mut buf = [0u8; BUF_LEN];
    gen_buffer(&mut buf);
    crc32(&buf[..clamp(n, BUF_LEN)]) as i32
}

// ---------------------------------------------------------------------------------------
// Sieve of Eratosthenes on a bitset

const SIEVE_MAX: usize = 10_016;

/// Number of primes below `n` (clamped to 0..=10016).
#[no_mangle]
pub extern "C" fn sieve(n: i32) -> i32 {
    let n = clamp(n, SIEVE_MAX);
    let mut composite = [0u32; SIEVE_MAX / 32];
    let mut count = 0;
    for i in 2..n {
        if composite[i / 32] & (1 << (i % 32)) == 0 {
            count += 1;
            let mut j = i * i;
            while j < n {
                composite[j / 32] |= 1 << (j % 32);
                j += i;
            }
        }
    }
    count
}

// ---------------------------------------------------------------------------------------
// Sorting

/// Insertion sort: small code, fine for the 256 elements a sensor window holds.
fn insertion_sort(a: &mut [u32]) {
    for i in 1..a.len() {
        let v = a[i];
        let mut j = i;
        while j > 0 && a[j - 1] > v {
            a[j] = a[j - 1];
            j -= 1;
        }
        a[j] = v;
    }
}

/// Sorts 256 xorshift values from `seed` and hashes them (FNV-1a style) with their
/// positions. Non-negative; -1 if the result were not sorted.
#[no_mangle]
pub extern "C" fn sort_checksum(seed: i32) -> i32 {
    let mut s = if seed == 0 { 0x9E37_79B9 } else { seed as u32 };
    let mut a = [0u32; 256];
    for v in a.iter_mut() {
        s = xorshift32(s);
        *v = s;
    }
    insertion_sort(&mut a);
    let mut h: u32 = 0x811C_9DC5;
    for (i, &v) in a.iter().enumerate() {
        if i > 0 && a[i - 1] > v {
            return -1;
        }
        h = (h ^ v).wrapping_mul(0x0100_0193) ^ i as u32;
    }
    (h & 0x7FFF_FFFF) as i32
}

// ---------------------------------------------------------------------------------------
// Recursion

const FIB_MAX: i32 = 24;

/// Naive recursive Fibonacci (a call-heavy benchmark); -1 outside 0..=24, where the
/// exponential cost would stall a test.
#[no_mangle]
pub extern "C" fn fib(n: i32) -> i32 {
    if !(0..=FIB_MAX).contains(&n) {
        -1
    } else {
        fib_rec(n)
    }
}

fn fib_rec(n: i32) -> i32 {
    if n < 2 {
        n
    } else {
        fib_rec(n - 1).wrapping_add(fib_rec(n - 2))
    }
}

// ---------------------------------------------------------------------------------------
// Floating point

/// cos(2πm/16) for m in 0..16; sin(2πm/16) is entry (m + 12) % 16.
static COS16: [f32; 16] = [
    1.0,
    0.923_879_5,
    0.707_106_77,
    0.382_683_43,
    0.0,
    -0.382_683_43,
    -0.707_106_77,
    -0.923_879_5,
    -1.0,
    -0.923_879_5,
    -0.707_106_77,
    -0.382_683_43,
    0.0,
    0.382_683_43,
    0.707_106_77,
    0.923_879_5,
];

/// Sum of the magnitudes of a 16-point DFT of a synthetic frame (a sawtooth whose
/// frequency, phase and DC offset depend on `n`), as a spectrum check on a vibration
/// sensor would compute it.
#[no_mangle]
pub extern "C" fn f32_kernel(n: i32) -> f32 {
    let step = (n & 7) + 1;
    let dc = (n % 13) as f32 * 0.1;
    let mut x = [0f32; 16];
    for (k, v) in x.iter_mut().enumerate() {
        let t = (k as i32).wrapping_mul(step).wrapping_add(n) & 15;
        *v = t as f32 * 0.25 - 2.0 + dc;
    }
    let mut total = 0f32;
    for j in 0..16 {
        let (mut re, mut im) = (0f32, 0f32);
        for (k, &v) in x.iter().enumerate() {
            let m = (j * k) & 15;
            re += v * COS16[m];
            im -= v * COS16[(m + 12) & 15];
        }
        total += newton_sqrt_f32(re * re + im * im);
    }
    total
}

/// Partial sum of the Basel series, sum of 1/k^2 for k = 1..=n (n clamped to 0..=100000).
#[no_mangle]
pub extern "C" fn fsum(n: i32) -> f64 {
    let n = clamp(n, 100_000) as u32;
    let mut s = 0f64;
    for k in 1..=n {
        let k = k as f64;
        s += 1.0 / (k * k);
    }
    s
}

// Square roots by Newton's method, as firmware without a libm would do them (`sqrt` is not
// in `core`). From above the root the iterates decrease monotonically until they settle.

fn newton_sqrt_f32(a: f32) -> f32 {
    if a <= 0.0 {
        return 0.0;
    }
    let mut x = if a > 1.0 { a } else { 1.0 };
    for _ in 0..100 {
        let next = 0.5 * (x + a / x);
        if next >= x {
            break;
        }
        x = next;
    }
    x
}

fn newton_sqrt(a: f64) -> f64 {
    if a <= 0.0 {
        return 0.0;
    }
    let mut x = if a > 1.0 { a } else { 1.0 };
    for _ in 0..100 {
        let next = 0.5 * (x + a / x);
        if next >= x {
            break;
        }
        x = next;
    }
    x
}

// ---------------------------------------------------------------------------------------
// Packet framing (memory.copy / memory.fill)

const FRAME: usize = 300;

/// Frames `payload` as `7E len payload FF.. ` into a fixed-size radio frame and returns
/// the frame's Adler-32. Variable-length copies and fills become memory.copy/fill.
fn frame_adler(payload: &[u8]) -> u32 {
    let mut frame = [0u8; FRAME];
    let len = payload.len().min(FRAME - 2);
    frame[0] = 0x7E;
    frame[1] = len as u8;
    frame[2..2 + len].copy_from_slice(&payload[..len]);
    frame[2 + len..].fill(0xFF);
    // Hand the frame to a staging buffer (as for DMA), then wipe it as a driver does
    // once the frame is sent.
    let mut staging = [0u8; FRAME];
    staging.copy_from_slice(&frame);
    let sum = adler32(&staging);
    staging.fill(0);
    black_box(&staging);
    sum
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &d in data {
        a = (a + d as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

// ---------------------------------------------------------------------------------------
// Sign extension: packed signed deltas

/// Decodes accelerometer samples stored as four signed 8-bit deltas per word, plus a
/// signed 16-bit correction (bits 7..23, in 1/256 units) per word; returns the final
/// value and the sum of the absolute values of all samples.
fn delta_decode(words: &[u32]) -> (i32, u32) {
    let mut value = 0i32;
    let mut energy = 0u32;
    for &w in words {
        for k in 0..4 {
            value += (w >> (8 * k)) as u8 as i8 as i32;
            energy = energy.wrapping_add(value.unsigned_abs());
        }
        value += (w.rotate_right(7) as u16 as i16 as i32) >> 8;
    }
    (value, energy)
}

// ---------------------------------------------------------------------------------------
// A bytecode dispatcher (br_table)

mod op {
    pub const HALT: u8 = 0;
    pub const PUSH: u8 = 1;
    pub const ARG: u8 = 2;
    pub const ADD: u8 = 3;
    pub const SUB: u8 = 4;
    pub const MUL: u8 = 5;
    pub const DUP: u8 = 6;
    pub const SWAP: u8 = 7;
    pub const OVER: u8 = 8;
    pub const DROP: u8 = 9;
    pub const DEC: u8 = 10;
    pub const JNZ: u8 = 11;
    pub const XOR: u8 = 12;
    pub const SHL: u8 = 13;
    pub const SHR: u8 = 14;
}

/// `arg!` by repeated multiplication.
static FACTORIAL: [u8; 13] = [
    op::PUSH,
    1,
    op::ARG,
    // loop: acc n
    op::SWAP,
    op::OVER,
    op::MUL,
    op::SWAP,
    op::DEC,
    op::DUP,
    op::JNZ,
    -8i8 as u8,
    op::DROP,
    op::HALT,
];

/// One xorshift32 step of `arg`.
static XORSHIFT: [u8; 17] = [
    op::ARG,
    op::DUP,
    op::PUSH,
    13,
    op::SHL,
    op::XOR,
    op::DUP,
    op::PUSH,
    17,
    op::SHR,
    op::XOR,
    op::DUP,
    op::PUSH,
    5,
    op::SHL,
    op::XOR,
    op::HALT,
];

/// Runs a stack program; returns its top of stack, or a negative error code for a bad
/// opcode (-2), stack misuse (-3) or running out of its step budget (-4).
fn vm(code: &[u8], arg: i32) -> i32 {
    let mut stack = [0i32; 16];
    let mut sp = 0usize;
    let mut pc = 0usize;
    for _ in 0..10_000 {
        let Some(&opcode) = code.get(pc) else {
            return -2;
        };
        pc += 1;
        // Stack effect first: how many values the opcode pops, then pushes.
        let (pops, pushes) = match opcode {
            op::HALT => (1, 0),
            op::PUSH | op::ARG => (0, 1),
            op::DUP => (1, 2),
            op::OVER => (2, 3),
            op::SWAP => (2, 2),
            op::DEC => (1, 1),
            op::DROP | op::JNZ => (1, 0),
            _ => (2, 1),
        };
        if sp < pops || sp - pops + pushes > stack.len() {
            return -3;
        }
        let a = if sp >= 1 { stack[sp - 1] } else { 0 };
        let b = if sp >= 2 { stack[sp - 2] } else { 0 };
        match opcode {
            op::HALT => return a,
            op::PUSH => {
                stack[sp] = *code.get(pc).unwrap_or(&0) as i32;
                pc += 1;
            }
            op::ARG => stack[sp] = arg,
            op::ADD => stack[sp - 2] = b.wrapping_add(a),
            op::SUB => stack[sp - 2] = b.wrapping_sub(a),
            op::MUL => stack[sp - 2] = b.wrapping_mul(a),
            op::DUP => stack[sp] = a,
            op::SWAP => {
                stack[sp - 1] = b;
                stack[sp - 2] = a;
            }
            op::OVER => stack[sp] = b,
            op::DROP => {}
            op::DEC => stack[sp - 1] = a.wrapping_sub(1),
            op::JNZ => {
                let rel = *code.get(pc).unwrap_or(&0) as i8;
                pc += 1;
                if a != 0 {
                    pc = pc.wrapping_add(rel as isize as usize);
                }
            }
            op::XOR => stack[sp - 2] = b ^ a,
            op::SHL => stack[sp - 2] = b.wrapping_shl(a as u32),
            op::SHR => stack[sp - 2] = (b as u32).wrapping_shr(a as u32) as i32,
            _ => return -2,
        }
        sp = sp - pops + pushes;
    }
    -4
}

// ---------------------------------------------------------------------------------------
// Function-pointer pipeline (call_indirect)

type Filter = fn(i32) -> i32;

fn scale(x: i32) -> i32 {
    x.wrapping_mul(3)
}
fn offset(x: i32) -> i32 {
    x.wrapping_add(1000)
}
fn limit(x: i32) -> i32 {
    x.clamp(-50_000, 50_000)
}
fn rectify(x: i32) -> i32 {
    x.wrapping_abs()
}
fn halve(x: i32) -> i32 {
    x >> 1
}

static FILTERS: [Filter; 5] = [scale, offset, limit, rectify, halve];

/// Applies the filters the configuration bytes select, in order, to `x`.
fn pipeline(config: &[u8], mut x: i32) -> i32 {
    for &c in config {
        x = FILTERS[c as usize % FILTERS.len()](x);
    }
    x
}

// ---------------------------------------------------------------------------------------
// The demo

/// Folds one result into the run checksum.
fn mix(h: u32, v: u32) -> u32 {
    (h ^ v).wrapping_mul(0x9E37_79B1).rotate_left(13)
}

/// Runs every workload, prints a line for each, and returns a checksum of the results.
#[no_mangle]
pub extern "C" fn run() -> i32 {
    let mut h = 0u32;
    let mut buf = [0u8; BUF_LEN];
    gen_buffer(&mut buf);

    let crc = crc32(&buf);
    Line::new().str("crc32(1 KiB)      = ").hex(crc).emit();
    h = mix(h, crc);

    let primes = sieve(black_box(10_000));
    Line::new()
        .str("primes < 10000    = ")
        .int(primes as i64)
        .emit();
    h = mix(h, primes as u32);

    let sorted = sort_checksum(black_box(2024));
    Line::new()
        .str("sort 256 checksum = ")
        .hex(sorted as u32)
        .emit();
    h = mix(h, sorted as u32);

    let f = fib(black_box(20));
    Line::new().str("fib(20)           = ").int(f as i64).emit();
    h = mix(h, f as u32);

    let dft = f32_kernel(black_box(3));
    Line::new().str("dft16 |X| sum     = ").f32(dft).emit();
    h = mix(h, dft.to_bits());

    let basel = fsum(black_box(1000));
    let pi = newton_sqrt(6.0 * basel);
    Line::new()
        .str("basel(1000)       = ")
        .f64(basel, 6)
        .str(", pi ~ ")
        .f64(pi, 6)
        .emit();
    h = mix(h, basel.to_bits() as u32);
    h = mix(h, (pi.to_bits() >> 32) as u32);

    let payload_len = black_box(200);
    let adler = frame_adler(&buf[100..100 + payload_len]);
    Line::new().str("frame adler32     = ").hex(adler).emit();
    h = mix(h, adler);

    let mut words = [0u32; 64];
    for (w, c) in words.iter_mut().zip(buf.chunks_exact(4)) {
        *w = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    let (last, energy) = delta_decode(&words);
    Line::new()
        .str("deltas: last ")
        .int(last as i64)
        .str(", energy ")
        .int(energy as i64)
        .emit();
    h = mix(h, last as u32);
    h = mix(h, energy);

    let fact = vm(&FACTORIAL, black_box(12));
    let xs = vm(&XORSHIFT, black_box(1));
    Line::new()
        .str("vm: 12! = ")
        .int(fact as i64)
        .str(", xorshift(1) = ")
        .int(xs as i64)
        .emit();
    h = mix(h, fact as u32);
    h = mix(h, xs as u32);

    let filtered = pipeline(&buf[..32], black_box(-1234));
    Line::new()
        .str("filter pipeline   = ")
        .int(filtered as i64)
        .emit();
    h = mix(h, filtered as u32);

    Line::new().str("checksum          = ").hex(h).emit();
    h as i32
}
