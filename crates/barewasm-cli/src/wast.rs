//! Runs the official spec scripts (`.wast`) against barewasm.
//!
//! Every module in a script is decoded and validated: `assert_invalid` modules must be
//! rejected as invalid, binary `assert_malformed` modules as malformed, and every other
//! module accepted. In [`Mode::Full`] modules are also instantiated and the execution
//! directives run (`invoke`, `get`, `register`, `assert_return`, `assert_trap`,
//! `assert_exhaustion`, `assert_unlinkable`, `assert_uninstantiable`). Skips are never
//! silent: each carries its reason and is listed in the report.

use std::collections::HashMap;

use barewasm::exec::interp::Outcome;
use barewasm::exec::stack::{Stack, UNLIMITED_FUEL};
use barewasm::exec::store::{Extern, Instance, InstanceSlot, Store};
use barewasm::exec::value::{FuncRef, Value};
use barewasm::{
    Category, ExternKind, FuncType, GlobalType, Limits, MemType, Module, TableType, ValType,
};
use bumpalo::Bump;
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::{QuoteWat, QuoteWatTest, WastArg, WastDirective, WastExecute, WastRet};

/// Limits generous enough for every module in the spec suite. Under Miri, which checks
/// every byte the buffers these limits size, smaller ones that the scripts it runs
/// (`tests/spec_subset.rs`) still fit.
pub const SPEC_LIMITS: Limits = if cfg!(miri) {
    Limits {
        max_nesting: 1_000,
        max_function_slots: 1 << 14,
        value_stack_slots: 1 << 14,
        max_call_depth: 1 << 10,
    }
} else {
    Limits {
        max_nesting: 100_000,
        max_function_slots: 1 << 20,
        value_stack_slots: 1 << 16,
        max_call_depth: 1 << 12,
    }
};

/// Execution limits for the spec runner: deep enough for the suite's recursion tests, small
/// enough that runaway recursion ends quickly in `call stack exhausted`.
pub const SPEC_EXEC_LIMITS: Limits = Limits {
    value_stack_slots: if cfg!(miri) { 1 << 14 } else { 1 << 18 },
    max_call_depth: if cfg!(miri) { 2_000 } else { 20_000 },
    ..SPEC_LIMITS
};

/// What a run checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Decode and validate every module.
    Validate,
    /// Also instantiate modules and run the execution assertions.
    Full,
}

/// The outcome of one script.
#[derive(Debug, Default)]
pub struct FileReport {
    /// Script name.
    pub name: String,
    /// Assertions that held.
    pub passed: usize,
    /// Assertions that failed, with line and reason.
    pub failures: Vec<String>,
    /// Directives not checked, with line and reason.
    pub skipped: Vec<String>,
    /// Text-format `assert_malformed` modules: they test a text parser, which barewasm
    /// does not have (the CLI uses the `wat` crate); counted apart, never as passes.
    pub text_format: usize,
    /// Execution directives not run ([`Mode::Validate`]).
    pub not_run: usize,
    /// Fuel each call into wasm consumed, in order (start functions included): the
    /// interruption test checks it does not depend on how fuel is sliced.
    pub fuel_log: Vec<u64>,
    /// How often a call ran out of its fuel slice and was continued.
    pub pauses: usize,
}

/// Why a module is left out of a run.
pub type SkipRule = fn(&[u8]) -> Option<&'static str>;

/// Skips nothing.
pub fn no_skip(_: &[u8]) -> Option<&'static str> {
    None
}

/// Modules with more than one memory need multi-memory, which comes later.
pub fn skip_multi_memory(bytes: &[u8]) -> Option<&'static str> {
    match barewasm::validate::counts(bytes) {
        Ok(c) if c.memories > 1 => {
            Some("declares two memories (multi-memory proposal, not yet supported)")
        }
        _ => None,
    }
}

