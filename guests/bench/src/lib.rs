//! Benchmark workloads for barewasm and its peers: the kind of code firmware runs
//! (hashing, checksums, compression, parsing, DSP, sorting, recursion and a CoreMark-like
//! mix), compiled for `wasm32-unknown-unknown` with rustc's default features.
//!
//! Every export is `fn name(n: i32) -> i32` (the FFT returns `f32`): it runs its workload
//! `n` times (clamped to `0..=MAX_ITERS`), each iteration on slightly different input so
//! nothing can be hoisted out of the loop, and returns a checksum of everything it
//! computed. The bench harness scales `n` per workload and checks that every runtime
//! returns the same checksum. No imports, no allocator, no `core::fmt`.
//!
//! All of the code here is written for this crate; the algorithms are the textbook ones
//! (FIPS 180-4 SHA-256, reflected CRC-32, LZSS with hash chains, recursive-descent JSON,
//! radix-2 FFT), and the `coremark` mix is only inspired by CoreMark's choice of kernels.
#![no_std]

use core::hint::black_box;

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}

/// Upper bound on every export's iteration count, so that any argument returns.
const MAX_ITERS: i32 = 1_000_000;

fn iters(n: i32) -> u32 {
    n.clamp(0, MAX_ITERS) as u32
}

/// xorshift32: the input generator of every workload.
#[derive(Clone, Copy)]
struct Rng(u32);

impl Rng {
    fn new(seed: u32) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9) | 1)
    }

    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// Mixes `v` into a running checksum (FNV-1a style over 32-bit words).
fn mix(acc: u32, v: u32) -> u32 {
    (acc ^ v).wrapping_mul(0x0100_0193).rotate_left(5)
}

// ---------------------------------------------------------------------------------------
// SHA-256 (FIPS 180-4)

const SHA_K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
];

const SHA_H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
    0x5be0cd19,
];

/// An incremental SHA-256 hasher, as a firmware update verifier would keep one.
struct Sha256 {
    state: [u32; 8],
    block: [u8; 64],
    used: usize,
    total: u64,
}

impl Sha256 {
    fn new() -> Sha256 {
        Sha256 {
            state: SHA_H0,
            block: [0; 64],
            used: 0,
            total: 0,
        }
    }

    fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = h
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(SHA_K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *s = s.wrapping_add(v);
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.total += data.len() as u64;
        while !data.is_empty() {
            let take = (64 - self.used).min(data.len());
            self.block[self.used..self.used + take].copy_from_slice(&data[..take]);
            self.used += take;
            data = &data[take..];
            if self.used == 64 {
                Self::compress(&mut self.state, &self.block);
                self.used = 0;
            }
        }
    }

    fn finish(mut self) -> [u8; 32] {
        let bits = self.total * 8;
        self.update(&[0x80]);
        while self.used != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_be_bytes());
        let mut out = [0u8; 32];
        for (chunk, s) in out.chunks_exact_mut(4).zip(self.state) {
            chunk.copy_from_slice(&s.to_be_bytes());
        }
        out
    }
}

