//! The WebAssembly spec scripts on the target: runs a blob made by `spec-pack` (embedded
//! from `BAREWASM_SPEC_BLOB` at build time, in flash) and prints `N passed, M failed`.
//!
//! Every module is validated and executed in place from the blob. The scripts hold dozens
//! of modules with 64 KiB pages of linear memory at a time, so this image opens the RAM
//! test window ([`board::open_test_window`]) for them; the firmware itself (stack, statics)
//! keeps to the MPU-enforced 96 KiB as in every image. Each segment of a script (see
//! `spec-pack`) starts from an empty store and reuses the whole window:
//!
//! ```text
//! | modules | slots | memory and instance lists | wasm stack (validation scratch first) | module states | arena |
//!   spectest memory | linear memories: each its minimum plus a share of what is left |
//! ```
//!
//! Exits 0 if every assertion held, 1 otherwise.
#![no_std]
#![no_main]

use barewasm::binary::sections::SectionId;
use barewasm::binary::types::Limits as Bounds;
use barewasm::{
    Category, Error, Extern, ExternKind, FuncRef, FuncType, GlobalType, Host, Instance,
    InstanceSlot, Limits, MemType, Memory, Module, Stack, Store, TableType, ValType, Value,
};
use cortex_m_rt::entry;
use firmware::board;
use firmware::carve::carve;
use firmware::spec_format::{tag, MAGIC};
use firmware::{figures, print, println};

static BLOB: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/spec.bin"));

/// Execution limits: deep enough for every recursion the suite expects to succeed.
const VALUE_SLOTS: u32 = 16 * 1024;
const CALL_DEPTH: u32 = 1000;
/// Extra elements each growable table gets for `table.grow` (the suite grows one to 803).
const TABLE_RESERVE: u32 = 1024;
/// Most imports of one module, and most registered names in one segment.
const MAX_IMPORTS: usize = 64;
const MAX_REGISTERED: usize = 16;
/// Most arguments of one invocation.
const MAX_ARGS: usize = 64;

/// The blob is not what `spec-pack` writes.
#[derive(Debug)]
struct Corrupt;

/// A cursor over the blob.
#[derive(Clone)]
struct Reader {
    bytes: &'static [u8],
    pos: usize,
}

impl Reader {
    fn take(&mut self, n: usize) -> Result<&'static [u8], Corrupt> {
        let end = self.pos.checked_add(n).ok_or(Corrupt)?;
        let s = self.bytes.get(self.pos..end).ok_or(Corrupt)?;
        self.pos = end;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Corrupt> {
        self.take(N)?.try_into().map_err(|_| Corrupt)
    }

    fn u8(&mut self) -> Result<u8, Corrupt> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, Corrupt> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Result<u32, Corrupt> {
        self.array().map(u32::from_le_bytes)
    }

    fn str(&mut self) -> Result<&'static str, Corrupt> {
        let n = self.u16()? as usize;
        core::str::from_utf8(self.take(n)?).map_err(|_| Corrupt)
    }

    fn bytes(&mut self) -> Result<&'static [u8], Corrupt> {
        let n = self.u32()? as usize;
        self.take(n)
    }
}

/// One command of the blob.
struct Command {
    tag: u8,
    line: u32,
    /// Segment-local index of the module it refers to.
    target: u16,
    /// Export or registered name.
    name: &'static str,
    /// A module's bytes.
    wasm: &'static [u8],
    /// Arguments: `n` then `n` u64s.
    args: &'static [u8],
    /// Expected results: `n` then `n` (kind, u64) pairs.
    results: &'static [u8],
}