/// Modules that use a float instruction, when barewasm is built without its `float`
/// feature: rejected with `FloatUnsupported` at an offset whose byte (checked here
/// independently of the runtime) is a float comparison, arithmetic or conversion opcode.
/// A rejection anywhere else is not skipped, so the directive fails loudly.
pub fn skip_float(bytes: &[u8]) -> Option<&'static str> {
    let e = validate(bytes, &SPEC_LIMITS).err()?;
    if e.kind() != barewasm::ErrorKind::FloatUnsupported {
        return None;
    }
    let at = e.offset();
    let is_float_opcode = match bytes.get(at) {
        Some(0x5b..=0x66 | 0x8b..=0xa6 | 0xa8..=0xab | 0xae..=0xbb) => true,
        // The saturating truncations: 0xFC, then 0 to 7 as an unsigned LEB128 (the spec
        // tests also encode them in more bytes than needed).
        Some(0xfc) => {
            let (mut sub, mut shift) = (0u64, 0);
            for &b in bytes.get(at + 1..).unwrap_or_default().iter().take(5) {
                sub |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b & 0x80 == 0 {
                    break;
                }
            }
            sub <= 7
        }
        _ => false,
    };
    is_float_opcode.then_some("uses a float instruction (barewasm built without `float`)")
}

/// [`skip_multi_memory`], then [`skip_float`].
pub fn skip_multi_memory_or_float(bytes: &[u8]) -> Option<&'static str> {
    skip_multi_memory(bytes).or_else(|| skip_float(bytes))
}

/// Decodes and validates `bytes` with buffers grown to what the runtime says it needs;
/// returns the state bytes the module needs.
pub fn validate(bytes: &[u8], limits: &Limits) -> Result<usize, barewasm::Error> {
    let mut state = vec![0u8; 64 * 1024];
    let mut scratch = vec![0u8; 64 * 1024];
    loop {
        match Module::new(bytes, &mut state, &mut scratch, limits) {
            Ok((m, _)) => return Ok(m.state_bytes()),
            Err(e) => match e.kind() {
                barewasm::ErrorKind::BufferTooSmall { which, needed, .. } => {
                    let buf = match which {
                        barewasm::BufferKind::Scratch => &mut scratch,
                        _ => &mut state,
                    };
                    if needed as usize <= buf.len() {
                        return Err(e); // would loop: the runtime's figure is wrong
                    }
                    buf.resize(needed as usize, 0);
                }
                _ => return Err(e),
            },
        }
    }
}

/// Host function ids of the `spectest` module, with their types.
const SPECTEST_FUNCS: &[(&str, &[u8], &[u8])] = &[
    ("print", &[], &[]),
    ("print_i32", &[0x7f], &[]),
    ("print_i64", &[0x7e], &[]),
    ("print_f32", &[0x7d], &[]),
    ("print_f64", &[0x7c], &[]),
    ("print_i32_f32", &[0x7f, 0x7d], &[]),
    ("print_f64_f64", &[0x7c, 0x7c], &[]),
];

/// One script's world: the store, named instances and registrations.
struct World<'b> {
    bump: &'b Bump,
    memories: &'b typed_arena::Arena<Box<[u8]>>,
    store: Store<'b, 'b>,
    stack: Stack<'b>,
    current: Option<Instance>,
    named: HashMap<String, Instance>,
    registered: HashMap<String, Instance>,
    spectest: HashMap<&'static str, Extern<'static>>,
    /// Fuel per slice: every call runs in slices of this much, continued after each.
    fuel_slice: u64,
    fuel_log: Vec<u64>,
    pauses: usize,
    /// Prepare every module before instantiating it (see [`run_script_prepared`]).
    prepared: bool,
}

/// `len` zero bytes in `bump`, copied from a zeroed allocation in one go (filling byte by
/// byte is as fast natively but takes minutes for 16 MiB under Miri).
fn zeroed(bump: &Bump, len: usize) -> &mut [u8] {
    bump.alloc_slice_copy(&vec![0u8; len])
}