/// Hashes a 1 KiB image `n` times, each time prefixed with the previous digest (a hash
/// chain); returns the first word of the last digest.
#[no_mangle]
pub extern "C" fn sha256(n: i32) -> i32 {
    let mut image = [0u8; 1024];
    let mut rng = Rng::new(0x5a);
    for b in image.iter_mut() {
        *b = rng.next() as u8;
    }
    let mut digest = [0u8; 32];
    for _ in 0..iters(n) {
        let mut h = Sha256::new();
        h.update(&digest);
        h.update(black_box(&image[..]));
        digest = h.finish();
    }
    i32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

// ---------------------------------------------------------------------------------------
// CRC-32 (IEEE 802.3, reflected), table driven

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xedb8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static CRC_TABLE: [u32; 256] = crc_table();

fn crc32_update(mut crc: u32, data: &[u8]) -> u32 {
    crc = !crc;
    for &b in data {
        crc = CRC_TABLE[((crc ^ b as u32) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

/// CRC-32 of a 4 KiB buffer, `n` times, one byte changed per pass; returns the
/// combination of all CRCs.
#[no_mangle]
pub extern "C" fn crc32(n: i32) -> i32 {
    let mut buf = [0u8; 4096];
    let mut rng = Rng::new(32);
    for b in buf.iter_mut() {
        *b = rng.next() as u8;
    }
    let mut acc = 0u32;
    for i in 0..iters(n) {
        buf[(i as usize * 7) % buf.len()] ^= i as u8;
        acc = mix(acc, crc32_update(acc, black_box(&buf[..])));
    }
    acc as i32
}

// ---------------------------------------------------------------------------------------
// LZSS compression round trip

const LZ_WINDOW: usize = 4096;
const LZ_MIN: usize = 3;
const LZ_MAX: usize = LZ_MIN + 15;
const LZ_HASH_BITS: u32 = 11;
const LZ_PROBES: usize = 16;
const LZ_INPUT: usize = 3072;
/// Worst case: one flag byte per 8 literals.
const LZ_OUT: usize = LZ_INPUT + LZ_INPUT / 8 + 1;

const WORDS: [&[u8]; 24] = [
    b"sensor", b"temp", b"ok", b"error", b"voltage", b"the", b"rx", b"tx", b"packet",
    b"frame", b"retry", b"timeout", b"node", b"gateway", b"0", b"1", b"42", b"status",
    b"uplink", b"battery", b"low", b"high", b"config", b"crc",
];

/// Log-like text: words from a small vocabulary, separators and numbers.
fn make_text(seed: u32, out: &mut [u8]) {
    let mut rng = Rng::new(seed);
    let mut i = 0;
    while i < out.len() {
        let r = rng.next();
        let word: &[u8] = if r & 0x30 == 0 {
            &[b'0' + (r >> 8) as u8 % 10, b'0' + (r >> 12) as u8 % 10]
        } else {
            WORDS[(r >> 16) as usize % WORDS.len()]
        };
        for &b in word {
            if i < out.len() {
                out[i] = b;
                i += 1;
            }
        }
        if i < out.len() {
            out[i] = if r & 0x7 == 0 { b'\n' } else { b' ' };
            i += 1;
        }
    }
}

fn lz_hash(data: &[u8], i: usize) -> usize {
    let v = (data[i] as u32) | (data[i + 1] as u32) << 8 | (data[i + 2] as u32) << 16;
    (v.wrapping_mul(0x9e37_79b1) >> (32 - LZ_HASH_BITS)) as usize
}

/// LZSS with hash chains: a flag byte announces eight items, each a literal byte or a
/// (12-bit distance, 4-bit length) pair. Returns the compressed length.
fn lz_compress(input: &[u8], out: &mut [u8; LZ_OUT]) -> usize {
    const NONE: u16 = u16::MAX;
    let mut head = [NONE; 1 << LZ_HASH_BITS];
    let mut prev = [NONE; LZ_INPUT];
    let (mut i, mut o) = (0, 0);
    let mut flag_at = 0;
    let mut item = 8;
    while i < input.len() {
        if item == 8 {
            flag_at = o;
            out[o] = 0;
            o += 1;
            item = 0;
        }
        let (mut best_len, mut best_dist) = (0, 0);
        if i + LZ_MIN <= input.len() {
            let h = lz_hash(input, i);
            let mut cand = head[h];
            let mut probes = 0;
            while cand != NONE && probes < LZ_PROBES {
                let c = cand as usize;
                let dist = i - c;
                if dist > LZ_WINDOW {
                    break;
                }
                let max = LZ_MAX.min(input.len() - i);
                let mut len = 0;
                while len < max && input[c + len] == input[i + len] {
                    len += 1;
                }
                if len > best_len {
                    best_len = len;
                    best_dist = dist;
                    if len == max {
                        break;
                    }
                }
                cand = prev[c];
                probes += 1;
            }
        }
        let step = if best_len >= LZ_MIN {
            out[flag_at] |= 1 << item;
            let d = best_dist - 1;
            out[o] = d as u8;
            out[o + 1] = ((d >> 8) as u8) | (((best_len - LZ_MIN) as u8) << 4);
            o += 2;
            best_len
        } else {
            out[o] = input[i];
            o += 1;
            1
        };
        for k in i..i + step {
            if k + LZ_MIN <= input.len() {
                let h = lz_hash(input, k);
                prev[k] = head[h];
                head[h] = k as u16;
            }
        }
        i += step;
        item += 1;
    }
    o
}

/// Inverse of [`lz_compress`]; returns the decompressed length (0 on corrupt input).
fn lz_decompress(input: &[u8], out: &mut [u8]) -> usize {
    let (mut i, mut o) = (0, 0);
    while i < input.len() {
        let flags = input[i];
        i += 1;
        for bit in 0..8 {
            if i >= input.len() {
                break;
            }
            if flags & (1 << bit) != 0 {
                let d = (input[i] as usize | ((input[i + 1] as usize & 0x0f) << 8)) + 1;
                let len = (input[i + 1] >> 4) as usize + LZ_MIN;
                i += 2;
                if d > o || o + len > out.len() {
                    return 0;
                }
                for k in 0..len {
                    out[o + k] = out[o + k - d];
                }
                o += len;
            } else {
                if o >= out.len() {
                    return 0;
                }
                out[o] = input[i];
                i += 1;
                o += 1;
            }
        }
    }
    o
}

/// Compresses and decompresses `n` generated 3 KiB logs, checking each round trip;
/// returns the total compressed size mixed with a CRC of the compressed data, or -1 if a
/// round trip differs.
#[no_mangle]
pub extern "C" fn lzss(n: i32) -> i32 {
    let mut text = [0u8; LZ_INPUT];
    let mut packed = [0u8; LZ_OUT];
    let mut back = [0u8; LZ_INPUT];
    let mut acc = 0u32;
    for i in 0..iters(n) {
        make_text(i, &mut text);
        let len = lz_compress(black_box(&text), &mut packed);
        let out = lz_decompress(&packed[..len], &mut back);
        if out != text.len() || back != text {
            return -1;
        }
        acc = mix(acc, len as u32);
        acc = mix(acc, crc32_update(0, &packed[..len]));
    }
    acc as i32
}

// ---------------------------------------------------------------------------------------
// JSON: tokenizer and recursive-descent parser over a device configuration document

static JSON_DOC: &str = r#"{
  "device": {"id": "node-17", "model": "TH-200", "firmware": "2.4.1", "enabled": true,
             "location": {"lat": 48.137154, "lon": 11.576124, "alt": 519.5}},
  "network": {"ssid": "plant-floor-3", "channel": 11, "dhcp": false,
              "ip": "10.0.3.17", "mask": "255.255.255.0", "retries": 5, "timeout_ms": 2500,
              "peers": ["10.0.3.1", "10.0.3.2", "10.0.3.9", "10.0.3.44"]},
  "sensors": [
    {"name": "temp0", "type": "ntc", "pin": 4, "scale": 0.0125, "offset": -40.0, "rate_hz": 10,
     "alarm": {"low": -20.5, "high": 85.25, "hysteresis": 1.5}},
    {"name": "temp1", "type": "ntc", "pin": 5, "scale": 0.0125, "offset": -40.0, "rate_hz": 10,
     "alarm": {"low": -20.5, "high": 85.25, "hysteresis": 1.5}},
    {"name": "hum0", "type": "capacitive", "pin": 6, "scale": 0.1, "offset": 0, "rate_hz": 1,
     "alarm": null},
    {"name": "press0", "type": "bmp", "bus": "i2c1", "addr": 118, "rate_hz": 4,
     "calib": [27504, 26435, -1000, 36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000]},
    {"name": "vbat", "type": "adc", "pin": 0, "scale": 0.00161, "offset": 0, "rate_hz": 0.2,
     "alarm": {"low": 3.3, "high": 4.25, "hysteresis": 0.05}}
  ],
  "schedule": [[0, 600, "sample"], [600, 60, "uplink"], [3600, 1, "calibrate"],
               [86400, 1, "reboot"]],
  "log": {"level": "warn", "sink": "uart\u0030", "format": "text \"compact\"\n",
          "buffer": 4096},
  "limits": {"max_payload": 242, "duty_cycle": 0.01, "tx_power_dbm": 14, "exp": 1.5e3,
             "tiny": 2.5E-4}
}"#;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tok {
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Colon,
    Comma,
    /// A string: hash of its decoded content.
    Str(u32),
    /// A number in millionths (fixed point).
    Num(i64),
    True,
    False,
    Null,
    End,
    Bad,
}

struct Lexer<'a> {
    s: &'a [u8],
    i: usize,
}

impl Lexer<'_> {
    fn next(&mut self) -> Tok {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\n' | b'\r' | b'\t') {
            self.i += 1;
        }
        let Some(&c) = self.s.get(self.i) else {
            return Tok::End;
        };
        self.i += 1;
        match c {
            b'{' => Tok::LBrace,
            b'}' => Tok::RBrace,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b':' => Tok::Colon,
            b',' => Tok::Comma,
            b'"' => self.string(),
            b'-' | b'0'..=b'9' => self.number(c),
            b't' => self.word(b"rue", Tok::True),
            b'f' => self.word(b"alse", Tok::False),
            b'n' => self.word(b"ull", Tok::Null),
            _ => Tok::Bad,
        }
    }

    fn word(&mut self, rest: &[u8], tok: Tok) -> Tok {
        if self.s[self.i..].starts_with(rest) {
            self.i += rest.len();
            tok
        } else {
            Tok::Bad
        }
    }

    fn string(&mut self) -> Tok {
        let mut h = 0x811c_9dc5u32;
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Tok::Bad;
            };
            self.i += 1;
            let decoded = match c {
                b'"' => return Tok::Str(h),
                b'\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Tok::Bad;
                    };
                    self.i += 1;
                    match e {
                        b'n' => b'\n' as u32,
                        b't' => b'\t' as u32,
                        b'r' => b'\r' as u32,
                        b'"' | b'\\' | b'/' => e as u32,
                        b'u' => {
                            let mut v = 0u32;
                            for _ in 0..4 {
                                let Some(d) = self.s.get(self.i).and_then(|&d| hex(d)) else {
                                    return Tok::Bad;
                                };
                                v = v << 4 | d;
                                self.i += 1;
                            }
                            v
                        }
                        _ => return Tok::Bad,
                    }
                }
                _ => c as u32,
            };
            h = (h ^ decoded).wrapping_mul(0x0100_0193);
        }
    }

    /// Parses a JSON number into millionths, without floats.
    fn number(&mut self, first: u8) -> Tok {
        let neg = first == b'-';
        let mut int: i64 = if neg { 0 } else { (first - b'0') as i64 };
        while let Some(d @ b'0'..=b'9') = self.s.get(self.i).copied() {
            int = int.saturating_mul(10).saturating_add((d - b'0') as i64);
            self.i += 1;
        }
        let mut frac: i64 = 0;
        let mut scale: i64 = 1_000_000;
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            while let Some(d @ b'0'..=b'9') = self.s.get(self.i).copied() {
                if scale > 1 {
                    scale /= 10;
                    frac += (d - b'0') as i64 * scale;
                }
                self.i += 1;
            }
        }
        let mut v = int.saturating_mul(1_000_000).saturating_add(frac);
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            let eneg = match self.s.get(self.i) {
                Some(b'-') => {
                    self.i += 1;
                    true
                }
                Some(b'+') => {
                    self.i += 1;
                    false
                }
                _ => false,
            };
            let mut e = 0;
            while let Some(d @ b'0'..=b'9') = self.s.get(self.i).copied() {
                e = (e * 10 + (d - b'0') as u32).min(30);
                self.i += 1;
            }
            for _ in 0..e {
                v = if eneg { v / 10 } else { v.saturating_mul(10) };
            }
        }
        Tok::Num(if neg { -v } else { v })
    }
}