fn read_command(r: &mut Reader) -> Result<Command, Corrupt> {
    let mut c = Command {
        tag: r.u8()?,
        line: r.u32()?,
        target: 0,
        name: "",
        wasm: &[],
        args: &[],
        results: &[],
    };
    let args = |r: &mut Reader| {
        let start = r.pos;
        let n = r.u8()? as usize;
        r.take(n * 8)?;
        Ok::<_, Corrupt>(&r.bytes[start..r.pos])
    };
    let results = |r: &mut Reader| {
        let start = r.pos;
        let n = r.u8()? as usize;
        r.take(n * 9)?;
        Ok::<_, Corrupt>(&r.bytes[start..r.pos])
    };
    match c.tag {
        tag::MODULE
        | tag::UNINSTANTIABLE
        | tag::UNLINKABLE
        | tag::INVALID
        | tag::MALFORMED
        | tag::VALID => c.wasm = r.bytes()?,
        tag::REGISTER => {
            c.target = r.u16()?;
            c.name = r.str()?;
        }
        tag::INVOKE | tag::ASSERT_TRAP | tag::ASSERT_EXHAUSTION | tag::ASSERT_RETURN => {
            c.target = r.u16()?;
            c.name = r.str()?;
            c.args = args(r)?;
            if c.tag == tag::ASSERT_RETURN {
                c.results = results(r)?;
            }
        }
        tag::ASSERT_GET => {
            c.target = r.u16()?;
            c.name = r.str()?;
            c.results = results(r)?;
        }
        _ => return Err(Corrupt),
    }
    Ok(c)
}

/// Whether a command instantiates a module (and so takes a module and slot).
fn instantiates(tag: u8) -> bool {
    matches!(tag, tag::MODULE | tag::UNINSTANTIABLE | tag::UNLINKABLE)
}

/// Pass and fail counts, printing each failure.
#[derive(Default)]
struct Tally {
    passed: u32,
    failed: u32,
}

impl Tally {
    fn check(&mut self, ok: bool, script: &str, line: u32, why: core::fmt::Arguments<'_>) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
            println!("FAILED {script} line {line}: {why}");
        }
    }
}

/// The spectest module's functions (they print nothing here).
const SPECTEST_FUNCS: &[(&str, &[u8], &[u8])] = &[
    ("print", &[], &[]),
    ("print_i32", &[0x7f], &[]),
    ("print_i64", &[0x7e], &[]),
    ("print_f32", &[0x7d], &[]),
    ("print_f64", &[0x7c], &[]),
    ("print_i32_f32", &[0x7f, 0x7d], &[]),
    ("print_f64_f64", &[0x7c, 0x7c], &[]),
];

struct SpecHost;

impl Host for SpecHost {
    fn call(
        &mut self,
        _: u32,
        _: &[u64],
        _: &mut [u64],
        _: Option<&mut Memory<'_>>,
    ) -> Result<(), Error> {
        Ok(())
    }
}

fn kind_of(e: &Extern<'_>) -> ExternKind {
    match e {
        Extern::Func(_) | Extern::HostFunc(..) => ExternKind::Func,
        Extern::Table(_) => ExternKind::Table,
        Extern::Memory(_) => ExternKind::Memory,
        Extern::Global(_) => ExternKind::Global,
    }
}

/// Whether result `bits` of type `ty` is what `kind`/`want` (a blob result) expects.
fn result_matches(kind: u8, want: u64, ty: u8, bits: u64) -> bool {
    let f32_nan = |b: u64, canonical: bool| {
        let b = b as u32;
        if canonical {
            b & 0x7fff_ffff == 0x7fc0_0000
        } else {
            b & 0x7fc0_0000 == 0x7fc0_0000
        }
    };
    let f64_nan = |b: u64, canonical: bool| {
        if canonical {
            b & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000
        } else {
            b & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000
        }
    };
    let Some(vt) = ValType::from_byte(ty) else {
        return false;
    };
    let value = Value::from_bits(vt, bits);
    match (kind, value) {
        (0, Value::I32(v)) => v as u32 as u64 == want,
        (1, Value::I64(v)) => v as u64 == want,
        (2, Value::F32(v)) => v as u64 == want,
        (3, Value::F64(v)) => v == want,
        (4, Value::F32(v)) => f32_nan(v as u64, true),
        (5, Value::F32(v)) => f32_nan(v as u64, false),
        (6, Value::F64(v)) => f64_nan(v, true),
        (7, Value::F64(v)) => f64_nan(v, false),
        (8, Value::FuncRef(None)) => true,
        (9, Value::ExternRef(None)) => true,
        (10, Value::ExternRef(Some(_))) => bits == want,
        (11, Value::FuncRef(Some(_))) => true,
        (12, Value::ExternRef(Some(_))) => true,
        _ => false,
    }
}

