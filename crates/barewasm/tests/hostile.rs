//! Hostile input: no module bytes, however malformed, may make `Module::new` panic, recurse
//! on the native stack, run for long, or write outside what it reports using. Every bad
//! input must get a typed error with a byte offset inside the module.
//!
//! Modules are built byte by byte here (or with `wat` and then taken apart), so each test
//! knows exactly where the offending byte is.

use barewasm::module::Counts;
use barewasm::validate::{counts, scratch_bytes};
use barewasm::{BufferKind, Category, Error, ErrorKind, Limits, Module};

// ---------------------------------------------------------------------------------------
// Building modules
// ---------------------------------------------------------------------------------------

const HEADER: [u8; 8] = *b"\0asm\x01\0\0\0";

fn leb(mut n: u32) -> Vec<u8> {
    let mut v = Vec::new();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            v.push(b);
            return v;
        }
        v.push(b | 0x80);
    }
}

/// `count` as a LEB128, then the items.
fn vec_of(items: &[&[u8]]) -> Vec<u8> {
    let mut v = leb(items.len() as u32);
    for i in items {
        v.extend_from_slice(i);
    }
    v
}

/// A section: id, size, contents.
fn section(id: u8, contents: &[u8]) -> Vec<u8> {
    let mut v = vec![id];
    v.extend(leb(contents.len() as u32));
    v.extend_from_slice(contents);
    v
}

/// The header followed by these sections (already encoded, or raw bytes).
fn module(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut v = HEADER.to_vec();
    for p in parts {
        v.extend_from_slice(p);
    }
    v
}

/// A function body: size, then `locals_and_code`.
fn body(locals_and_code: &[u8]) -> Vec<u8> {
    let mut v = leb(locals_and_code.len() as u32);
    v.extend_from_slice(locals_and_code);
    v
}

const NO_LOCALS: u8 = 0;
const END: u8 = 0x0b;

/// A module with type 0 = `func_type` (bytes after 0x60), an optional memory, and one
/// function of type 0 whose body (locals and code) is `b`. The code section comes last,
/// so the body occupies the module's final `b.len()` bytes.
fn one_func(func_type: &[u8], memory: bool, b: &[u8]) -> Vec<u8> {
    let mut ty = vec![0x60];
    ty.extend_from_slice(func_type);
    let mut parts = vec![section(1, &vec_of(&[&ty])), section(3, &vec_of(&[&[0]]))];
    if memory {
        parts.push(section(5, &vec_of(&[&[0, 1]])));
    }
    parts.push(section(10, &vec_of(&[&body(b)])));
    module(&parts)
}

/// `() -> ()`.
const VOID: &[u8] = &[0, 0];
/// `() -> i32`.
const TO_I32: &[u8] = &[0, 1, 0x7f];

/// Where a body built by [`one_func`] starts (its local declarations).
fn body_start(m: &[u8], b: &[u8]) -> usize {
    m.len() - b.len()
}

/// A section of a module as found by walking it: `id` at `id_at`, contents `start..end`.
#[derive(Clone, Copy, Debug)]
struct Sec {
    id: u8,
    id_at: usize,
    start: usize,
    end: usize,
}

fn read_leb(b: &[u8], pos: &mut usize) -> u32 {
    let (mut v, mut shift) = (0u32, 0);
    loop {
        let x = b[*pos];
        *pos += 1;
        v |= ((x & 0x7f) as u32) << shift;
        if x & 0x80 == 0 {
            return v;
        }
        shift += 7;
    }
}

/// The sections of a well-formed module.
fn sections_of(m: &[u8]) -> Vec<Sec> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < m.len() {
        let id_at = pos;
        let id = m[pos];
        pos += 1;
        let size = read_leb(m, &mut pos) as usize;
        out.push(Sec {
            id,
            id_at,
            start: pos,
            end: pos + size,
        });
        pos += size;
    }
    out
}

/// The function bodies (contents after each size) of a well-formed module.
fn bodies_of(m: &[u8]) -> Vec<(usize, usize)> {
    let Some(code) = sections_of(m).into_iter().find(|s| s.id == 10) else {
        return Vec::new();
    };
    let mut pos = code.start;
    let n = read_leb(m, &mut pos);
    (0..n)
        .map(|_| {
            let size = read_leb(m, &mut pos) as usize;
            pos += size;
            (pos - size, pos)
        })
        .collect()
}

/// `m` with body `i` replaced by `new` and the sizes around it re-encoded.
fn replace_body(m: &[u8], i: usize, new: &[u8]) -> Vec<u8> {
    let secs = sections_of(m);
    let code = secs.iter().find(|s| s.id == 10).unwrap();
    let bodies = bodies_of(m);
    let mut contents = leb(bodies.len() as u32);
    for (k, &(s, e)) in bodies.iter().enumerate() {
        contents.extend(body(if k == i { new } else { &m[s..e] }));
    }
    let mut out = m[..code.id_at].to_vec();
    out.extend(section(10, &contents));
    out.extend_from_slice(&m[code.end..]);
    out
}

/// `m` with a custom section inserted before the section at index `before` (or at the end).
fn with_custom(m: &[u8], before: usize, name: &str, payload: &[u8]) -> Vec<u8> {
    let secs = sections_of(m);
    let at = secs.get(before).map_or(m.len(), |s| s.id_at);
    let mut contents = leb(name.len() as u32);
    contents.extend_from_slice(name.as_bytes());
    contents.extend_from_slice(payload);
    let mut out = m[..at].to_vec();
    out.extend(section(0, &contents));
    out.extend_from_slice(&m[at..]);
    out
}

/// Valid modules that between them use every section and most immediates' encodings.
fn corpus() -> Vec<Vec<u8>> {
    let full = wat::parse_str(FULL).unwrap();
    let small = wat::parse_str(SMALL).unwrap();
    // Custom sections first, in the middle and last.
    let custom = with_custom(&with_custom(&full, 0, "first", b"\x01\x02"), 6, "mid", b"");
    let custom = with_custom(&custom, usize::MAX, "last", &[0xff; 20]);
    vec![full, small, custom, DOC_EXAMPLE.to_vec()]
}

/// Every section, including start, element (active, passive, declarative) and data count.
const FULL: &str = r#"
(module
  (type $v (func))
  (type $ii (func (param i32) (result i32)))
  (type $multi (func (param i32 i64) (result i64 i32)))
  (import "env" "f" (func $imp (type $ii)))
  (import "env" "g" (global $ig i32))
  (import "env" "t" (table $it 1 funcref))
  (table $tab 4 8 funcref)
  (table $ext 1 externref)
  (memory 1 2)
  (global $g (mut i32) (i32.const 5))
  (global $h i64 (i64.const -1))
  (global $r funcref (ref.func $run))
  (global $x (mut f64) (f64.const 1.5))
  (export "run" (func $run))
  (export "mem" (memory 0))
  (export "g" (global $g))
  (export "tab" (table $tab))
  (start $init)
  (elem (table $tab) (i32.const 0) func $run $imp)
  (elem funcref (ref.func $init) (ref.null func))
  (elem declare func $init)
  (data (i32.const 0) "hello")
  (data "passive")
  (func $init (type $v)
    (data.drop 1)
    (memory.init 1 (i32.const 0) (i32.const 0) (i32.const 0)))
  (func $run (type $ii) (local i64 f32 f64)
    (local.set 1 (i64.const 0x123456789abcdef))
    (local.set 2 (f32.const -0.5))
    (local.set 3 (f64.const 2.25))
    (i32.store offset=4 align=2 (i32.const 0) (i32.const 1))
    (drop (i64.load offset=100000 (i32.const 8)))
    (drop (memory.grow (memory.size)))
    (memory.fill (i32.const 0) (i32.const 0) (i32.const 4))
    (memory.copy (i32.const 0) (i32.const 4) (i32.const 4))
    (table.set $tab (i32.const 1) (table.get $tab (i32.const 0)))
    (drop (call_indirect $tab (type $ii) (i32.const 3) (i32.const 0)))
    (drop (ref.is_null (ref.func $init)))
    (drop (select (i32.const 1) (i32.const 2) (local.get 0)))
    (drop (i32.add (global.get $ig) (call $imp (i32.const -200000))))
    (global.set $g (i32.const -1))
    (i32.const 0) (i64.const 0)
    (block (type $multi) (param i32 i64) (result i64 i32)
      (drop) (drop) (i64.const 1) (i32.const 2))
    (drop) (drop)
    (block $b (result i32)
      (loop $l
        (br_if $l (i32.eqz (local.get 0))))
      (drop (if (result i32) (local.get 0)
        (then (i32.const 1))
        (else (i32.const 2))))
      (br_table $b $b $b (i32.const 7) (local.get 0)))))