fn hex(d: u8) -> Option<u32> {
    match d {
        b'0'..=b'9' => Some((d - b'0') as u32),
        b'a'..=b'f' => Some((d - b'a' + 10) as u32),
        b'A'..=b'F' => Some((d - b'A' + 10) as u32),
        _ => None,
    }
}

/// What the parser gathers from a document.
#[derive(Default)]
struct Summary {
    objects: u32,
    arrays: u32,
    keys: u32,
    strings: u32,
    numbers: i64,
    hash: u32,
    max_depth: u32,
}

struct Parser<'a> {
    lex: Lexer<'a>,
    tok: Tok,
    sum: Summary,
}

impl Parser<'_> {
    fn bump(&mut self) {
        self.tok = self.lex.next();
    }

    fn value(&mut self, depth: u32) -> Result<(), ()> {
        if depth > 32 {
            return Err(());
        }
        self.sum.max_depth = self.sum.max_depth.max(depth);
        match self.tok {
            Tok::LBrace => {
                self.sum.objects += 1;
                self.bump();
                if self.tok == Tok::RBrace {
                    self.bump();
                    return Ok(());
                }
                loop {
                    let Tok::Str(k) = self.tok else {
                        return Err(());
                    };
                    self.sum.keys += 1;
                    self.sum.hash = mix(self.sum.hash, k.wrapping_add(depth));
                    self.bump();
                    if self.tok != Tok::Colon {
                        return Err(());
                    }
                    self.bump();
                    self.value(depth + 1)?;
                    match self.tok {
                        Tok::Comma => self.bump(),
                        Tok::RBrace => {
                            self.bump();
                            return Ok(());
                        }
                        _ => return Err(()),
                    }
                }
            }
            Tok::LBracket => {
                self.sum.arrays += 1;
                self.bump();
                if self.tok == Tok::RBracket {
                    self.bump();
                    return Ok(());
                }
                let mut index = 0u32;
                loop {
                    self.value(depth + 1)?;
                    index += 1;
                    match self.tok {
                        Tok::Comma => self.bump(),
                        Tok::RBracket => {
                            self.sum.hash = mix(self.sum.hash, index);
                            self.bump();
                            return Ok(());
                        }
                        _ => return Err(()),
                    }
                }
            }
            Tok::Str(h) => {
                self.sum.strings += 1;
                self.sum.hash = mix(self.sum.hash, h);
                self.bump();
                Ok(())
            }
            Tok::Num(v) => {
                self.sum.numbers = self.sum.numbers.wrapping_add(v);
                self.bump();
                Ok(())
            }
            Tok::True | Tok::False | Tok::Null => {
                let v = match self.tok {
                    Tok::True => 1,
                    Tok::False => 2,
                    _ => 3,
                };
                self.sum.hash = mix(self.sum.hash, v);
                self.bump();
                Ok(())
            }
            _ => Err(()),
        }
    }
}