/// Checks `got` (values with their types) against a blob result list.
fn results_match(expected: &[u8], got: &[u64], types: &[u8]) -> bool {
    let n = expected.first().copied().unwrap_or(0) as usize;
    if n != got.len() || n != types.len() {
        return false;
    }
    (0..n).all(|i| {
        let e = &expected[1 + 9 * i..1 + 9 * (i + 1)];
        let want = u64::from_le_bytes(e[1..9].try_into().unwrap_or([0; 8]));
        result_matches(e[0], want, types[i], got[i])
    })
}

/// Decodes a blob argument list.
fn decode_args(raw: &[u8], out: &mut [u64; MAX_ARGS]) -> Option<usize> {
    let n = *raw.first()? as usize;
    if n > out.len() {
        return None;
    }
    for (i, slot) in out.iter_mut().enumerate().take(n) {
        *slot = u64::from_le_bytes(raw.get(1 + 8 * i..9 + 8 * i)?.try_into().ok()?);
    }
    Some(n)
}

/// What one segment needs to run, carved from the window.
struct Segment<'p> {
    store: Store<'p, 'static>,
    stack: Stack<'p>,
    modules: &'p [Option<Module<'static, 'p>>],
    memories: &'p mut [Option<&'p mut [u8]>],
    instances: &'p mut [Option<Instance>],
    registered: [(&'static str, Option<Instance>); MAX_REGISTERED],
    n_registered: usize,
    spectest: [(&'static str, Extern<'static>); 6],
}

/// Runs the `n` commands of one segment starting at `r`, and moves `r` past them.
fn run_segment(
    window: &mut [u8],
    r: &mut Reader,
    n: u32,
    limits: &Limits,
    script: &str,
    tally: &mut Tally,
) -> Result<(), Corrupt> {
    let start = r.clone();
    let mut n_inst = 0;
    for _ in 0..n {
        if instantiates(read_command(r)?.tag) {
            n_inst += 1;
        }
    }
    let mut seg = match prepare(window, start.clone(), n, n_inst, limits, script, tally)? {
        Some(seg) => seg,
        None => return Ok(()),
    };
    let mut r = start;
    let (mut k, mut module_index) = (0usize, 0usize);
    for _ in 0..n {
        let c = read_command(&mut r)?;
        let inst = seg.instances.get(c.target as usize).copied().flatten();
        match c.tag {
            tag::MODULE | tag::UNINSTANTIABLE | tag::UNLINKABLE => {
                let got = seg.instantiate(k);
                k += 1;
                match c.tag {
                    tag::MODULE => {
                        let inst = got.as_ref().ok().copied();
                        seg.instances[module_index] = inst;
                        module_index += 1;
                        if let Err(Some(e)) = got {
                            tally.check(false, script, c.line, format_args!("module: {e}"));
                        } else if got.is_ok() {
                            tally.passed += 1;
                        }
                    }
                    tag::UNINSTANTIABLE => match got {
                        Err(Some(e)) if e.category() == Category::Trap => tally.passed += 1,
                        Err(None) => {}
                        Err(Some(e)) => tally.check(
                            false,
                            script,
                            c.line,
                            format_args!("expected a trap at instantiation, got {e}"),
                        ),
                        Ok(_) => tally.check(
                            false,
                            script,
                            c.line,
                            format_args!("expected a trap at instantiation"),
                        ),
                    },
                    _ => match got {
                        Err(Some(e)) if e.category() == Category::Unlinkable => tally.passed += 1,
                        Err(None) => {}
                        Err(Some(e)) => tally.check(
                            false,
                            script,
                            c.line,
                            format_args!("expected unlinkable, got {e}"),
                        ),
                        Ok(_) => tally.check(
                            false,
                            script,
                            c.line,
                            format_args!("expected unlinkable, it linked"),
                        ),
                    },
                }
            }
            // Checked while preparing.
            tag::INVALID | tag::MALFORMED | tag::VALID => {}
            tag::REGISTER => {
                if seg.n_registered == MAX_REGISTERED {
                    tally.check(
                        false,
                        script,
                        c.line,
                        format_args!("too many registrations"),
                    );
                } else {
                    seg.registered[seg.n_registered] = (c.name, inst);
                    seg.n_registered += 1;
                }
            }
            tag::ASSERT_GET => {
                let value = inst.and_then(|i| match seg.store.export(i, c.name) {
                    Some(Extern::Global(a)) => seg.store.global_value(a),
                    _ => None,
                });
                let ok = value
                    .is_some_and(|v| results_match(c.results, &[v.to_bits()], &[v.ty() as u8]));
                tally.check(
                    ok,
                    script,
                    c.line,
                    format_args!("get {}: {value:?}", c.name),
                );
            }
            _ => {
                let Some(inst) = inst else {
                    tally.check(
                        false,
                        script,
                        c.line,
                        format_args!("its module was not instantiated"),
                    );
                    continue;
                };
                let mut args = [0u64; MAX_ARGS];
                let Some(n_args) = decode_args(c.args, &mut args) else {
                    tally.check(
                        false,
                        script,
                        c.line,
                        format_args!("over {MAX_ARGS} arguments"),
                    );
                    continue;
                };
                let got = seg.invoke(inst, c.name, &args[..n_args]);
                match (c.tag, got) {
                    (tag::INVOKE, Ok(_)) => tally.passed += 1,
                    (tag::ASSERT_RETURN, Ok(ty)) => {
                        let results = seg.stack.results();
                        let ok = results_match(c.results, results, ty.results);
                        tally.check(
                            ok,
                            script,
                            c.line,
                            format_args!("{}: got {results:x?}", c.name),
                        );
                    }
                    (tag::ASSERT_TRAP, Err(e)) if e.category() == Category::Trap => {
                        tally.passed += 1
                    }
                    (tag::ASSERT_EXHAUSTION, Err(e)) if e.category() == Category::Exhausted => {
                        tally.passed += 1
                    }
                    (_, Err(e)) => {
                        tally.check(false, script, c.line, format_args!("{}: {e}", c.name))
                    }
                    (_, Ok(_)) => tally.check(
                        false,
                        script,
                        c.line,
                        format_args!("{}: returned, expected an error", c.name),
                    ),
                }
            }
        }
    }
    Ok(())
}

/// Carves the window for a segment, validates its modules (and checks its validation-only
/// commands), sets up the store with the spectest module.
fn prepare<'p>(
    window: &'p mut [u8],
    start: Reader,
    n: u32,
    n_inst: usize,
    limits: &Limits,
    script: &str,
    tally: &mut Tally,
) -> Result<Option<Segment<'p>>, Corrupt> {
    let no_room = |tally: &mut Tally, what: &str| {
        tally.check(
            false,
            script,
            0,
            format_args!("the test window is too small for {what}"),
        );
        Ok(None)
    };
    let Some((modules, rest)) = carve(window, n_inst, || None::<Module<'static, 'p>>) else {
        return no_room(tally, "the modules");
    };
    let Some((slots, rest)) = carve(rest, n_inst + 1, || InstanceSlot::EMPTY) else {
        return no_room(tally, "the slots");
    };
    let Some((memories, rest)) = carve(rest, n_inst, || None::<&'p mut [u8]>) else {
        return no_room(tally, "the memory list");
    };
    let Some((instances, rest)) = carve(rest, n_inst, || None::<Instance>) else {
        return no_room(tally, "the instance list");
    };
    let stack_len = Stack::bytes_for(limits) + 8;
    if rest.len() < stack_len {
        return no_room(tally, "the stack");
    }
    let (stack_buf, mut rest) = rest.split_at_mut(stack_len);

    // Validation, the wasm stack lending its bytes as scratch.
    let mut r = start;
    let mut k = 0;
    for _ in 0..n {
        let c = read_command(&mut r)?;
        match c.tag {
            t if instantiates(t) => {
                match Module::new(c.wasm, core::mem::take(&mut rest), stack_buf, limits) {
                    Ok((m, after)) => {
                        modules[k] = Some(m);
                        rest = after;
                    }
                    // The rest of the state buffer went with the failed call: the modules
                    // after it get no room, and fail too.
                    Err(e) => tally.check(
                        false,
                        script,
                        c.line,
                        format_args!("valid module rejected: {e}"),
                    ),
                }
                k += 1;
            }
            tag::VALID => {
                let got = Module::new(c.wasm, &mut *rest, stack_buf, limits).map(|_| ());
                tally.check(
                    got.is_ok(),
                    script,
                    c.line,
                    format_args!("valid module rejected: {got:?}"),
                );
            }
            tag::INVALID | tag::MALFORMED => {
                let want = if c.tag == tag::INVALID {
                    Category::Invalid
                } else {
                    Category::Malformed
                };
                match Module::new(c.wasm, &mut *rest, stack_buf, limits) {
                    Err(e) => tally.check(
                        e.category() == want,
                        script,
                        c.line,
                        format_args!("rejected as {:?} ({e}), expected {want:?}", e.category()),
                    ),
                    Ok(_) => tally.check(
                        false,
                        script,
                        c.line,
                        format_args!("accepted, expected {want:?}"),
                    ),
                }
            }
            _ => {}
        }
    }
    let modules: &'p [Option<Module<'static, 'p>>] = modules;

    // The store's arena: every instance's globals, tables and maps, and the spectest ones.
    let spectest_words = 4 * 2 + 4 + 20;
    let arena_len = modules
        .iter()
        .flatten()
        .map(|m| Store::instance_arena_bytes(m, TABLE_RESERVE))
        .sum::<usize>()
        + spectest_words * 8
        + 8;
    if rest.len() < arena_len + 2 * 65536 {
        return no_room(tally, "the store");
    }
    let (arena, rest) = rest.split_at_mut(arena_len);
    let (spectest_mem, mut rest) = rest.split_at_mut(2 * 65536);

    // Linear memories: each its minimum, plus an equal share of the rest to grow into.
    let own_memory = |m: &Module<'_, '_>| {
        let c = m.counts();
        (c.memories > c.imported_memories)
            .then(|| m.memory_type(0))
            .flatten()
    };
    let (mut need, mut growable) = (0u64, 0u64);
    for mt in modules.iter().flatten().filter_map(own_memory) {
        need = need.saturating_add(mt.limits.min.saturating_mul(mt.page_size()));
        if mt.limits.max != Some(mt.limits.min) {
            growable += 1;
        }
    }
    let spare = (rest.len() as u64).saturating_sub(need);
    let share = spare.checked_div(growable).unwrap_or(0) & !7;
    for (i, m) in modules.iter().enumerate() {
        let Some(mt) = m.as_ref().and_then(own_memory) else {
            continue;
        };
        let min = mt.limits.min.saturating_mul(mt.page_size());
        let max = mt
            .limits
            .max
            .map_or(u64::MAX, |x| x.saturating_mul(mt.page_size()));
        let want = min.saturating_add(share).min(max).max(min);
        let len = usize::try_from(want).unwrap_or(usize::MAX).min(rest.len());
        let (buf, after) = core::mem::take(&mut rest).split_at_mut(len);
        memories[i] = Some(buf);
        rest = after;
    }

    let mut store = Store::new(slots, arena);
    store.set_table_reserve(TABLE_RESERVE);
    let spectest = match define_spectest(&mut store, spectest_mem) {
        Ok(s) => s,
        Err(e) => {
            tally.check(
                false,
                script,
                0,
                format_args!("cannot set up spectest: {e}"),
            );
            return Ok(None);
        }
    };
    let stack = match Stack::new(stack_buf, limits) {
        Ok(s) => s,
        Err(e) => {
            tally.check(
                false,
                script,
                0,
                format_args!("cannot set up the stack: {e}"),
            );
            return Ok(None);
        }
    };
    Ok(Some(Segment {
        store,
        stack,
        modules,
        memories,
        instances,
        registered: [("", None); MAX_REGISTERED],
        n_registered: 0,
        spectest,
    }))
}