"#;

const SMALL: &str = r#"
(module
  (memory (import "env" "m") 1)
  (func (export "sum") (param i32 i32) (result i32)
    (local i32)
    (loop $top
      (local.set 2 (i32.add (local.get 2) (i32.load8_u (local.get 0))))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br_if $top (local.tee 1 (i32.sub (local.get 1) (i32.const 1)))))
    (local.get 2))
  (data (i32.const 16) "\00\01\02\03"))
"#;

/// The example from the crate documentation.
const DOC_EXAMPLE: &[u8] = &[
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 5, 1, 1, 0x66, 0, 0,
    10, 6, 1, 4, 0, 0x41, 7, 0x0b,
];

// ---------------------------------------------------------------------------------------
// Running the validator
// ---------------------------------------------------------------------------------------

/// What an accepted module reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Accepted {
    state_bytes: usize,
    scratch_bytes: u32,
    max_nesting: u32,
    side_entries: u32,
}

/// Reusable buffers, big enough for any module of a few KiB (state needs at most ~64
/// bytes per module byte, scratch 20 KiB plus 8 per export), so that the fuzz loops
/// do not allocate per input and feed the validator buffers left dirty by the last one.
struct Bufs {
    state: Vec<u64>,
    scratch: Vec<u64>,
}

impl Bufs {
    fn new(state_bytes: usize, scratch_bytes: usize) -> Self {
        Bufs {
            state: vec![0; state_bytes.div_ceil(8)],
            scratch: vec![0; scratch_bytes.div_ceil(8)],
        }
    }

    fn big() -> Self {
        Bufs::new(1 << 20, 1 << 20)
    }

    fn run(&mut self, bytes: &[u8], limits: &Limits) -> Result<Accepted, Error> {
        let state: &mut [u8] = bytemuck::cast_slice_mut(&mut self.state);
        let scratch: &mut [u8] = bytemuck::cast_slice_mut(&mut self.scratch);
        let (m, _) = Module::new(bytes, state, scratch, limits)?;
        Ok(Accepted {
            state_bytes: m.state_bytes(),
            scratch_bytes: m.facts().scratch_bytes,
            max_nesting: m.facts().max_nesting,
            side_entries: m.facts().side_entries,
        })
    }
}

fn check(bytes: &[u8]) -> Result<Accepted, Error> {
    Bufs::big().run(bytes, &Limits::DEFAULT)
}

#[track_caller]
fn expect_err(bytes: &[u8]) -> Error {
    match check(bytes) {
        Ok(a) => panic!("accepted ({a:?}): {bytes:02x?}"),
        Err(e) => e,
    }
}

/// Asserts the exact error kind and offset.
#[track_caller]
fn assert_err(bytes: &[u8], kind: ErrorKind, offset: usize) {
    let e = expect_err(bytes);
    assert_eq!(
        (e.kind(), e.offset()),
        (kind, offset),
        "module {bytes:02x?}"
    );
}

/// The promise every input must keep when buffers are ample: accepted, or a decode or
/// validation error whose offset lies inside the module.
#[track_caller]
fn assert_well_behaved(bytes: &[u8], r: &Result<Accepted, Error>) {
    if let Err(e) = r {
        assert!(
            matches!(e.category(), Category::Malformed | Category::Invalid),
            "{e:?} for {bytes:02x?}"
        );
        assert!(e.offset() <= bytes.len(), "{e:?} for {bytes:02x?}");
    }
}

fn needed(e: &Error, which: BufferKind) -> usize {
    match e.kind() {
        ErrorKind::BufferTooSmall {
            which: w,
            needed,
            got: _,
        } if w == which => needed as usize,
        k => panic!("expected BufferTooSmall {{ which: {which:?} }}, got {k:?}"),
    }
}

/// Runs `f` on a thread with a 64 KiB stack: deep input must not mean deep recursion.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// Fuzz iterations: `default`, or `BAREWASM_FUZZ_ITERS` for a longer local run.
fn iterations(default: usize) -> usize {
    std::env::var("BAREWASM_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A tiny deterministic PRNG (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn byte(&mut self) -> u8 {
        // Bias towards bytes that mean something to a decoder.
        const SPECIAL: [u8; 12] = [
            0x00, 0x01, 0x0b, 0x40, 0x60, 0x7f, 0x80, 0xff, 0x41, 0x02, 0x0e, 0xfc,
        ];
        if self.below(4) == 0 {
            SPECIAL[self.below(SPECIAL.len())]
        } else {
            self.next() as u8
        }
    }
}

// ---------------------------------------------------------------------------------------
// 1. Nesting
// ---------------------------------------------------------------------------------------

/// `n` nested empty blocks in a `() -> ()` function.
fn nested_blocks(n: usize) -> Vec<u8> {
    let mut b = vec![NO_LOCALS];
    for _ in 0..n {
        b.extend_from_slice(&[0x02, 0x40]);
    }
    b.extend(std::iter::repeat_n(END, n + 1));
    one_func(VOID, false, &b)
}

#[test]
fn deep_nesting_is_rejected_without_native_recursion() {
    let m = nested_blocks(100_000);
    let code_start = m.len() - (1 + 2 * 100_000 + 100_001) + 1;
    let e = on_small_stack(move || check(&m).unwrap_err());
    // The body counts as one level, so the 1024th block is the first one too deep.
    assert_eq!(e.kind(), ErrorKind::NestingTooDeep);
    assert_eq!(e.offset(), code_start + 2 * 1023);
}

#[test]
fn deep_nesting_under_a_raised_limit_is_accepted_without_native_recursion() {
    let m = nested_blocks(100_000);
    let limits = Limits {
        max_nesting: 200_000,
        ..Limits::DEFAULT
    };
    let a = on_small_stack(move || {
        let need = scratch_bytes(&counts(&m).unwrap(), &limits);
        Bufs::new(4096, need).run(&m, &limits)
    })
    .unwrap();
    assert_eq!(a.max_nesting, 100_001);
    assert_eq!(a.side_entries, 0);
}

#[test]
fn nesting_limit_is_exact() {
    assert_eq!(check(&nested_blocks(1022)).unwrap().max_nesting, 1023);
    assert_eq!(check(&nested_blocks(1023)).unwrap().max_nesting, 1024);
    let m = nested_blocks(1024);
    let code_start = m.len() - (1 + 2 * 1024 + 1025) + 1;
    assert_err(&m, ErrorKind::NestingTooDeep, code_start + 2 * 1023);
    // A limit of zero leaves no room even for the body.
    let none = Limits {
        max_nesting: 0,
        ..Limits::DEFAULT
    };
    let m = nested_blocks(0);
    let e = Bufs::big().run(&m, &none).unwrap_err();
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::NestingTooDeep, m.len() - 1)
    );
}