impl<'b> World<'b> {
    fn new(
        bump: &'b Bump,
        memories: &'b typed_arena::Arena<Box<[u8]>>,
        capacity: usize,
        fuel_slice: u64,
    ) -> Result<Self, barewasm::Error> {
        let slots = bump.alloc_slice_fill_with(capacity + 1, |_| InstanceSlot::EMPTY);
        let arena = zeroed(bump, if cfg!(miri) { 1 << 20 } else { 16 << 20 });
        let mut store = Store::new(slots, arena);
        store.set_table_reserve(if cfg!(miri) { 1 << 10 } else { 1 << 16 });
        let stack_buf = zeroed(bump, Stack::bytes_for(&SPEC_EXEC_LIMITS) + 8);
        let stack = Stack::new(stack_buf, &SPEC_EXEC_LIMITS)?;
        let mut spectest = HashMap::new();
        let g = |ty, mutable| GlobalType { ty, mutable };
        spectest.insert(
            "global_i32",
            store.define_global(g(ValType::I32, false), Value::I32(666))?,
        );
        spectest.insert(
            "global_i64",
            store.define_global(g(ValType::I64, false), Value::I64(666))?,
        );
        spectest.insert(
            "global_f32",
            store.define_global(g(ValType::F32, false), Value::F32(666.6f32.to_bits()))?,
        );
        spectest.insert(
            "global_f64",
            store.define_global(g(ValType::F64, false), Value::F64(666.6f64.to_bits()))?,
        );
        let table = TableType {
            elem: ValType::FuncRef,
            limits: barewasm::binary::types::Limits {
                min: 10,
                max: Some(20),
            },
        };
        spectest.insert("table", store.define_table(table, 20)?);
        let mem = MemType {
            limits: barewasm::binary::types::Limits {
                min: 1,
                max: Some(2),
            },
            page_size_log2: 16,
        };
        let mem_buf = zeroed(bump, 2 * 65536);
        spectest.insert("memory", store.define_memory(mem, mem_buf)?);
        Ok(World {
            bump,
            memories,
            store,
            stack,
            current: None,
            named: HashMap::new(),
            registered: HashMap::new(),
            spectest,
            fuel_slice,
            fuel_log: Vec::new(),
            pauses: 0,
            prepared: false,
        })
    }

    fn instance(&self, id: Option<wast::token::Id<'_>>) -> Option<Instance> {
        match id {
            Some(id) => self.named.get(id.name()).copied(),
            None => self.current,
        }
    }