fn parse_json(doc: &[u8]) -> Option<Summary> {
    let mut p = Parser {
        lex: Lexer { s: doc, i: 0 },
        tok: Tok::End,
        sum: Summary::default(),
    };
    p.bump();
    p.value(0).ok()?;
    (p.tok == Tok::End).then_some(p.sum)
}

/// Parses the embedded configuration document `n` times; returns a checksum of what the
/// parser found (counts, the sum of all numbers, a hash of keys and strings), or -1 if
/// the document does not parse.
#[no_mangle]
pub extern "C" fn json(n: i32) -> i32 {
    let mut acc = 0u32;
    for i in 0..iters(n) {
        let Some(s) = parse_json(black_box(JSON_DOC.as_bytes())) else {
            return -1;
        };
        acc = mix(acc, s.objects | s.arrays << 8 | s.max_depth << 16);
        acc = mix(acc, s.keys ^ s.strings << 12);
        acc = mix(acc, s.numbers as u32 ^ (s.numbers >> 32) as u32);
        acc = mix(acc, s.hash ^ i);
    }
    acc as i32
}

// ---------------------------------------------------------------------------------------
// FFT: 256-point complex radix-2, f32

const FFT_N: usize = 256;
const FFT_LOG: u32 = 8;

/// sin(x) for |x| <= pi by range reduction to [-pi/2, pi/2] and a Taylor polynomial.
fn sin_approx(x: f32) -> f32 {
    const PI: f32 = core::f32::consts::PI;
    let x = if x > PI / 2.0 {
        PI - x
    } else if x < -PI / 2.0 {
        -PI - x
    } else {
        x
    };
    let x2 = x * x;
    x * (1.0 - x2 / 6.0 * (1.0 - x2 / 20.0 * (1.0 - x2 / 42.0 * (1.0 - x2 / 72.0))))
}