/// Blocks, loops and if/else nested 60 000 deep, with a branch from the innermost level
/// to the outermost block: the side table's pending chains are patched at depth too.
#[test]
fn deep_mixed_nesting_with_branches_is_handled_iteratively() {
    const N: u32 = 60_000;
    let mut b = vec![NO_LOCALS];
    for i in 0..N {
        match i % 3 {
            0 => b.extend_from_slice(&[0x02, 0x40]),
            1 => b.extend_from_slice(&[0x03, 0x40]),
            _ => b.extend_from_slice(&[0x41, 0x01, 0x04, 0x40]),
        }
    }
    b.extend_from_slice(&[0x41, 0x00, 0x0d]);
    b.extend(leb(N - 1));
    for i in (0..N).rev() {
        if i % 3 == 2 {
            b.extend_from_slice(&[0x05, 0x01]); // else nop
        }
        b.push(END);
    }
    b.push(END);
    let m = one_func(VOID, false, &b);

    let m2 = m.clone();
    let e = on_small_stack(move || check(&m2).unwrap_err());
    assert_eq!(e.kind(), ErrorKind::NestingTooDeep);

    let limits = Limits {
        max_nesting: N + 1,
        ..Limits::DEFAULT
    };
    let a = on_small_stack(move || {
        let need = scratch_bytes(&counts(&m).unwrap(), &limits);
        Bufs::new(1 << 20, need).run(&m, &limits)
    })
    .unwrap();
    assert_eq!(a.max_nesting, N + 1);
    // One entry per if, per else and for the br_if.
    assert_eq!(a.side_entries, 2 * (N / 3) + 1);
}

// ---------------------------------------------------------------------------------------
// 2. Truncation
// ---------------------------------------------------------------------------------------

#[test]
fn corpus_is_valid() {
    for m in corpus() {
        check(&m).unwrap();
    }
    // The full module really has every section kind, custom sections aside.
    let ids: Vec<u8> = sections_of(&wat::parse_str(FULL).unwrap())
        .iter()
        .map(|s| s.id)
        .filter(|&id| id != 0)
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11]);
}

/// The spec's binary.wast: a header cut short is "unexpected end", whatever bytes it has.
#[test]
fn truncated_header_is_unexpected_end() {
    for len in 0..8 {
        let e = expect_err(&HEADER[..len]);
        assert_eq!(e.category(), Category::Malformed, "{len} bytes");
        assert!(e.offset() <= len, "{len} bytes: {e:?}");
        assert_eq!(e.kind(), ErrorKind::UnexpectedEnd, "{len} bytes");
    }
    assert_eq!(expect_err(b"\x01").kind(), ErrorKind::UnexpectedEnd);
    // Complete but wrong fields are not truncation.
    assert_err(b"asm\0", ErrorKind::BadMagic, 0);
    assert_err(b"\0asm\x02\0\0\0", ErrorKind::UnknownVersion, 4);
}

/// Every strict prefix past the header either cuts a section, which is `UnexpectedEnd`
/// where the section's size or contents were due, or ends between sections, which is a
/// smaller module: valid unless it has functions without code or a data count without data.
#[test]
fn every_strict_prefix_is_rejected_where_it_is_cut() {
    let mut bufs = Bufs::big();
    for m in corpus() {
        let secs = sections_of(&m);
        for len in 8..m.len() {
            let p = &m[..len];
            let got = bufs.run(p, &Limits::DEFAULT);
            let cut = secs.iter().find(|s| s.id_at < len && len < s.end);
            if let Some(s) = cut {
                let e = got.expect_err("a cut section was accepted");
                assert_eq!(
                    (e.kind(), e.offset()),
                    (ErrorKind::UnexpectedEnd, len.min(s.start)),
                    "prefix of {len} bytes cuts section {s:?}"
                );
                continue;
            }
            let whole: Vec<&Sec> = secs.iter().filter(|s| s.end <= len).collect();
            let has = |id| whole.iter().find(|s| s.id == id);
            let expect = if let (Some(dc), None) = (has(12), has(11)) {
                Err((ErrorKind::DataCountMismatch, dc.end))
            } else if let (Some(_), None) = (has(3), has(10)) {
                Err((ErrorKind::FunctionCodeMismatch, len))
            } else {
                Ok(())
            };
            let got = got.map(|_| ()).map_err(|e| (e.kind(), e.offset()));
            assert_eq!(got, expect, "prefix of {len} bytes of {m:02x?}");
        }
    }
}