    /// Validates, instantiates and starts a module.
    fn instantiate(&mut self, bytes: &[u8]) -> Result<Instance, barewasm::Error> {
        let prepared;
        let bytes = if self.prepared {
            prepared = crate::prepare::prepare(bytes, &SPEC_LIMITS)?;
            &prepared[..]
        } else {
            bytes
        };
        let need = validate(bytes, &SPEC_LIMITS)?;
        let bytes: &'b [u8] = self.bump.alloc_slice_copy(bytes);
        let state = self.bump.alloc_slice_fill_copy(need + 8, 0u8);
        let scratch_need =
            barewasm::validate::scratch_bytes(&barewasm::validate::counts(bytes)?, &SPEC_LIMITS);
        let mut scratch = vec![0u8; scratch_need + 8];
        let (module, _) = Module::new(bytes, state, &mut scratch, &SPEC_LIMITS)?;
        let module: &'b Module<'b, 'b> = self.bump.alloc(module);
        let memory = module
            .memory_type(0)
            .filter(|_| module.counts().memories > module.counts().imported_memories);
        // Up to 64 MiB of room to grow (the suite grows one memory to 803 pages); the OS
        // hands the zeroed pages over lazily, so untouched room costs nothing.
        let mem_buf = memory.map(|m| {
            let min = m.limits.min * m.page_size();
            let max = m.limits.max.map_or(u64::MAX, |x| x * m.page_size());
            let size = max.min(min.max(64 << 20)).max(min);
            &mut **self
                .memories
                .alloc(vec![0u8; size as usize].into_boxed_slice())
        });
        let spectest = &self.spectest;
        let registered = &self.registered;
        let store_ptr = &self.store;
        let mut exports: Vec<(String, String, Option<Extern<'static>>)> = Vec::new();
        // Resolve every import up front (the resolver cannot borrow the store it fills).
        let mut r = module.section_reader(barewasm::binary::sections::SectionId::Import);
        if !r.is_empty() {
            let n = r.u32()?;
            for _ in 0..n {
                let m = r.name()?.to_string();
                let f = r.name()?.to_string();
                let kind = ExternKind::read(&mut r)?;
                match kind {
                    ExternKind::Func => {
                        r.u32()?;
                    }
                    ExternKind::Table => {
                        TableType::read(&mut r)?;
                    }
                    ExternKind::Memory => {
                        MemType::read(&mut r)?;
                    }
                    ExternKind::Global => {
                        GlobalType::read(&mut r)?;
                    }
                }
                let ext = if m == "spectest" {
                    spectest
                        .get(f.as_str())
                        .copied()
                        .filter(|e| kind_of(e) == kind)
                } else {
                    registered
                        .get(&m)
                        .and_then(|&i| store_ptr.export(i, &f))
                        .filter(|e| kind_of(e) == kind)
                };
                exports.push((m, f, ext));
            }
        }
        let mut resolver = |m: &str, f: &str, kind: ExternKind| -> Option<Extern<'static>> {
            if m == "spectest" && kind == ExternKind::Func {
                let id = SPECTEST_FUNCS.iter().position(|(name, _, _)| *name == f)?;
                let (_, params, results) = SPECTEST_FUNCS[id];
                return Some(Extern::HostFunc(id as u32, FuncType { params, results }));
            }
            exports
                .iter()
                .find(|(a, b, _)| a == m && b == f)
                .and_then(|(_, _, e)| *e)
        };
        let inst = self.store.instantiate(module, mem_buf, &mut resolver)?;
        if let Some(f) = self.store.start(inst) {
            self.call(f, &[])?;
        }
        Ok(inst)
    }

    /// Calls `f`, answering host calls (the spectest print functions return nothing) and
    /// continuing each time a fuel slice runs out; logs the fuel the call consumed.
    fn call(&mut self, f: FuncRef, args: &[u64]) -> Result<Vec<u64>, barewasm::Error> {
        let slice = self.fuel_slice;
        self.stack.set_fuel(slice);
        let mut used = 0;
        let mut outcome = self.store.call(&mut self.stack, f, args);
        loop {
            match outcome {
                Ok(Outcome::HostCall { .. }) => outcome = self.store.resume(&mut self.stack, &[]),
                Ok(Outcome::OutOfFuel) => {
                    used += slice;
                    self.pauses += 1;
                    self.stack.set_fuel(slice);
                    outcome = self.store.continue_call(&mut self.stack);
                }
                Ok(Outcome::Returned) | Err(_) => break,
            }
        }
        self.fuel_log.push(used + (slice - self.stack.fuel()));
        outcome.map(|_| self.stack.results().to_vec())
    }