fn twiddles(re: &mut [f32; FFT_N / 2], im: &mut [f32; FFT_N / 2]) {
    for k in 0..FFT_N / 2 {
        let a = -2.0 * core::f32::consts::PI * k as f32 / FFT_N as f32;
        im[k] = sin_approx(a);
        // cos(a) = sin(a + pi/2), kept inside [-pi, pi].
        re[k] = sin_approx(a + core::f32::consts::PI / 2.0);
    }
}

fn fft_in_place(
    re: &mut [f32; FFT_N],
    im: &mut [f32; FFT_N],
    tw_re: &[f32; FFT_N / 2],
    tw_im: &[f32; FFT_N / 2],
) {
    for i in 0..FFT_N {
        let j = (i as u32).reverse_bits() as usize >> (32 - FFT_LOG);
        if j > i {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= FFT_N {
        let half = len / 2;
        let stride = FFT_N / len;
        for start in (0..FFT_N).step_by(len) {
            for k in 0..half {
                let (wr, wi) = (tw_re[k * stride], tw_im[k * stride]);
                let (a, b) = (start + k, start + k + half);
                let tr = re[b] * wr - im[b] * wi;
                let ti = re[b] * wi + im[b] * wr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
        len *= 2;
    }
}

/// `n` FFTs of 256 noisy samples of a three-tone signal; returns the accumulated power
/// of a few bins and the total energy (f32, deterministic IEEE arithmetic).
#[no_mangle]
pub extern "C" fn fft(n: i32) -> f32 {
    let (mut tw_re, mut tw_im) = ([0f32; FFT_N / 2], [0f32; FFT_N / 2]);
    twiddles(&mut tw_re, &mut tw_im);
    let mut rng = Rng::new(256);
    let mut acc = 0f32;
    for _ in 0..iters(n) {
        let mut re = [0f32; FFT_N];
        let mut im = [0f32; FFT_N];
        for (t, x) in re.iter_mut().enumerate() {
            // Three tones from the twiddle table (bins 5, 17 and 40) plus noise.
            let s = tw_re[(t * 5) % (FFT_N / 2)]
                + 0.5 * tw_im[(t * 17) % (FFT_N / 2)]
                + 0.25 * tw_re[(t * 40) % (FFT_N / 2)];
            let noise = (rng.next() >> 8) as f32 / 16_777_216.0 - 0.5;
            *x = s + 0.1 * noise;
        }
        fft_in_place(&mut re, &mut im, &tw_re, &tw_im);
        let mut energy = 0f32;
        for k in 0..FFT_N {
            energy += re[k] * re[k] + im[k] * im[k];
        }
        let peaks = re[5] * re[5] + im[5] * im[5] + re[17] * re[17] + im[17] * im[17];
        acc += peaks / energy + energy * 1e-6;
    }
    acc
}

// ---------------------------------------------------------------------------------------
// Sorting

/// Bottom-up merge sort of `a` using `tmp` (same length) as the other buffer.
fn merge_sort(a: &mut [i32], tmp: &mut [i32]) {
    let n = a.len();
    let mut width = 1;
    let mut src_is_a = true;
    while width < n {
        {
            let (src, dst): (&[i32], &mut [i32]) = if src_is_a {
                (&*a, &mut *tmp)
            } else {
                (&*tmp, &mut *a)
            };
            let mut lo = 0;
            while lo < n {
                let mid = (lo + width).min(n);
                let hi = (lo + 2 * width).min(n);
                let (mut i, mut j, mut k) = (lo, mid, lo);
                while i < mid && j < hi {
                    if src[i] <= src[j] {
                        dst[k] = src[i];
                        i += 1;
                    } else {
                        dst[k] = src[j];
                        j += 1;
                    }
                    k += 1;
                }
                dst[k..k + (mid - i)].copy_from_slice(&src[i..mid]);
                k += mid - i;
                dst[k..k + (hi - j)].copy_from_slice(&src[j..hi]);
                lo = hi;
            }
        }
        src_is_a = !src_is_a;
        width *= 2;
    }
    if !src_is_a {
        a.copy_from_slice(tmp);
    }
}

/// Sorted-ness check and a positional hash.
fn sorted_hash<T: Copy + PartialOrd + Into<i64>>(v: &[T]) -> Option<u32> {
    let mut h = 0u32;
    for (i, w) in v.windows(2).enumerate() {
        if w[0] > w[1] {
            return None;
        }
        h = mix(h, (w[0].into() as u32).wrapping_add(i as u32));
    }
    Some(h)
}

/// `n` rounds of sorting 1024 random `u32` with core's `sort_unstable`, 512 records by
/// key with `sort_unstable_by_key`, and 1024 `i32` with a hand-written merge sort;
/// returns a hash of the sorted data, or -1 if anything came out unsorted.
#[no_mangle]
pub extern "C" fn sort(n: i32) -> i32 {
    let mut acc = 0u32;
    let mut rng = Rng::new(1024);
    for _ in 0..iters(n) {
        let mut a = [0u32; 1024];
        for x in a.iter_mut() {
            *x = rng.next();
        }
        black_box(&mut a).sort_unstable();
        let Some(h) = sorted_hash(&a) else { return -1 };
        acc = mix(acc, h);

        let mut recs = [(0u16, 0u32); 512];
        for r in recs.iter_mut() {
            let v = rng.next();
            *r = ((v >> 20) as u16, v);
        }
        black_box(&mut recs).sort_unstable_by_key(|r| r.0);
        let keys: [u16; 512] = core::array::from_fn(|i| recs[i].0);
        let Some(h) = sorted_hash(&keys) else { return -1 };
        acc = mix(acc, h ^ recs[255].1);

        let mut b = [0i32; 1024];
        let mut tmp = [0i32; 1024];
        for x in b.iter_mut() {
            *x = rng.next() as i32 >> 4;
        }
        merge_sort(black_box(&mut b), &mut tmp);
        let Some(h) = sorted_hash(&b) else { return -1 };
        acc = mix(acc, h);
    }
    acc as i32
}

// ---------------------------------------------------------------------------------------
// Deep recursion

fn fib(n: u32) -> u32 {
    if n < 2 {
        n
    } else {
        fib(n - 1).wrapping_add(fib(n - 2))
    }
}

/// Ackermann's function: deep, irregular recursion (A(2, n) recurses about 2n+3 deep).
fn ackermann(m: u32, n: u32) -> u32 {
    if m == 0 {
        n + 1
    } else if n == 0 {
        ackermann(m - 1, 1)
    } else {
        ackermann(m - 1, ackermann(m, n - 1))
    }
}

/// A recursive evaluator over an implicit expression tree: node `k` at depth `d` is an
/// operator on two children until `d` reaches `max`; a linear spine makes it `max` deep.
fn eval(k: u32, d: u32, max: u32) -> u32 {
    if d >= max {
        return k.wrapping_mul(2_654_435_761) >> 20;
    }
    let spine = eval(k.wrapping_mul(3).wrapping_add(1), d + 1, max);
    match k % 4 {
        0 => spine.wrapping_add(k),
        1 => spine ^ (k << 3),
        2 => spine.wrapping_mul(3),
        _ => spine.rotate_left(k % 31),
    }
}

/// `n` rounds of recursive Fibonacci (fib(15), ~2000 calls), Ackermann A(2, 40) (about
/// 80 calls deep) and a 200-deep evaluator; returns the combined results.
#[no_mangle]
pub extern "C" fn recursion(n: i32) -> i32 {
    let mut acc = 0u32;
    for i in 0..iters(n) {
        acc = mix(acc, fib(black_box(15)));
        acc = mix(acc, ackermann(2, black_box(40)));
        acc = mix(acc, eval(black_box(i), 0, black_box(200)));
    }
    acc as i32
}

// ---------------------------------------------------------------------------------------
// A CoreMark-like mix: linked list, matrix and state machine, checked with CRC-16

fn crc16_update(mut crc: u16, v: u16) -> u16 {
    for byte in v.to_le_bytes() {
        crc ^= byte as u16;
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xa001 } else { crc >> 1 };
        }
    }
    crc
}

const LIST_LEN: usize = 64;
const NIL: u8 = u8::MAX;

/// A singly linked list in a fixed pool, linked by index.
struct List {
    next: [u8; LIST_LEN],
    value: [i16; LIST_LEN],
    order: [u8; LIST_LEN],
    head: u8,
}

impl List {
    fn new(seed: u32) -> List {
        let mut rng = Rng::new(seed);
        let mut l = List {
            next: [NIL; LIST_LEN],
            value: [0; LIST_LEN],
            order: [0; LIST_LEN],
            head: 0,
        };
        for i in 0..LIST_LEN {
            l.next[i] = if i + 1 < LIST_LEN { i as u8 + 1 } else { NIL };
            l.value[i] = (rng.next() >> 17) as i16;
            l.order[i] = i as u8;
        }
        l
    }

    fn find(&self, v: i16) -> Option<u8> {
        let mut p = self.head;
        while p != NIL {
            if self.value[p as usize] & 0xff == v & 0xff {
                return Some(p);
            }
            p = self.next[p as usize];
        }
        None
    }

    fn reverse(&mut self) {
        let (mut prev, mut p) = (NIL, self.head);
        while p != NIL {
            let next = self.next[p as usize];
            self.next[p as usize] = prev;
            prev = p;
            p = next;
        }
        self.head = prev;
    }

    /// Merge sort on the list itself (bottom-up, no extra storage), by `key`.
    fn sort_by(&mut self, key: impl Fn(&List, u8) -> i32) {
        let mut width = 1;
        loop {
            let (mut p, mut head, mut tail) = (self.head, NIL, NIL);
            let mut merges = 0;
            while p != NIL {
                merges += 1;
                let mut q = p;
                let mut psize = 0;
                while psize < width && q != NIL {
                    q = self.next[q as usize];
                    psize += 1;
                }
                let mut qsize = width;
                while psize > 0 || (qsize > 0 && q != NIL) {
                    let take_p = if psize == 0 {
                        false
                    } else if qsize == 0 || q == NIL {
                        true
                    } else {
                        key(self, p) <= key(self, q)
                    };
                    let e = if take_p {
                        let e = p;
                        p = self.next[p as usize];
                        psize -= 1;
                        e
                    } else {
                        let e = q;
                        q = self.next[q as usize];
                        qsize -= 1;
                        e
                    };
                    if tail == NIL {
                        head = e;
                    } else {
                        self.next[tail as usize] = e;
                    }
                    tail = e;
                }
                p = q;
            }
            self.next[tail as usize] = NIL;
            self.head = head;
            if merges <= 1 {
                return;
            }
            width *= 2;
        }
    }

    fn checksum(&self) -> u16 {
        let mut crc = 0;
        let mut p = self.head;
        while p != NIL {
            crc = crc16_update(crc, self.value[p as usize] as u16);
            p = self.next[p as usize];
        }
        crc
    }
}

const MAT: usize = 12;

/// Matrix work: multiply by a constant, matrix-vector and matrix-matrix products, and
/// a bit-field extraction over the result, all in integers.
fn matrix_work(a: &mut [[i16; MAT]; MAT], b: &[[i16; MAT]; MAT], k: i16) -> u16 {
    let mut crc = 0;
    for row in a.iter_mut() {
        for x in row.iter_mut() {
            *x = x.wrapping_add(k);
        }
    }
    let mut v = [0i32; MAT];
    for i in 0..MAT {
        for j in 0..MAT {
            v[i] = v[i].wrapping_add(a[i][j] as i32 * b[j][0] as i32);
        }
        crc = crc16_update(crc, v[i] as u16);
    }
    let mut c = [[0i32; MAT]; MAT];
    for i in 0..MAT {
        for j in 0..MAT {
            let mut s = 0i32;
            for t in 0..MAT {
                s = s.wrapping_add(a[i][t] as i32 * b[t][j] as i32);
            }
            c[i][j] = s;
        }
    }
    let mut bits = 0u32;
    for row in &c {
        for &x in row {
            bits = bits.wrapping_add(((x >> 2) & 0xf) as u32 * ((x >> 5) & 0x7f) as u32);
        }
    }
    crc16_update(crc, bits as u16)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    Int,
    Sign,
    Frac,
    Exp,
    ExpSign,
    ExpInt,
    Hex,
    Invalid,
}

/// Classifies each comma-separated token of `s` with a state machine; returns how many
/// tokens ended in each state and the number of transitions.
fn scan(s: &[u8], counts: &mut [u32; 9]) -> u32 {
    let mut transitions = 0;
    let mut state = State::Start;
    for &c in s {
        if c == b',' {
            counts[state as usize] += 1;
            state = State::Start;
            continue;
        }
        let next = match state {
            State::Start => match c {
                b'0'..=b'9' => State::Int,
                b'+' | b'-' => State::Sign,
                b'.' => State::Frac,
                _ => State::Invalid,
            },
            State::Sign => match c {
                b'0'..=b'9' => State::Int,
                b'.' => State::Frac,
                _ => State::Invalid,
            },
            State::Int => match c {
                b'0'..=b'9' => State::Int,
                b'.' => State::Frac,
                b'e' | b'E' => State::Exp,
                b'x' => State::Hex,
                _ => State::Invalid,
            },
            State::Frac => match c {
                b'0'..=b'9' => State::Frac,
                b'e' | b'E' => State::Exp,
                _ => State::Invalid,
            },
            State::Exp => match c {
                b'+' | b'-' => State::ExpSign,
                b'0'..=b'9' => State::ExpInt,
                _ => State::Invalid,
            },
            State::ExpSign | State::ExpInt => match c {
                b'0'..=b'9' => State::ExpInt,
                _ => State::Invalid,
            },
            State::Hex => match c {
                b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => State::Hex,
                _ => State::Invalid,
            },
            State::Invalid => State::Invalid,
        };
        if next != state {
            transitions += 1;
        }
        state = next;
    }
    counts[state as usize] += 1;
    transitions
}

const SCAN_PIECES: [&[u8]; 10] = [
    b"5012", b"1234", b"-874", b"+122", b"35.54400", b".1234500", b"-110.700", b"+0.64400",
    b"5.500e+3", b"0x1fA",
];

/// `n` rounds of a CoreMark-like mix on data seeded by the round: list find/reverse/sort
/// by value and back by insertion order, a 12x12 integer matrix kernel, and a
/// number-classifying state machine over 256 bytes of input; every result goes into a
/// CRC-16.
#[no_mangle]
pub extern "C" fn coremark(n: i32) -> i32 {
    let mut crc = 0u16;
    let mut rng = Rng::new(7);
    let mut a = [[0i16; MAT]; MAT];
    let mut b = [[0i16; MAT]; MAT];
    for i in 0..MAT {
        for j in 0..MAT {
            a[i][j] = (rng.next() >> 24) as i16 - 128;
            b[i][j] = (rng.next() >> 26) as i16;
        }
    }
    let mut text = [0u8; 256];
    for round in 0..iters(n) {
        // List.
        let mut list = List::new(round);
        for probe in 0..8 {
            let found = list.find(black_box(probe * 37) as i16);
            crc = crc16_update(crc, found.map_or(0xffff, |p| p as u16));
        }
        list.reverse();
        list.sort_by(|l, p| l.value[p as usize] as i32);
        crc = crc16_update(crc, list.checksum());
        list.sort_by(|l, p| l.order[p as usize] as i32);
        crc = crc16_update(crc, list.checksum());

        // Matrix.
        crc = crc16_update(crc, matrix_work(&mut a, &b, (round & 7) as i16 - 3));

        // State machine over pieces chosen by the round, with some bytes corrupted.
        let mut i = 0;
        let mut r = Rng::new(round);
        while i < text.len() {
            let piece = SCAN_PIECES[r.next() as usize % SCAN_PIECES.len()];
            for &c in piece.iter().chain(b",") {
                if i < text.len() {
                    text[i] = if r.next() % 64 == 0 { b'z' } else { c };
                    i += 1;
                }
            }
        }
        let mut counts = [0u32; 9];
        let transitions = scan(black_box(&text), &mut counts);
        crc = crc16_update(crc, transitions as u16);
        for c in counts {
            crc = crc16_update(crc, c as u16);
        }
    }
    crc as i32
}