/// Cuts inside a function body, with the body and code-section sizes fixed up so that
/// only the instruction stream is short: the validator's reader hits the body's end.
#[test]
fn every_truncated_function_body_is_malformed() {
    let mut bufs = Bufs::big();
    for m in corpus() {
        for (i, &(start, end)) in bodies_of(&m).iter().enumerate() {
            for cut in 0..end - start {
                let t = replace_body(&m, i, &m[start..start + cut]);
                let e = bufs
                    .run(&t, &Limits::DEFAULT)
                    .expect_err("a truncated body was accepted");
                let (bs, be) = bodies_of(&t)[i];
                assert_eq!(e.category(), Category::Malformed, "{e:?}");
                assert!(
                    bs <= e.offset() && e.offset() <= be,
                    "{e:?} outside {bs}..={be}"
                );
                // Only a body missing nothing but its final `end` could be called
                // "does not end with end"; any other cut is in the middle of something.
                if cut + 1 == end - start {
                    assert!(
                        matches!(
                            e.kind(),
                            ErrorKind::UnexpectedEnd | ErrorKind::BadFunctionEnd
                        ),
                        "{e:?}"
                    );
                } else {
                    assert_eq!(e.kind(), ErrorKind::UnexpectedEnd, "cut at {cut}: {e:?}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// 3. LEB128: overlong (IntegerTooLong) and out of range (IntegerTooLarge)
// ---------------------------------------------------------------------------------------

/// Six bytes for a u32/i32: the fifth still has its continuation bit.
const LONG_U32: &[u8] = &[0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
/// Five bytes whose last sets bits beyond 32.
const LARGE_U32: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0x1f];

#[test]
fn leb_section_size() {
    let mut m = module(&[vec![1]]);
    m.extend_from_slice(LONG_U32);
    assert_err(&m, ErrorKind::IntegerTooLong, 9 + 4);
    let mut m = module(&[vec![1]]);
    m.extend_from_slice(LARGE_U32);
    assert_err(&m, ErrorKind::IntegerTooLarge, 9 + 4);
}

#[test]
fn leb_padded_to_the_maximum_length_is_accepted() {
    // Type section size, type count, function-section type index and i32.const, each
    // padded to five bytes: legal, non-minimal encodings.
    let types = [&[0x81, 0x80, 0x80, 0x80, 0x00][..], &[0x60, 0, 1, 0x7f]].concat();
    let mut ts = vec![1, 0x89, 0x80, 0x80, 0x80, 0x00];
    ts.extend(&types);
    let funcs = section(3, &[1, 0x80, 0x80, 0x80, 0x80, 0x00]);
    let code = [NO_LOCALS, 0x41, 0x87, 0x80, 0x80, 0x80, 0x00, END];
    let m = module(&[ts, funcs, section(10, &vec_of(&[&body(&code)]))]);
    check(&m).unwrap();
}

#[test]
fn leb_count() {
    let m = module(&[section(1, LONG_U32)]);
    assert_err(&m, ErrorKind::IntegerTooLong, 10 + 4);
    let m = module(&[section(1, LARGE_U32)]);
    assert_err(&m, ErrorKind::IntegerTooLarge, 10 + 4);
}

#[test]
fn leb_type_index() {
    let types = section(1, &vec_of(&[&[0x60, 0, 0]]));
    for (enc, kind) in [
        (LONG_U32, ErrorKind::IntegerTooLong),
        (LARGE_U32, ErrorKind::IntegerTooLarge),
    ] {
        let mut f = vec![1];
        f.extend_from_slice(enc);
        let m = module(&[types.clone(), section(3, &f)]);
        // Function section contents start after its id and one-byte size; the index
        // follows the count.
        let start = types.len() + 8 + 2;
        assert_err(&m, kind, start + 1 + 4);
    }
}

#[test]
fn leb_i32_const() {
    for (enc, kind) in [
        (LONG_U32, ErrorKind::IntegerTooLong),
        (
            &[0xff, 0xff, 0xff, 0xff, 0xff, 0x7f][..],
            ErrorKind::IntegerTooLong,
        ),
        // Sign bit 1 but unused bits 0, and the reverse.
        (
            &[0xff, 0xff, 0xff, 0xff, 0x0f][..],
            ErrorKind::IntegerTooLarge,
        ),
        (
            &[0x80, 0x80, 0x80, 0x80, 0x70][..],
            ErrorKind::IntegerTooLarge,
        ),
    ] {
        let mut b = vec![NO_LOCALS, 0x41];
        b.extend_from_slice(enc);
        b.extend_from_slice(&[0x1a, END]);
        let m = one_func(VOID, false, &b);
        assert_err(&m, kind, body_start(&m, &b) + 2 + 4);
    }
}

#[test]
fn leb_i64_const() {
    let long = [&[0x80u8; 10][..], &[0x00]].concat();
    let large = [&[0xffu8; 9][..], &[0x01]].concat();
    let large_neg = [&[0x80u8; 9][..], &[0x7e]].concat();
    for (enc, kind) in [
        (&long[..], ErrorKind::IntegerTooLong),
        (&large[..], ErrorKind::IntegerTooLarge),
        (&large_neg[..], ErrorKind::IntegerTooLarge),
    ] {
        let mut b = vec![NO_LOCALS, 0x42];
        b.extend_from_slice(enc);
        b.extend_from_slice(&[0x1a, END]);
        let m = one_func(VOID, false, &b);
        assert_err(&m, kind, body_start(&m, &b) + 2 + 9);
    }
}

#[test]
fn leb_memarg() {
    // i32.load with an overlong alignment, then with an offset beyond 32 bits.
    let mut b = vec![NO_LOCALS, 0x41, 0x00, 0x28];
    b.extend_from_slice(LONG_U32);
    b.extend_from_slice(&[0x00, 0x1a, END]);
    let m = one_func(VOID, true, &b);
    assert_err(&m, ErrorKind::IntegerTooLong, body_start(&m, &b) + 4 + 4);

    let mut b = vec![NO_LOCALS, 0x41, 0x00, 0x28, 0x02];
    b.extend_from_slice(LARGE_U32);
    b.extend_from_slice(&[0x1a, END]);
    let m = one_func(VOID, true, &b);
    assert_err(&m, ErrorKind::IntegerTooLarge, body_start(&m, &b) + 5 + 4);
}

#[test]
fn leb_local_count_label_and_block_type() {
    // Local declaration count.
    let b = [LONG_U32, &[END]].concat();
    let m = one_func(VOID, false, &b);
    assert_err(&m, ErrorKind::IntegerTooLong, body_start(&m, &b) + 4);
    // br label.
    let b = [&[NO_LOCALS, 0x0c][..], LARGE_U32, &[END]].concat();
    let m = one_func(VOID, false, &b);
    assert_err(&m, ErrorKind::IntegerTooLarge, body_start(&m, &b) + 2 + 4);
    // Block type, a signed 33-bit LEB: the sign bit set without the unused bits.
    let b = [&[NO_LOCALS, 0x02][..], LARGE_U32, &[END, END]].concat();
    let m = one_func(VOID, false, &b);
    assert_err(&m, ErrorKind::IntegerTooLarge, body_start(&m, &b) + 2 + 4);
}

// ---------------------------------------------------------------------------------------
// 4. Absurd counts and lengths
// ---------------------------------------------------------------------------------------

const U32_MAX: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0x0f];

#[test]
fn type_count_of_u32_max_in_five_bytes() {
    let m = module(&[section(1, U32_MAX)]);
    assert_err(&m, ErrorKind::UnexpectedEnd, m.len());
    // Decoding fails before any buffer is sized: a hostile count never turns into a
    // demand for gigabytes.
    let e = Module::new(&m, &mut [], &mut [], &Limits::DEFAULT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedEnd);
}

#[test]
fn function_count_of_u32_max() {
    let types = section(1, &vec_of(&[&[0x60, 0, 0]]));
    let m = module(&[types, section(3, U32_MAX)]);
    assert_err(&m, ErrorKind::UnexpectedEnd, m.len());
    let e = Module::new(&m, &mut [], &mut [], &Limits::DEFAULT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::UnexpectedEnd);
}

/// One imported function plus a declared 0xFFFF_FFFF more overflows a u32; the count is
/// still a malformed one (it runs past the section), not an implementation limit.
#[test]
fn function_count_overflowing_with_imports_is_malformed() {
    let types = section(1, &vec_of(&[&[0x60, 0, 0]]));
    let import = [&[1, b'a', 1, b'b', 0x00, 0x00][..]];
    let m = module(&[types, section(2, &vec_of(&import)), section(3, U32_MAX)]);
    let e = expect_err(&m);
    assert_eq!(e.category(), Category::Malformed, "{e:?}");
    assert_eq!(e.kind(), ErrorKind::UnexpectedEnd, "{e:?}");
}

/// A count that fits the module (thanks to a large custom section) but not its section.
#[test]
fn count_beyond_its_section() {
    let types = section(1, &[100, 0x60, 0, 0]);
    let m = module(&[
        types,
        section(0, &[&[4][..], b"pad!", &[0u8; 300]].concat()),
    ]);
    // The second type would start at the section's end.
    assert_err(&m, ErrorKind::UnexpectedEnd, 8 + 2 + 4);
}

#[test]
fn br_table_with_u32_max_targets() {
    let b = [&[NO_LOCALS, 0x41, 0x00, 0x0e][..], U32_MAX, &[0x00, END]].concat();
    let m = one_func(VOID, false, &b);
    let e = expect_err(&m);
    let count_at = body_start(&m, &b) + 4;
    assert_eq!(e.kind(), ErrorKind::UnexpectedEnd);
    assert!(count_at <= e.offset() && e.offset() <= m.len(), "{e:?}");
}

#[test]
fn br_table_with_many_valid_targets() {
    // 100 000 targets, all valid: one side-table entry each plus the default. The body is
    // over 64 KiB, so each forward entry also takes a wide slot: 12 bytes.
    let mut b = vec![NO_LOCALS, 0x02, 0x40, 0x41, 0x00, 0x0e];
    b.extend(leb(100_000));
    b.extend(std::iter::repeat_n(0u8, 100_001));
    b.extend_from_slice(&[END, END]);
    let mut bufs = Bufs::new(2 << 20, 32 << 10);
    let a = bufs
        .run(&one_func(VOID, false, &b), &Limits::DEFAULT)
        .unwrap();
    assert_eq!(a.side_entries, 100_001);
    // The same with the last target out of range.
    let n = b.len();
    b[n - 3] = 2;
    let m = one_func(VOID, false, &b);
    assert_eq!(expect_err(&m).kind(), ErrorKind::UnknownLabel);
}

#[test]
fn u32_max_locals_in_one_declaration() {
    // 2^32 - 1 locals is well-formed, but far beyond max_function_slots: rejected from
    // the declaration alone, without touching 4 GiB of slots.
    let b = [&[0x01][..], U32_MAX, &[0x7f, END]].concat();
    let m = one_func(VOID, false, &b);
    assert_err(&m, ErrorKind::OperandStackOverflow, body_start(&m, &b) + 1);
}

#[test]
fn local_counts_summing_past_u32_are_too_many_locals() {
    // The spec's binary.wast case: 0xFFFF_FFFF + 2 locals is malformed.
    let b = [&[0x02][..], U32_MAX, &[0x7f, 0x02, 0x7e, END]].concat();
    let m = one_func(VOID, false, &b);
    let e = expect_err(&m);
    assert_eq!(e.category(), Category::Malformed);
    assert_eq!(
        (e.kind(), e.offset()),
        (ErrorKind::TooManyLocals, body_start(&m, &b) + 7)
    );
}

#[test]
fn absurd_lengths_elsewhere_are_unexpected_end() {
    let types = section(1, &vec_of(&[&[0x60, 0, 0]]));
    let funcs = section(3, &[1, 0]);
    let mem = section(5, &[1, 0, 1]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("import count", module(&[section(2, U32_MAX)])),
        ("custom name", module(&[section(0, U32_MAX)])),
        (
            "export name",
            module(&[section(7, &[&[1][..], U32_MAX, b"x\0\0"].concat())]),
        ),
        (
            "export count",
            module(&[section(7, &[U32_MAX, &[1, b'x', 0, 0]].concat())]),
        ),
        (
            "data length",
            module(&[
                mem.clone(),
                section(11, &[&[1, 0, 0x41, 0, END][..], U32_MAX, b"x"].concat()),
            ]),
        ),
        ("data count", module(&[mem.clone(), section(11, U32_MAX)])),
        (
            "element items",
            module(&[section(9, &[&[1, 1, 0][..], U32_MAX, &[0]].concat())]),
        ),
        ("element count", module(&[section(9, U32_MAX)])),
        (
            "body size",
            module(&[
                types.clone(),
                funcs.clone(),
                section(10, &[&[1][..], U32_MAX, &[0, END]].concat()),
            ]),
        ),
        (
            "select types",
            one_func(
                VOID,
                false,
                &[
                    &[0, 0x41, 0, 0x41, 0, 0x41, 0, 0x1c][..],
                    U32_MAX,
                    &[0x7f, 0x1a, END],
                ]
                .concat(),
            ),
        ),
        (
            "type parameters",
            module(&[section(1, &[&[1, 0x60][..], U32_MAX, &[0]].concat())]),
        ),
        (
            "local declarations",
            one_func(VOID, false, &[U32_MAX, &[1, 0x7f, END]].concat()),
        ),
    ];
    for (what, m) in cases {
        let e = expect_err(&m);
        assert_eq!(e.kind(), ErrorKind::UnexpectedEnd, "{what}: {e:?}");
        assert!(e.offset() <= m.len(), "{what}: {e:?}");
    }
}

#[test]
fn memory_of_u32_max_pages_is_too_large() {
    let m = module(&[section(5, &[&[1, 0][..], U32_MAX].concat())]);
    assert_err(&m, ErrorKind::MemoryTooLarge, 8 + 2 + 1);
    let m = module(&[section(5, &[&[1, 1, 0][..], U32_MAX].concat())]);
    assert_err(&m, ErrorKind::MemoryTooLarge, 8 + 2 + 1);
}

/// A block type naming type 0x7FFF_FFFF (a valid s33) must be an unknown type, like any
/// other index past the type section.
#[test]
fn block_type_index_0x7fffffff_is_an_unknown_type() {
    let b = [
        &[NO_LOCALS, 0x02][..],
        &[0xff, 0xff, 0xff, 0xff, 0x07],
        &[0x41, 0x01, END, 0x1a, END],
    ]
    .concat();
    let m = one_func(TO_I32, false, &b);
    // The block's value would otherwise be taken for the function's result.
    let b2 = [
        &[NO_LOCALS, 0x02][..],
        &[0xff, 0xff, 0xff, 0xff, 0x07],
        &[0x41, 0x01, END, END],
    ]
    .concat();
    let m2 = one_func(TO_I32, false, &b2);
    for (m, b) in [(m2, b2), (m, b)] {
        assert_err(&m, ErrorKind::UnknownType, body_start(&m, &b) + 1);
    }
    // Neighbours of that index are rejected as they should be.
    for idx in [0x7fff_fffeu32, 0x8000_0000, 0xffff_ffff] {
        let mut enc = Vec::new();
        let mut n = idx as u64;
        for _ in 0..4 {
            enc.push((n & 0x7f) as u8 | 0x80);
            n >>= 7;
        }
        enc.push(n as u8);
        let b = [&[NO_LOCALS, 0x02][..], &enc, &[0x41, 0x01, END, END]].concat();
        let m = one_func(TO_I32, false, &b);
        assert_err(&m, ErrorKind::UnknownType, body_start(&m, &b) + 1);
    }
}

/// Type canonicalisation compares each type with every earlier one. With thousands of
/// distinct types that is quadratic: this prints the time for growing type counts so the
/// growth can be seen. Not a pass/fail test: run with
/// `cargo test --release -p barewasm --test hostile -- --ignored --nocapture`.
#[test]
#[ignore]
fn many_distinct_types_timing() {
    for k in [5u32, 6, 7, 8] {
        // All 4^k parameter lists of length k over the four number types.
        let n = 4u32.pow(k);
        let mut contents = leb(n);
        for i in 0..n {
            contents.extend_from_slice(&[0x60, k as u8]);
            for d in 0..k {
                contents.push(0x7c + ((i >> (2 * d)) & 3) as u8);
            }
            contents.push(0);
        }
        let m = module(&[section(1, &contents)]);
        let t = std::time::Instant::now();
        let mut bufs = Bufs::new(64 * n as usize + 4096, 32 * 1024);
        bufs.run(&m, &Limits::DEFAULT).unwrap();
        println!("{n:>6} types, {:>7} bytes: {:?}", m.len(), t.elapsed());
    }
}

// ---------------------------------------------------------------------------------------
// 5. Random bytes and mutations
// ---------------------------------------------------------------------------------------

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut bufs = Bufs::big();
    let mut input = Vec::with_capacity(256);
    for i in 0..iterations(100_000) {
        input.clear();
        if i % 2 == 0 {
            input.extend_from_slice(&HEADER);
        }
        let len = rng.below(200);
        input.extend((0..len).map(|_| rng.byte()));
        let r = bufs.run(&input, &Limits::DEFAULT);
        assert_well_behaved(&input, &r);
    }
}

/// One random edit of `m`.
fn mutate(rng: &mut Rng, m: &mut Vec<u8>) {
    if m.is_empty() {
        m.push(rng.byte());
        return;
    }
    let at = rng.below(m.len());
    match rng.below(7) {
        0 => m[at] ^= 1 << rng.below(8),
        1 => m[at] = rng.byte(),
        2 => m.truncate(at),
        3 => {
            // Duplicate a short range in place.
            let end = (at + 1 + rng.below(16)).min(m.len());
            let copy = m[at..end].to_vec();
            let to = rng.below(m.len() + 1);
            m.splice(to..to, copy);
        }
        4 => {
            let end = (at + 1 + rng.below(8)).min(m.len());
            m.drain(at..end);
        }
        5 => {
            let b = rng.byte();
            m.insert(at, b);
        }
        _ => {
            // A LEB-looking run: continuation bits, then a stop.
            let n = 1 + rng.below(6);
            let mut run: Vec<u8> = (0..n).map(|_| 0x80 | rng.byte()).collect();
            run.push(rng.byte() & 0x7f);
            m.splice(at..(at + 1).min(m.len()), run);
        }
    }
}

#[test]
fn mutated_modules_never_panic() {
    let corpus = corpus();
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let mut bufs = Bufs::big();
    let mut other = Bufs::big();
    for w in other.state.iter_mut().chain(other.scratch.iter_mut()) {
        *w = u64::MAX;
    }
    let mut accepted = 0;
    for _ in 0..iterations(100_000) {
        let mut m = corpus[rng.below(corpus.len())].clone();
        for _ in 0..1 + rng.below(3) {
            mutate(&mut rng, &mut m);
        }
        let r = bufs.run(&m, &Limits::DEFAULT);
        assert_well_behaved(&m, &r);
        if r.is_ok() {
            accepted += 1;
            // The outcome must not depend on what the buffers held before.
            assert_eq!(other.run(&m, &Limits::DEFAULT), r, "{m:02x?}");
        }
    }
    // The mutations are not all caught at the section level.
    assert!(accepted > 100, "only {accepted} mutants accepted");
}

/// Mutations inside function bodies with every size re-encoded, so they reach the
/// instruction decoder and the validator rather than the section index.
#[test]
fn mutated_function_bodies_never_panic() {
    let corpus = corpus();
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut bufs = Bufs::big();
    let mut by_kind = std::collections::HashMap::new();
    for _ in 0..iterations(100_000) {
        let m = &corpus[rng.below(corpus.len())];
        let bodies = bodies_of(m);
        let i = rng.below(bodies.len());
        let (s, e) = bodies[i];
        let mut b = m[s..e].to_vec();
        for _ in 0..1 + rng.below(3) {
            mutate(&mut rng, &mut b);
        }
        let t = replace_body(m, i, &b);
        let r = bufs.run(&t, &Limits::DEFAULT);
        assert_well_behaved(&t, &r);
        if let Err(e) = r {
            let (bs, be) = bodies_of(&t)[i];
            // Errors come from the mutated body, never from elsewhere.
            assert!(bs <= e.offset() && e.offset() <= be, "{e:?} for {t:02x?}");
        }
        *by_kind
            .entry(r.map(|_| ()).map_err(|e| e.category()))
            .or_insert(0) += 1;
    }
    // Both decoding and validation errors were reached.
    assert!(
        by_kind.contains_key(&Err(Category::Malformed)),
        "{by_kind:?}"
    );
    assert!(by_kind.contains_key(&Err(Category::Invalid)), "{by_kind:?}");
}

// ---------------------------------------------------------------------------------------
// 6. Buffers
// ---------------------------------------------------------------------------------------

/// The bytes of an 8-aligned allocation, so that `[off..]` has a known misalignment.
fn aligned_bytes(words: &mut [u64]) -> &mut [u8] {
    bytemuck::cast_slice_mut(words)
}

/// For buffer `which`, finds the smallest size that works when the slice starts `off`
/// bytes past an 8-aligned address, and checks that every smaller size fails with
/// `BufferTooSmall { needed }` naming exactly that size and `got` its own length: the
/// host can size the buffer from one failed attempt.
fn sweep(m: &[u8], which: BufferKind, limits: &Limits, offsets: std::ops::Range<usize>) {
    let mut backing = vec![0u64; 1 << 15];
    let mut other = vec![0u64; 1 << 15];
    let mut run = |off: usize, len: usize| -> Result<(), Error> {
        let a = &mut aligned_bytes(&mut backing)[off..off + len];
        let b = aligned_bytes(&mut other);
        let (state, scratch) = match which {
            BufferKind::State => (a, b),
            _ => (b, a),
        };
        Module::new(m, state, scratch, limits).map(|_| ())
    };
    let mut wrong = Vec::new();
    for off in offsets {
        let min_ok = (0..).find(|&len| run(off, len).is_ok()).unwrap();
        for len in 0..min_ok {
            match run(off, len).unwrap_err().kind() {
                ErrorKind::BufferTooSmall {
                    which: w,
                    needed,
                    got,
                } if w == which && got as usize == len => {
                    if needed as usize != min_ok {
                        wrong.push((off, len, needed, min_ok));
                    }
                }
                k => panic!("offset {off}, {len} bytes: {k:?}"),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} sizes misreport their need; first (offset, len, needed, actually needed): {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(8)]
    );
}

#[test]
fn state_needed_is_exact_for_a_module_without_branches() {
    // The doc example: index tables only, no side table.
    sweep(DOC_EXAMPLE, BufferKind::State, &Limits::DEFAULT, 0..1);
}

#[test]
fn state_needed_is_exact_for_a_module_with_a_side_table() {
    let m = wat::parse_str(SMALL).unwrap();
    sweep(&m, BufferKind::State, &Limits::DEFAULT, 0..1);
}

#[test]
fn state_needed_is_exact_for_misaligned_buffers() {
    sweep(DOC_EXAMPLE, BufferKind::State, &Limits::DEFAULT, 1..8);
}

const SMALL_LIMITS: Limits = Limits {
    max_nesting: 8,
    max_function_slots: 20,
    ..Limits::DEFAULT
};

#[test]
fn scratch_needed_is_exact() {
    let m = wat::parse_str(FULL).unwrap();
    for limits in [Limits::DEFAULT, SMALL_LIMITS] {
        sweep(&m, BufferKind::Scratch, &limits, 0..1);
        // And it is the documented formula, which the module reports.
        let need = scratch_bytes(&counts(&m).unwrap(), &limits);
        let mut sc = vec![0u64; need / 8];
        let mut st = vec![0u64; 1 << 12];
        let (module, _) =
            Module::new(&m, aligned_bytes(&mut st), aligned_bytes(&mut sc), &limits).unwrap();
        assert_eq!(module.facts().scratch_bytes as usize, need);
    }
}

#[test]
fn scratch_needed_is_exact_for_misaligned_buffers() {
    let m = wat::parse_str(FULL).unwrap();
    sweep(&m, BufferKind::Scratch, &SMALL_LIMITS, 1..8);
}

#[test]
fn misaligned_buffers_work_when_large_enough() {
    let mut state = vec![0u64; 1 << 12];
    let mut scratch = vec![0u64; 1 << 13];
    for m in corpus() {
        let aligned = check(&m).unwrap();
        for off in 1..8 {
            let s = &mut aligned_bytes(&mut state)[off..];
            let sc = &mut aligned_bytes(&mut scratch)[off..];
            let base = s.as_ptr() as usize;
            let (module, rest) = Module::new(&m, s, sc, &Limits::DEFAULT).unwrap();
            // The footprint does not depend on the address; alignment costs the skipped
            // bytes in front and nothing else.
            assert_eq!(module.state_bytes(), aligned.state_bytes);
            assert_eq!(
                rest.as_ptr() as usize - base,
                (8 - off) + aligned.state_bytes
            );
        }
    }
}

#[test]
fn zero_length_buffers_give_buffer_too_small() {
    for m in corpus() {
        let e = Module::new(&m, &mut [], &mut [], &Limits::DEFAULT).unwrap_err();
        assert!(needed(&e, BufferKind::State) > 0);
        let mut state = vec![0u64; 1 << 12];
        let e = Module::new(&m, aligned_bytes(&mut state), &mut [], &Limits::DEFAULT).unwrap_err();
        assert!(needed(&e, BufferKind::Scratch) > 0);
    }
    // Even the empty module needs validation scratch, and says so.
    let e = Module::new(&HEADER, &mut [], &mut [], &Limits::DEFAULT).unwrap_err();
    let need = needed(&e, BufferKind::Scratch);
    // An empty slice's dangling address may be misaligned: up to 7 bytes of skip count.
    let formula = scratch_bytes(&Counts::default(), &Limits::DEFAULT);
    assert!(
        (formula..=formula + 7).contains(&need),
        "{need} vs {formula}"
    );
    // It needs no state, so an empty state buffer is enough.
    let mut scratch = vec![0u64; need / 8];
    let (m, rest) = Module::new(
        &HEADER,
        &mut [],
        aligned_bytes(&mut scratch),
        &Limits::DEFAULT,
    )
    .unwrap();
    assert_eq!((m.state_bytes(), rest.len()), (0, 0));
}

/// `n` forward branches to one block: side-table entries `0..n` all target index `n`.
fn many_forward_branches(n: usize) -> Vec<u8> {
    let mut b = vec![NO_LOCALS, 0x02, 0x40];
    for _ in 0..n {
        b.extend_from_slice(&[0x41, 0x00, 0x0d, 0x00]);
    }
    b.extend_from_slice(&[END, END]);
    one_func(VOID, false, &b)
}

/// A function with 2^19 forward branches to one label cannot encode the label's side-table
/// index; that must be reported whatever the size of the state buffer, not first as a
/// buffer shortfall that, once met, turns into the real error.
#[test]
fn function_too_large_does_not_depend_on_the_state_buffer() {
    // 12 bytes per entry: the body is over 64 KiB (see `br_table_with_many_valid_targets`).
    let mut bufs = Bufs::new(7 << 20, 32 << 10);
    // 2^19 - 1 branches fit.
    let m = many_forward_branches((1 << 19) - 1);
    assert_eq!(
        bufs.run(&m, &Limits::DEFAULT).unwrap().side_entries,
        (1 << 19) - 1
    );
    let m = many_forward_branches(1 << 19);
    let e = bufs.run(&m, &Limits::DEFAULT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FunctionTooLarge);
    let mut small = Bufs::new(4096, 32 << 10);
    assert_eq!(small.run(&m, &Limits::DEFAULT).unwrap_err(), e);
}

/// A function whose code reaches 8 MiB (2^23 bytes from its first instruction to its
/// final `end`) is over the implementation limit even without a branch: call frames keep
/// return points in the side-table entry's 23-bit field. One byte less is accepted.
#[test]
fn function_of_8_mib_of_code_is_too_large() {
    let mut bufs = Bufs::new(4096, 32 << 10);
    let body = |nops: usize| {
        let mut b = vec![NO_LOCALS];
        b.resize(1 + nops, 0x01);
        b.push(END);
        one_func(VOID, false, &b)
    };
    let fits = bufs.run(&body((1 << 23) - 1), &Limits::DEFAULT);
    assert!(fits.is_ok(), "{fits:?}");
    let m = body(1 << 23);
    let e = bufs.run(&m, &Limits::DEFAULT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::FunctionTooLarge);
    // Reported at the body's start: its size field, just before the locals.
    assert!(e.offset() > 0 && e.offset() < 64, "{e:?}");
}

/// A call frame keeps a function index in 24 bits: a module declaring 2^24 + 1 functions
/// (a 16 MiB function section) is rejected at that section, before anything is decoded.
#[test]
fn more_functions_than_a_frame_can_address() {
    let n = barewasm::module::MAX_FUNCTIONS as usize + 1;
    let mut funcs = leb(n as u32);
    funcs.resize(funcs.len() + n, 0);
    let m = module(&[type_sec(), section(3, &funcs)]);
    let mut bufs = Bufs::new(4096, 4096);
    let e = bufs.run(&m, &Limits::DEFAULT).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ImplementationLimit);
    assert_eq!(e.offset(), type_sec().len() + 8 + 1 + 4);
}

// ---------------------------------------------------------------------------------------
// 7. Section order, sizes and cross-section counts
// ---------------------------------------------------------------------------------------

fn type_sec() -> Vec<u8> {
    section(1, &vec_of(&[&[0x60, 0, 0]]))
}

fn func_sec(n: usize) -> Vec<u8> {
    section(3, &vec_of(&vec![&[0u8][..]; n]))
}

fn code_sec(n: usize) -> Vec<u8> {
    let b = body(&[NO_LOCALS, END]);
    section(10, &vec_of(&vec![&b[..]; n]))
}

#[test]
fn sections_out_of_order() {
    let m = module(&[func_sec(1), type_sec(), code_sec(1)]);
    assert_err(&m, ErrorKind::SectionOutOfOrder, 8 + func_sec(1).len());
    // Data count belongs before code although its id is 12.
    let dc = section(12, &[0]);
    let m = module(&[type_sec(), func_sec(1), code_sec(1), dc.clone()]);
    let at = 8 + type_sec().len() + func_sec(1).len() + code_sec(1).len();
    assert_err(&m, ErrorKind::SectionOutOfOrder, at);
    let m = module(&[type_sec(), func_sec(1), dc, code_sec(1)]);
    check(&m).unwrap();
    // Custom sections go anywhere, as often as they like.
    let c = section(0, b"\x01c");
    let m = module(&[
        c.clone(),
        type_sec(),
        c.clone(),
        c.clone(),
        func_sec(1),
        code_sec(1),
        c,
    ]);
    check(&m).unwrap();
}

#[test]
fn duplicated_sections() {
    for s in [type_sec(), func_sec(0), section(5, &[0]), section(12, &[0])] {
        let m = module(&[s.clone(), s.clone()]);
        assert_err(&m, ErrorKind::SectionOutOfOrder, 8 + s.len());
    }
}

#[test]
fn unknown_section_id() {
    for id in [13u8, 14, 0x7f, 0x80, 0xff] {
        let m = module(&[type_sec(), section(id, &[])]);
        assert_err(&m, ErrorKind::UnknownSection, 8 + type_sec().len());
    }
}

/// Found by the `validate_oracle` fuzz target: a section of size 0 was taken as an absent
/// one. Every known section starts with a count or an index, so an empty one is cut short.
#[test]
fn empty_known_section_is_unexpected_end() {
    for id in 1u8..=12 {
        let m = module(&[section(id, &[])]);
        assert_err(&m, ErrorKind::UnexpectedEnd, 10);
    }
    // After a valid section too, and with a custom section (which may be empty of
    // contents after its name) around it.
    let m = module(&[type_sec(), section(0, b"\x01c"), section(3, &[])]);
    let at = 8 + type_sec().len() + 4 + 2;
    assert_err(&m, ErrorKind::UnexpectedEnd, at);
}

#[test]
fn section_size_past_the_end() {
    let mut m = module(&[type_sec()]);
    let n = m.len();
    m[9] += 1;
    assert_err(&m, ErrorKind::UnexpectedEnd, 10);
    m[9] = 0x7f;
    assert_eq!(m.len(), n);
    assert_err(&m, ErrorKind::UnexpectedEnd, 10);
}

#[test]
fn section_size_longer_than_its_contents() {
    // A type section of one type with a stray byte after it.
    let m = module(&[section(1, &[1, 0x60, 0, 0, 0x00])]);
    assert_err(&m, ErrorKind::SectionSizeMismatch, 8 + 2 + 4);
    // A code section with a byte after its one body.
    let code = section(
        10,
        &[&vec_of(&[&body(&[NO_LOCALS, END])])[..], &[END]].concat(),
    );
    let m = module(&[type_sec(), func_sec(1), code]);
    assert_err(&m, ErrorKind::SectionSizeMismatch, m.len() - 1);
    // A body with bytes after its final end.
    let m = module(&[
        type_sec(),
        func_sec(1),
        section(10, &vec_of(&[&body(&[0, END, 0x01])])),
    ]);
    assert_err(&m, ErrorKind::BadFunctionEnd, m.len() - 1);
}

/// A size that stops inside the contents: the spec's reference interpreter reads on and
/// reports "section size mismatch", a reader bounded by the section reports "unexpected
/// end"; the spec does not pin the message, so either is accepted, at an offset inside
/// the section.
#[test]
fn section_size_shorter_than_its_contents() {
    // Type (i32) -> () is 5 bytes; declare 4, so the results count (0) falls outside and
    // reads as the id of a custom section, which the next bytes complete.
    let m = module(&[vec![1, 4, 1, 0x60, 1, 0x7f, 0x00, 0x02, 0x01, b'x']]);
    let e = expect_err(&m);
    assert!(
        matches!(
            e.kind(),
            ErrorKind::UnexpectedEnd | ErrorKind::SectionSizeMismatch
        ),
        "{e:?}"
    );
    assert!((10..=14).contains(&e.offset()), "{e:?}");
    // Without such luck the leftover bytes fail as sections of their own.
    let contents = [1, 0x60, 1, 0x7f, 1, 0x7f];
    for short in 1..contents.len() {
        let m = module(&[[&[1, short as u8][..], &contents].concat(), func_sec(0)]);
        let e = expect_err(&m);
        assert_eq!(e.category(), Category::Malformed, "size {short}: {e:?}");
        assert!(e.offset() <= m.len());
    }
}

#[test]
fn function_and_code_counts_must_agree() {
    let m = module(&[type_sec(), func_sec(2), code_sec(1)]);
    assert_err(&m, ErrorKind::FunctionCodeMismatch, m.len() - 3);
    let m = module(&[type_sec(), func_sec(1), code_sec(2)]);
    assert_err(&m, ErrorKind::FunctionCodeMismatch, m.len() - 6);
    // Code without functions, functions without code.
    let m = module(&[type_sec(), code_sec(1)]);
    assert_err(&m, ErrorKind::FunctionCodeMismatch, m.len() - 3);
    let m = module(&[type_sec(), func_sec(1)]);
    assert_err(&m, ErrorKind::FunctionCodeMismatch, m.len());
    // An empty function section and no code section agree.
    check(&module(&[type_sec(), func_sec(0)])).unwrap();
}

#[test]
fn data_count_must_agree_with_data() {
    let mem = section(5, &[1, 0, 1]);
    let passive = |n: usize| section(11, &vec_of(&vec![&[1u8, 0][..]; n]));
    for (dc, datas) in [(2u8, Some(1)), (0, Some(1)), (1, None), (1, Some(2))] {
        let mut parts = vec![mem.clone(), section(12, &[dc])];
        if let Some(n) = datas {
            parts.push(passive(n));
        }
        let m = module(&parts);
        let dc_end = 8 + mem.len() + 3;
        assert_err(&m, ErrorKind::DataCountMismatch, dc_end);
    }
    check(&module(&[mem.clone(), section(12, &[2]), passive(2)])).unwrap();
    // memory.init and data.drop need a data count section.
    let b = [NO_LOCALS, 0xfc, 0x09, 0x00, END];
    let m = module(&[
        type_sec(),
        func_sec(1),
        mem.clone(),
        section(10, &vec_of(&[&body(&b)])),
        passive(1),
    ]);
    let body_start = m.len() - passive(1).len() - b.len();
    assert_err(&m, ErrorKind::DataCountMissing, body_start + 1);
    // An empty data count section lacks its count.
    let m = module(&[mem, section(12, &[])]);
    assert_err(&m, ErrorKind::UnexpectedEnd, m.len());
}

// ---------------------------------------------------------------------------------------
// 8. Guard values: nothing is written past what the module reports using
// ---------------------------------------------------------------------------------------

const CANARY: u8 = 0xa5;

#[test]
fn state_past_state_bytes_is_untouched() {
    for m in corpus() {
        let need = check(&m).unwrap().state_bytes;
        for off in 0..8 {
            let mut backing = vec![0u64; (need + 8 + 256) / 8 + 1];
            let all = aligned_bytes(&mut backing);
            all.fill(CANARY);
            let base = all[off..].as_ptr() as usize;
            let s = &mut all[off..off + need + 8 + 200];
            let (module, rest) =
                Module::new(&m, s, &mut vec![0u8; 64 << 10], &Limits::DEFAULT).unwrap();
            let skipped = (8 - off) % 8;
            // The unused tail handed back starts exactly where the module's use ends.
            let used = skipped + module.state_bytes();
            assert_eq!(rest.as_ptr() as usize - base, used);
            let all = aligned_bytes(&mut backing);
            assert!(all[off..off + skipped].iter().all(|&b| b == CANARY));
            let after = &all[off + used..];
            assert!(
                after.iter().all(|&b| b == CANARY),
                "offset {off}: byte {} past state_bytes {used} written",
                after.iter().position(|&b| b != CANARY).unwrap()
            );
        }
    }
}

#[test]
fn scratch_past_scratch_bytes_is_untouched() {
    for m in corpus() {
        for limits in [Limits::DEFAULT, SMALL_LIMITS] {
            let need = scratch_bytes(&counts(&m).unwrap(), &limits);
            let mut backing = vec![0u64; (need + 512) / 8];
            let all = aligned_bytes(&mut backing);
            all.fill(CANARY);
            let mut state = vec![0u64; 8 << 10];
            let (module, _) = Module::new(&m, aligned_bytes(&mut state), all, &limits).unwrap();
            assert_eq!(module.facts().scratch_bytes as usize, need);
            let all = aligned_bytes(&mut backing);
            assert!(all[need..].iter().all(|&b| b == CANARY));
        }
    }
}

/// Rejected modules too leave scratch alone past its reported need: invalid mutants,
/// with scratch of exactly the needed size followed by canaries.
#[test]
fn rejected_modules_leave_scratch_past_its_need_untouched() {
    let corpus = corpus();
    let mut rng = Rng(42);
    let mut state = vec![0u64; 1 << 14];
    let mut tested = 0;
    while tested < 2_000 {
        let mut m = corpus[rng.below(corpus.len())].clone();
        mutate(&mut rng, &mut m);
        let Ok(c) = counts(&m) else { continue };
        let need = scratch_bytes(&c, &Limits::DEFAULT);
        let mut scratch = vec![u64::from_ne_bytes([CANARY; 8]); need / 8 + 8];
        let _ = Module::new(
            &m,
            aligned_bytes(&mut state),
            aligned_bytes(&mut scratch),
            &Limits::DEFAULT,
        );
        assert!(aligned_bytes(&mut scratch)[need..]
            .iter()
            .all(|&b| b == CANARY));
        tested += 1;
    }
}

#[test]
fn a_constant_expression_is_decoded_before_it_is_found_not_constant() {
    // (memory 0) (global i32 (i32.load <memarg cut short>)): malformed, at the cut.
    let cut = module(&[
        section(5, &vec_of(&[&[0x00, 0x00]])),
        section(6, &vec_of(&[&[0x7f, 0x00, 0x28, 0x80]])),
    ]);
    assert_err(&cut, ErrorKind::UnexpectedEnd, cut.len());
    // (global i32 (i32.load 2 0) end): well-formed, not constant, at the instruction.
    let load = module(&[
        section(5, &vec_of(&[&[0x00, 0x00]])),
        section(6, &vec_of(&[&[0x7f, 0x00, 0x28, 0x02, 0x00, 0x0b]])),
    ]);
    assert_err(&load, ErrorKind::ConstExprRequired, load.len() - 4);
    // An element segment's offset takes the same path.
    let call = module(&[
        section(4, &vec_of(&[&[0x70, 0x00, 0x01]])),
        section(9, &vec_of(&[&[0x00, 0x10, 0x00, 0x0b, 0x00]])),
    ]);
    assert_err(&call, ErrorKind::ConstExprRequired, call.len() - 4);
}