    fn invoke(&mut self, inv: &wast::WastInvoke<'_>) -> Result<(Vec<u64>, &'b [u8]), String> {
        let inst = self.instance(inv.module).ok_or("no such module")?;
        let Some(Extern::Func(f)) = self.store.export(inst, inv.name) else {
            return Err(format!("no exported function {:?}", inv.name));
        };
        let ty = self.store.func_type(f).ok_or("bad function")?;
        let mut args = Vec::new();
        for a in &inv.args {
            args.push(arg_bits(a).ok_or("unsupported argument")?);
        }
        let results = self.call(f, &args).map_err(|e| format!("trap: {e}"))?;
        let results_ty: &'b [u8] = self.bump.alloc_slice_copy(ty.results);
        Ok((results, results_ty))
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

fn arg_bits(a: &WastArg<'_>) -> Option<u64> {
    let WastArg::Core(a) = a else { return None };
    Some(match a {
        WastArgCore::I32(v) => *v as u32 as u64,
        WastArgCore::I64(v) => *v as u64,
        WastArgCore::F32(v) => v.bits as u64,
        WastArgCore::F64(v) => v.bits,
        WastArgCore::RefNull(_) => 0,
        WastArgCore::RefExtern(n) => *n as u64 + 1,
        _ => return None,
    })
}

fn nan32(p: &NanPattern<wast::token::F32>, bits: u32) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff == 0x7fc0_0000,
        NanPattern::ArithmeticNan => bits & 0x7fc0_0000 == 0x7fc0_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn nan64(p: &NanPattern<wast::token::F64>, bits: u64) -> bool {
    match p {
        NanPattern::CanonicalNan => bits & 0x7fff_ffff_ffff_ffff == 0x7ff8_0000_0000_0000,
        NanPattern::ArithmeticNan => bits & 0x7ff8_0000_0000_0000 == 0x7ff8_0000_0000_0000,
        NanPattern::Value(v) => v.bits == bits,
    }
}

fn matches(want: &WastRetCore<'_>, ty: u8, bits: u64) -> bool {
    let value = Value::from_bits(ValType::from_byte(ty).unwrap_or(ValType::I32), bits);
    match (want, value) {
        (WastRetCore::I32(w), Value::I32(v)) => *w == v,
        (WastRetCore::I64(w), Value::I64(v)) => *w == v,
        (WastRetCore::F32(p), Value::F32(v)) => nan32(p, v),
        (WastRetCore::F64(p), Value::F64(v)) => nan64(p, v),
        (WastRetCore::RefNull(h), Value::FuncRef(None)) => heap_is(h, AbstractHeapType::Func),
        (WastRetCore::RefNull(h), Value::ExternRef(None)) => heap_is(h, AbstractHeapType::Extern),
        (WastRetCore::RefExtern(None), Value::ExternRef(Some(_))) => true,
        (WastRetCore::RefExtern(Some(n)), Value::ExternRef(Some(v))) => *n == v,
        (WastRetCore::RefFunc(_), Value::FuncRef(Some(_))) => true,
        (WastRetCore::Either(alts), _) => alts.iter().any(|a| matches(a, ty, bits)),
        _ => false,
    }
}

fn heap_is(h: &Option<HeapType<'_>>, want: AbstractHeapType) -> bool {
    match h {
        None => true,
        Some(HeapType::Abstract { ty, .. }) => *ty == want,
        Some(_) => false,
    }
}

fn encode(module: &mut QuoteWat<'_>) -> Result<Vec<u8>, String> {
    match module.to_test() {
        Ok(QuoteWatTest::Binary(b)) => Ok(b),
        Ok(QuoteWatTest::Text(t)) => wat::parse_bytes(&t)
            .map(|b| b.into_owned())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// Runs one script.
pub fn run_script(name: &str, text: &str, skip: SkipRule, mode: Mode) -> FileReport {
    run_script_sliced(name, text, skip, mode, UNLIMITED_FUEL)
}

/// [`run_script`] in [`Mode::Full`] with every module prepared first
/// ([`crate::prepare::prepare`]): instances run on side tables read from the modules'
/// custom sections, checked by `Module::new`, rather than built in RAM.
pub fn run_script_prepared(name: &str, text: &str, skip: SkipRule) -> FileReport {
    run_script_with(name, text, skip, Mode::Full, UNLIMITED_FUEL, true)
}

/// [`run_script`], with every call into wasm run in slices of `fuel_slice` units of fuel
/// and continued after each: results must not change, and neither must the fuel each
/// call consumes in all ([`FileReport::fuel_log`]).
pub fn run_script_sliced(
    name: &str,
    text: &str,
    skip: SkipRule,
    mode: Mode,
    fuel_slice: u64,
) -> FileReport {
    run_script_with(name, text, skip, mode, fuel_slice, false)
}

fn run_script_with(
    name: &str,
    text: &str,
    skip: SkipRule,
    mode: Mode,
    fuel_slice: u64,
    prepared: bool,
) -> FileReport {
    let mut report = FileReport {
        name: name.to_string(),
        ..FileReport::default()
    };
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match wast::parser::ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            report.failures.push(format!("cannot lex script: {e}"));
            return report;
        }
    };
    let script = match wast::parser::parse::<wast::Wast>(&buf) {
        Ok(s) => s,
        Err(e) => {
            report.failures.push(format!("cannot parse script: {e}"));
            return report;
        }
    };
    let bump = Bump::new();
    let memories = typed_arena::Arena::new();
    let mut world = match World::new(&bump, &memories, script.directives.len(), fuel_slice) {
        Ok(mut w) => {
            w.prepared = prepared;
            w
        }
        Err(e) => {
            report
                .failures
                .push(format!("cannot set up the store: {e}"));
            return report;
        }
    };
    // After a module fails to instantiate, directives that use it cannot run; names it was
    // registered under make later imports from it unrunnable too.
    let mut current_broken = false;
    let mut broken_names: Vec<String> = Vec::new();
    let mut skipped_ids: Vec<String> = Vec::new();
    for directive in script.directives {
        let (line, _) = directive.span().linecol_in(text);
        let line = line + 1;
        let definition = matches!(directive, WastDirective::ModuleDefinition(_));
        let fail = |report: &mut FileReport, msg: String| {
            report.failures.push(format!("line {line}: {msg}"))
        };
        match directive {
            WastDirective::Module(mut m) | WastDirective::ModuleDefinition(mut m) => {
                // A definition is only compiled; `module instance` would instantiate it.
                let id = match &m {
                    QuoteWat::Wat(wast::Wat::Module(md)) => md.id.map(|i| i.name().to_string()),
                    _ => None,
                };
                let bytes = match encode(&mut m) {
                    Ok(b) => b,
                    Err(e) => {
                        fail(&mut report, format!("cannot encode module: {e}"));
                        continue;
                    }
                };
                if let Some(reason) = skip(&bytes) {
                    report.skipped.push(format!("line {line}: {reason}"));
                    current_broken = true;
                    skipped_ids.extend(id);
                    continue;
                }
                if mode == Mode::Full && !definition {
                    if let Some(m) = imports_from(&bytes, &broken_names) {
                        report.skipped.push(format!(
                            "line {line}: imports from \"{m}\", which was skipped"
                        ));
                        current_broken = true;
                        continue;
                    }
                }
                if mode == Mode::Validate || definition {
                    match validate(&bytes, &SPEC_LIMITS) {
                        Ok(_) => report.passed += 1,
                        Err(e) => fail(&mut report, format!("valid module rejected: {e}")),
                    }
                    continue;
                }
                match world.instantiate(&bytes) {
                    Ok(inst) => {
                        report.passed += 1;
                        world.current = Some(inst);
                        current_broken = false;
                        if let Some(id) = id {
                            world.named.insert(id, inst);
                        }
                    }
                    Err(e) => {
                        current_broken = true;
                        fail(&mut report, format!("module failed: {e}"));
                    }
                }
            }
            WastDirective::AssertMalformed { mut module, .. } => {
                if let QuoteWat::QuoteModule(..) = module {
                    report.text_format += 1;
                    continue;
                }
                check_reject(&mut report, line, &mut module, Category::Malformed, skip);
            }
            WastDirective::AssertInvalid { mut module, .. } => {
                check_reject(&mut report, line, &mut module, Category::Invalid, skip);
            }
            WastDirective::Register { name, module, .. } if mode == Mode::Full => {
                let skipped_module = match module {
                    None => current_broken,
                    Some(id) => skipped_ids.iter().any(|s| s == id.name()),
                };
                if skipped_module {
                    report
                        .skipped
                        .push(format!("line {line}: registers a module that was skipped"));
                    broken_names.push(name.to_string());
                    continue;
                }
                match world.instance(module) {
                    Some(inst) => {
                        world.registered.insert(name.to_string(), inst);
                    }
                    None => fail(&mut report, "register: no such module".into()),
                }
            }
            WastDirective::AssertUnlinkable { module, .. } => {
                let mut m = QuoteWat::Wat(module);
                let bytes = match encode(&mut m) {
                    Ok(b) => b,
                    Err(e) => {
                        fail(&mut report, format!("cannot encode module: {e}"));
                        continue;
                    }
                };
                if let Some(reason) = skip(&bytes) {
                    report.skipped.push(format!("line {line}: {reason}"));
                    continue;
                }
                let got = if mode == Mode::Full {
                    world.instantiate(&bytes).map(|_| ())
                } else {
                    validate(&bytes, &SPEC_LIMITS).map(|_| ())
                };
                match (mode, got) {
                    (Mode::Validate, Ok(())) => report.passed += 1,
                    (Mode::Full, Err(e)) if e.category() == Category::Unlinkable => {
                        report.passed += 1
                    }
                    (_, Err(e)) => fail(
                        &mut report,
                        format!("expected unlinkable, got {:?}: {e}", e.category()),
                    ),
                    (Mode::Full, Ok(())) => {
                        fail(&mut report, "expected unlinkable, module linked".into())
                    }
                }
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Wat(module),
                ..
            } => {
                // assert_uninstantiable: valid, but instantiation (segments or start) traps.
                let mut m = QuoteWat::Wat(module);
                let bytes = match encode(&mut m) {
                    Ok(b) => b,
                    Err(e) => {
                        fail(&mut report, format!("cannot encode module: {e}"));
                        continue;
                    }
                };
                let got = if mode == Mode::Full {
                    world.instantiate(&bytes).map(|_| ())
                } else {
                    validate(&bytes, &SPEC_LIMITS).map(|_| ())
                };
                match (mode, got) {
                    (Mode::Validate, Ok(())) => report.passed += 1,
                    (Mode::Full, Err(e)) if e.category() == Category::Trap => report.passed += 1,
                    (_, Err(e)) => fail(
                        &mut report,
                        format!("expected a trap at instantiation, got {e}"),
                    ),
                    (Mode::Full, Ok(())) => {
                        fail(&mut report, "expected a trap at instantiation".into())
                    }
                }
            }
            _ if mode == Mode::Validate => report.not_run += 1,
            _ if current_broken => {
                report.skipped.push(format!(
                    "line {line}: the module it uses was not instantiated"
                ));
            }
            WastDirective::Invoke(inv) => match world.invoke(&inv) {
                Ok(_) => report.passed += 1,
                Err(e) => fail(&mut report, format!("invoke {:?}: {e}", inv.name)),
            },
            WastDirective::AssertReturn { exec, results, .. } => {
                let got = match &exec {
                    WastExecute::Invoke(inv) => world.invoke(inv),
                    WastExecute::Get { module, global, .. } => get_global(&world, *module, global),
                    WastExecute::Wat(_) => {
                        report.skipped.push(format!(
                            "line {line}: assert_return on a module is not a 2.0 form"
                        ));
                        continue;
                    }
                };
                match got {
                    Ok((vals, tys)) => {
                        let ok = vals.len() == results.len()
                            && results.iter().zip(vals.iter().zip(tys.iter())).all(
                                |(want, (&bits, &ty))| match want {
                                    WastRet::Core(w) => matches(w, ty, bits),
                                    #[allow(unreachable_patterns)]
                                    _ => false,
                                },
                            );
                        if ok {
                            report.passed += 1;
                        } else {
                            fail(
                                &mut report,
                                format!("assert_return: got {vals:x?}, expected {results:?}"),
                            );
                        }
                    }
                    Err(e) => fail(&mut report, format!("assert_return: {e}")),
                }
            }
            WastDirective::AssertTrap {
                exec: WastExecute::Invoke(inv),
                message,
                ..
            } => expect_error(&mut world, &mut report, line, &inv, Category::Trap, message),
            WastDirective::AssertExhaustion { call, message, .. } => expect_error(
                &mut world,
                &mut report,
                line,
                &call,
                Category::Exhausted,
                message,
            ),
            other => report.skipped.push(format!(
                "line {line}: directive not supported: {:?}",
                std::mem::discriminant(&other)
            )),
        }
    }
    report.fuel_log = world.fuel_log;
    report.pauses = world.pauses;
    report
}

fn get_global<'b>(
    world: &World<'b>,
    module: Option<wast::token::Id<'_>>,
    name: &str,
) -> Result<(Vec<u64>, &'b [u8]), String> {
    let inst = world.instance(module).ok_or("no such module")?;
    let Some(Extern::Global(addr)) = world.store.export(inst, name) else {
        return Err(format!("no exported global {name:?}"));
    };
    let v = world.store.global_value(addr).ok_or("bad global")?;
    let ty: &'b [u8] = world.bump.alloc_slice_copy(&[v.ty() as u8]);
    Ok((vec![v.to_bits()], ty))
}

fn expect_error(
    world: &mut World<'_>,
    report: &mut FileReport,
    line: usize,
    inv: &wast::WastInvoke<'_>,
    want: Category,
    message: &str,
) {
    let Some(inst) = world.instance(inv.module) else {
        report.failures.push(format!("line {line}: no such module"));
        return;
    };
    let Some(Extern::Func(f)) = world.store.export(inst, inv.name) else {
        report
            .failures
            .push(format!("line {line}: no exported function {:?}", inv.name));
        return;
    };
    let args: Option<Vec<u64>> = inv.args.iter().map(arg_bits).collect();
    let Some(args) = args else {
        report
            .failures
            .push(format!("line {line}: unsupported argument"));
        return;
    };
    match world.call(f, &args) {
        Err(e) if e.category() == want => report.passed += 1,
        Err(e) => report.failures.push(format!(
            "line {line}: expected {want:?} \"{message}\", got {e}"
        )),
        Ok(v) => report.failures.push(format!(
            "line {line}: expected {want:?} \"{message}\", returned {v:x?}"
        )),
    }
}

fn check_reject(
    report: &mut FileReport,
    line: usize,
    module: &mut QuoteWat<'_>,
    cat: Category,
    skip: SkipRule,
) {
    let bytes = match encode(module) {
        Ok(b) => b,
        Err(e) => {
            report
                .failures
                .push(format!("line {line}: cannot encode module: {e}"));
            return;
        }
    };
    if let Some(reason) = skip(&bytes) {
        report.skipped.push(format!("line {line}: {reason}"));
        return;
    }
    match validate(&bytes, &SPEC_LIMITS) {
        Ok(_) => report
            .failures
            .push(format!("line {line}: accepted, expected {cat:?}")),
        Err(e) if e.category() == cat => report.passed += 1,
        Err(e) => report.failures.push(format!(
            "line {line}: rejected as {:?} ({e}), expected {cat:?}",
            e.category()
        )),
    }
}

/// The first module name `bytes` imports from that is in `names`.
fn imports_from(bytes: &[u8], names: &[String]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let sections = barewasm::binary::sections::Sections::index(bytes).ok()?;
    let mut r = sections.reader(bytes, barewasm::binary::sections::SectionId::Import);
    let n = r.u32().ok()?;
    for _ in 0..n {
        let m = r.name().ok()?;
        r.name().ok()?;
        match ExternKind::read(&mut r).ok()? {
            ExternKind::Func => drop(r.u32().ok()?),
            ExternKind::Table => drop(TableType::read(&mut r).ok()?),
            ExternKind::Memory => drop(MemType::read(&mut r).ok()?),
            ExternKind::Global => drop(GlobalType::read(&mut r).ok()?),
        }
        if names.iter().any(|b| b == m) {
            return Some(m.to_string());
        }
    }
    None
}