/// Defines the spectest module's globals, table and memory in `store`.
fn define_spectest<'p>(
    store: &mut Store<'p, 'static>,
    memory: &'p mut [u8],
) -> Result<[(&'static str, Extern<'static>); 6], Error> {
    let g = |ty, mutable| GlobalType { ty, mutable };
    let table = TableType {
        elem: ValType::FuncRef,
        limits: Bounds {
            min: 10,
            max: Some(20),
        },
    };
    let mem = MemType {
        limits: Bounds {
            min: 1,
            max: Some(2),
        },
        page_size_log2: 16,
    };
    Ok([
        (
            "global_i32",
            store.define_global(g(ValType::I32, false), Value::I32(666))?,
        ),
        (
            "global_i64",
            store.define_global(g(ValType::I64, false), Value::I64(666))?,
        ),
        (
            "global_f32",
            store.define_global(g(ValType::F32, false), Value::F32(666.6f32.to_bits()))?,
        ),
        (
            "global_f64",
            store.define_global(g(ValType::F64, false), Value::F64(666.6f64.to_bits()))?,
        ),
        ("table", store.define_table(table, 20)?),
        ("memory", store.define_memory(mem, memory)?),
    ])
}

impl<'p> Segment<'p> {
    /// Instantiates and starts the `k`th module of the segment. `Err(None)`: it did not
    /// validate (already reported).
    fn instantiate(&mut self, k: usize) -> Result<Instance, Option<Error>> {
        let module: &'p Module<'static, 'p> =
            self.modules.get(k).and_then(Option::as_ref).ok_or(None)?;
        // Resolve every import first: the resolver cannot borrow the store it fills.
        let mut resolved: [(&str, &str, ExternKind, Option<Extern<'static>>); MAX_IMPORTS] =
            [("", "", ExternKind::Func, None); MAX_IMPORTS];
        let mut n = 0;
        let mut r = module.section_reader(SectionId::Import);
        let count = if r.is_empty() {
            0
        } else {
            r.u32().map_err(Some)?
        };
        if count as usize > MAX_IMPORTS {
            return Err(Some(Error::new(
                barewasm::ErrorKind::ImplementationLimit,
                0,
            )));
        }
        for _ in 0..count {
            let m = r.name().map_err(Some)?;
            let name = r.name().map_err(Some)?;
            let kind = ExternKind::read(&mut r).map_err(Some)?;
            let func_type = match kind {
                ExternKind::Func => Some(r.u32().map_err(Some)?),
                ExternKind::Table => TableType::read(&mut r).map(|_| None).map_err(Some)?,
                ExternKind::Memory => MemType::read(&mut r).map(|_| None).map_err(Some)?,
                ExternKind::Global => GlobalType::read(&mut r).map(|_| None).map_err(Some)?,
            };
            let _ = func_type;
            let ext =
                if m == "spectest" {
                    match kind {
                        ExternKind::Func => SPECTEST_FUNCS
                            .iter()
                            .position(|(f, _, _)| *f == name)
                            .map(|id| {
                                let (_, params, results) = SPECTEST_FUNCS[id];
                                Extern::HostFunc(id as u32, FuncType { params, results })
                            }),
                        _ => self
                            .spectest
                            .iter()
                            .find(|(n, _)| *n == name)
                            .map(|(_, e)| *e),
                    }
                } else {
                    self.registered[..self.n_registered]
                        .iter()
                        .rev()
                        .find(|(reg, _)| *reg == m)
                        .and_then(|(_, i)| *i)
                        .and_then(|i| self.store.export(i, name))
                };
            resolved[n] = (m, name, kind, ext.filter(|e| kind_of(e) == kind));
            n += 1;
        }
        let mut resolve = |m: &str, name: &str, kind: ExternKind| {
            resolved[..n]
                .iter()
                .find(|(a, b, k, _)| *a == m && *b == name && *k == kind)
                .and_then(|(_, _, _, e)| *e)
        };
        let memory = self.memories.get_mut(k).and_then(Option::take);
        let inst = self
            .store
            .instantiate(module, memory, &mut resolve)
            .map_err(Some)?;
        if let Some(start) = self.store.start(inst) {
            self.store
                .call_with_host(&mut self.stack, start, &[], &mut SpecHost)
                .map_err(Some)?;
        }
        Ok(inst)
    }

    /// Calls export `name` of `inst`; the results are in `self.stack.results()`.
    fn invoke(
        &mut self,
        inst: Instance,
        name: &str,
        args: &[u64],
    ) -> Result<FuncType<'static>, Error> {
        let unknown = Error::new(barewasm::ErrorKind::UnknownFunction, 0);
        let Some(Extern::Func(f)) = self.store.export(inst, name) else {
            return Err(unknown);
        };
        let f: FuncRef = f;
        let ty = self.store.func_type(f).ok_or(unknown)?;
        if ty.params.len() != args.len() {
            return Err(Error::new(barewasm::ErrorKind::TypeMismatch, 0));
        }
        self.store
            .call_with_host(&mut self.stack, f, args, &mut SpecHost)?;
        Ok(ty)
    }
}

fn run(window: &mut [u8]) -> Result<(u32, u32, u32), Corrupt> {
    let mut r = Reader {
        bytes: BLOB,
        pos: 0,
    };
    if r.take(8)? != MAGIC {
        return Err(Corrupt);
    }
    let limits = Limits {
        max_nesting: r.u32()?,
        max_function_slots: r.u32()?,
        value_stack_slots: VALUE_SLOTS,
        max_call_depth: CALL_DEPTH,
    };
    let n_scripts = r.u32()?;
    let (mut passed, mut failed) = (0, 0);
    for _ in 0..n_scripts {
        let name = r.str()?;
        let segments = r.u32()?;
        let mut tally = Tally::default();
        for _ in 0..segments {
            let n = r.u32()?;
            run_segment(window, &mut r, n, &limits, name, &mut tally)?;
        }
        println!("{name}: {} passed, {} failed", tally.passed, tally.failed);
        passed += tally.passed;
        failed += tally.failed;
    }
    Ok((passed, failed, n_scripts))
}

#[entry]
fn main() -> ! {
    board::init();
    let Some(window) = board::open_test_window() else {
        board::fail("no test window")
    };
    if BLOB.is_empty() {
        board::fail("no spec blob: build with BAREWASM_SPEC_BLOB=path/to/spec-N.bin");
    }
    print!(
        "spec: {} bytes of scripts at {:#010x} (flash)\n",
        BLOB.len(),
        BLOB.as_ptr() as usize
    );
    match run(window) {
        Ok((passed, failed, scripts)) => {
            println!("spec: {scripts} scripts; {passed} passed, {failed} failed");
            println!(
                "FIGURES program=spec passed={passed} failed={failed} native_stack={}",
                figures::native_stack_high_water()
            );
            board::exit(if failed == 0 {
                board::EXIT_OK
            } else {
                board::EXIT_FAILED
            })
        }
        Err(Corrupt) => board::fail("the spec blob is corrupt"),
    }
}
