//! Running modules on barewasm the way firmware would: every buffer sized from the
//! runtime's own figures, grown only when it says how many bytes it needs.
//!
//! Besides "no panic", the helpers here check the host contract: a `BufferTooSmall` error
//! always asks for more than it got and converges, the memory plan's figures suffice, an
//! instance takes no more arena than `Store::instance_arena_bytes` says, and a call fails
//! only with a trap or exhaustion.

use barewasm::binary::sections::SectionId;
use barewasm::{
    BufferKind, Category, Error, ErrorKind, Extern, ExternKind, GlobalType, Host, InstanceSlot,
    Limits, MemType, Memory, Module, Plan, Stack, Store, TableType, ValType, Value,
};

use crate::obs::{CallResult, Observation, Trap, Val};

/// Largest buffer the harness hands over; a module asking for more is skipped.
pub const MAX_BUFFER: usize = 256 << 20;
/// Growth attempts before the figures are declared not to converge (state may need two:
/// index tables, then side table; scratch one).
const MAX_ATTEMPTS: usize = 8;

/// The most results `Store::call_with_host` takes from a host function (its
/// `MAX_HOST_RESULTS`); an import returning more traps.
const MAX_HOST_VALUES: usize = 16;

/// A zeroed byte buffer aligned to 8, like firmware's `AlignedBuffer`.
#[derive(Clone, Debug)]
pub struct Buf {
    words: Vec<u64>,
    len: usize,
}

impl Buf {
    /// A buffer of `len` bytes.
    pub fn new(len: usize) -> Self {
        Buf {
            words: vec![0; len.div_ceil(8)],
            len,
        }
    }

    /// Its bytes.
    pub fn bytes(&mut self) -> &mut [u8] {
        &mut bytemuck::cast_slice_mut::<u64, u8>(&mut self.words)[..self.len]
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn grow(&mut self, len: usize) {
        self.words.resize(len.div_ceil(8), 0);
        self.len = len;
    }
}

/// Whether `kind` is one of barewasm's documented implementation limits, which the spec
/// allows a validator to impose (so a module rejected for one is not a disagreement).
pub fn is_implementation_limit(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::OperandStackOverflow
            | ErrorKind::NestingTooDeep
            | ErrorKind::FunctionTooLarge
            | ErrorKind::ImplementationLimit
    ) || matches!(kind, ErrorKind::BufferTooSmall { .. })
}

/// Validates `bytes` starting from buffers of `state0` and `scratch0` bytes and growing
/// each to the size the runtime reports, checking that every report asks for more than
/// it got and that the figures converge. Returns the result and the buffers that
/// sufficed (or the last ones tried).
pub fn validate_growing(
    bytes: &[u8],
    limits: &Limits,
    state0: usize,
    scratch0: usize,
) -> (Result<(), Error>, Buf, Buf) {
    let mut state = Buf::new(state0);
    let mut scratch = Buf::new(scratch0);
    for _ in 0..MAX_ATTEMPTS {
        let err = match Module::new(bytes, state.bytes(), scratch.bytes(), limits) {
            Ok(_) => return (Ok(()), state, scratch),
            Err(e) => e,
        };
        check_error_offset(bytes, &err);
        let ErrorKind::BufferTooSmall { which, needed, got } = err.kind() else {
            return (Err(err), state, scratch);
        };
        let needed = needed as usize;
        let buf = match which {
            BufferKind::State => &mut state,
            BufferKind::Scratch => &mut scratch,
            other => panic!("validation asked for a {other} buffer: {err}"),
        };
        assert_eq!(
            got as usize,
            buf.len(),
            "`got` is not the buffer's length: {err}"
        );
        assert!(needed > buf.len(), "asks for no more than it got: {err}");
        if needed > MAX_BUFFER {
            return (Err(err), state, scratch);
        }
        buf.grow(needed);
    }
    panic!(
        "buffer figures do not converge after {MAX_ATTEMPTS} attempts (state {}, scratch {})",
        state.len(),
        scratch.len()
    );
}

/// Decode and validation errors point into the module.
fn check_error_offset(bytes: &[u8], err: &Error) {
    if matches!(err.category(), Category::Malformed | Category::Invalid) {
        assert!(
            err.offset() <= bytes.len(),
            "error offset {:#x} beyond the module's {} bytes: {err}",
            err.offset(),
            bytes.len()
        );
    }
}

/// For a valid module: validating again with exactly the plan's state and scratch figures
/// must succeed, and the plan must describe the module it came from.
pub fn check_plan(bytes: &[u8], limits: &Limits, state: &mut Buf, scratch: &mut Buf) -> Plan {
    let plan = {
        let (module, _) = Module::new(bytes, state.bytes(), scratch.bytes(), limits)
            .expect("validated once, so again");
        Plan::new(&module, limits)
    };
    assert_eq!(plan.module_bytes, bytes.len());
    assert!(plan.module_state_bytes <= state.len());
    assert!(plan.side_table_bytes <= plan.module_state_bytes);
    let mut s = Buf::new(plan.module_state_bytes);
    let mut t = Buf::new(plan.scratch_bytes);
    if let Err(e) = Module::new(bytes, s.bytes(), t.bytes(), limits) {
        panic!(
            "the plan's figures (state {}, scratch {}) do not suffice: {e}",
            plan.module_state_bytes, plan.scratch_bytes
        );
    }
    plan
}

/// How to run a module.
#[derive(Clone, Copy, Debug)]
pub struct RunConfig {
    /// Limits for validation.
    pub validate: Limits,
    /// Limits for the execution stack.
    pub exec: Limits,
    /// Linear-memory buffer size: growth stops at this many bytes.
    pub memory_cap: usize,
    /// `Store::set_table_reserve`.
    pub table_reserve: u32,
    /// Provide every import from the host (functions that return zeros, fresh tables,
    /// memories and globals); otherwise a module with imports fails to link.
    pub host_imports: bool,
}

/// Answers every host call with zeros (the default value of every type).
struct ZeroHost;

impl Host for ZeroHost {
    fn call(
        &mut self,
        _: u32,
        _: &[u64],
        results: &mut [u64],
        _: Option<&mut Memory<'_>>,
    ) -> barewasm::Result<()> {
        results.fill(0);
        Ok(())
    }
}

/// Why a module did not run.
#[derive(Debug)]
pub enum NotRun {
    /// barewasm rejected it.
    Rejected(Error),
    /// It needs more memory or table than the harness gives.
    TooBig,
}

/// The slot value of a harness value.
pub fn to_bits(v: Val) -> u64 {
    match v {
        Val::I32(x) => x as u32 as u64,
        Val::I64(x) => x as u64,
        Val::F32(x) => x as u64,
        Val::F64(x) => x,
        Val::Ref { .. } => 0,
    }
}

fn from_value(v: Value) -> Val {
    match v {
        Value::I32(x) => Val::I32(x),
        Value::I64(x) => Val::I64(x),
        Value::F32(x) => Val::F32(x),
        Value::F64(x) => Val::F64(x),
        Value::FuncRef(r) => Val::Ref { null: r.is_none() },
        Value::ExternRef(r) => Val::Ref { null: r.is_none() },
    }
}

/// The harness's name for a barewasm trap; panics on errors a call must never return.
pub fn trap_of(e: Error) -> Trap {
    match e.kind() {
        ErrorKind::Unreachable => Trap::Unreachable,
        ErrorKind::MemoryOutOfBounds => Trap::MemoryOutOfBounds,
        ErrorKind::TableOutOfBounds => Trap::TableOutOfBounds,
        ErrorKind::UninitializedElement => Trap::NullElement,
        // `call_indirect` past the table's end: wasmi calls it a table access out of bounds.
        ErrorKind::UndefinedElement => Trap::TableOutOfBounds,
        ErrorKind::IntegerDivideByZero => Trap::DivideByZero,
        ErrorKind::IntegerOverflow => Trap::IntegerOverflow,
        ErrorKind::InvalidConversion => Trap::BadConversion,
        ErrorKind::IndirectCallTypeMismatch => Trap::IndirectCallTypeMismatch,
        ErrorKind::CallStackExhausted => Trap::Exhausted,
        // `call_with_host` answers at most `MAX_HOST_VALUES` results; `run` checks that
        // only such imports trap this way (the harness's host itself never traps).
        ErrorKind::HostTrap => Trap::Other("host trap".into()),
        _ => panic!("a call failed with a non-trap error: {e} ({:?})", e.kind()),
    }
}

/// One import, as the host provides it.
enum Import {
    Func(u32),
    Table(TableType),
    Memory(MemType),
    Global(GlobalType),
}

fn read_imports(module: &Module<'_, '_>) -> Vec<Import> {
    let mut r = module.section_reader(SectionId::Import);
    if r.is_empty() {
        return Vec::new();
    }
    let n = r.u32().expect("validated");
    (0..n)
        .map(|_| {
            r.name().expect("validated");
            r.name().expect("validated");
            match ExternKind::read(&mut r).expect("validated") {
                ExternKind::Func => Import::Func(r.u32().expect("validated")),
                ExternKind::Table => Import::Table(TableType::read(&mut r).expect("validated")),
                ExternKind::Memory => Import::Memory(MemType::read(&mut r).expect("validated")),
                ExternKind::Global => Import::Global(GlobalType::read(&mut r).expect("validated")),
            }
        })
        .collect()
}

/// Export names and kinds, in section order.
pub fn read_exports(module: &Module<'_, '_>) -> Vec<(String, ExternKind)> {
    let mut r = module.section_reader(SectionId::Export);
    if r.is_empty() {
        return Vec::new();
    }
    let n = r.u32().expect("validated");
    (0..n)
        .map(|_| {
            let name = r.name().expect("validated").to_owned();
            let kind = ExternKind::read(&mut r).expect("validated");
            r.u32().expect("validated");
            (name, kind)
        })
        .collect()
}

fn memory_bytes(ty: &MemType) -> Option<usize> {
    usize::try_from(ty.limits.min.checked_mul(ty.page_size())?).ok()
}

/// Validates, instantiates and runs `bytes`: the start function, then every exported
/// function in export order with the arguments `args(name, param types)` chooses.
/// Records results, traps, the final memory and exported globals.
pub fn run(
    bytes: &[u8],
    cfg: &RunConfig,
    args: &mut dyn FnMut(&str, &[ValType]) -> Vec<Val>,
) -> Result<Observation, NotRun> {
    let (result, mut state, mut scratch) =
        validate_growing(bytes, &cfg.validate, 64 << 10, 64 << 10);
    result.map_err(NotRun::Rejected)?;
    check_plan(bytes, &cfg.validate, &mut state, &mut scratch);
    let (module, _) = Module::new(bytes, state.bytes(), scratch.bytes(), &cfg.validate)
        .expect("validated once, so again");
    let counts = *module.counts();
    let imports = read_imports(&module);
    if !imports.is_empty() && !cfg.host_imports {
        return Err(NotRun::Rejected(Error::new(ErrorKind::UnknownImport, 0)));
    }

    // Buffers for a host-defined memory and the module's own; both stop growth at the cap.
    let own_memory = if counts.memories > counts.imported_memories {
        module.memory_type(0)
    } else {
        None
    };
    let mut host_mem = Buf::new(0);
    let mut own_mem = Buf::new(0);
    for ty in imports
        .iter()
        .filter_map(|i| match i {
            Import::Memory(t) => Some(t),
            _ => None,
        })
        .chain(own_memory.as_ref())
    {
        if memory_bytes(ty).is_none_or(|b| b > cfg.memory_cap) {
            return Err(NotRun::TooBig);
        }
    }
    if imports.iter().any(|i| matches!(i, Import::Memory(_))) {
        host_mem.grow(cfg.memory_cap);
    }
    if own_memory.is_some() {
        own_mem.grow(cfg.memory_cap);
    }
    // Tables: the arena holds every element of capacity (the minimum plus the reserve,
    // capped at a declared maximum, as the store computes it); keep it bounded.
    let capacity = |t: &TableType| {
        let grown = t.limits.min.saturating_add(cfg.table_reserve as u64);
        t.limits.max.map_or(grown, |m| m.clamp(t.limits.min, grown))
    };
    let host_table_elems: u64 = imports
        .iter()
        .map(|i| match i {
            Import::Table(t) => 4 + capacity(t),
            Import::Global(_) => 2,
            _ => 0,
        })
        .sum();
    let own_bytes = Store::instance_arena_bytes(&module, cfg.table_reserve);
    if host_table_elems > 1 << 20 || own_bytes > 8 << 20 {
        return Err(NotRun::TooBig);
    }
    let arena_len = 8 * host_table_elems as usize + own_bytes;
    let mut arena = Buf::new(arena_len);
    let mut slots = [InstanceSlot::EMPTY, InstanceSlot::EMPTY];
    let mut store = Store::new(&mut slots, arena.bytes());
    store.set_table_reserve(cfg.table_reserve);

    // The only host trap the harness allows: an import with more results than
    // `call_with_host` can take.
    let wide_host_import = imports.iter().any(|i| match i {
        Import::Func(ty) => module.func_type(*ty).results.len() > MAX_HOST_VALUES,
        _ => false,
    });
    let mut externs = Vec::with_capacity(imports.len());
    let mut host_mem = Some(host_mem.bytes());
    for (id, import) in imports.iter().enumerate() {
        let ext = match *import {
            Import::Func(ty) => Extern::HostFunc(id as u32, module.func_type(ty)),
            Import::Table(ty) => store
                .define_table(ty, capacity(&ty) as u32)
                .expect("arena sized"),
            Import::Memory(ty) => store
                .define_memory(ty, host_mem.take().expect("one memory"))
                .expect("buffer sized"),
            Import::Global(ty) => store
                .define_global(ty, Value::default_of(ty.ty))
                .expect("arena sized"),
        };
        externs.push(ext);
    }

    let mut obs = Observation::default();
    let before = store.arena_used();
    let mut next = 0;
    let mut resolve = |_: &str, _: &str, _: ExternKind| {
        next += 1;
        externs.get(next - 1).copied()
    };
    let inst = match store.instantiate(&module, Some(own_mem.bytes()), &mut resolve) {
        Ok(inst) => inst,
        Err(e) => {
            match e.category() {
                Category::Trap => {}
                Category::Buffer
                    if matches!(
                        e.kind(),
                        ErrorKind::BufferTooSmall {
                            which: BufferKind::Memory,
                            ..
                        }
                    ) =>
                {
                    return Err(NotRun::TooBig)
                }
                _ => panic!(
                    "instantiation failed with a non-trap error: {e} ({:?})",
                    e.kind()
                ),
            }
            obs.instantiate_failed = Some((trap_of(e), e.to_string()));
            return Ok(obs);
        }
    };
    let used = store.arena_used() - before;
    let promised = Store::instance_arena_bytes(&module, cfg.table_reserve);
    assert!(
        used <= promised,
        "instance took {used} arena bytes, instance_arena_bytes said {promised}"
    );

    let mut stack_buf = Buf::new(Stack::bytes_for(&cfg.exec));
    let mut stack = Stack::new(stack_buf.bytes(), &cfg.exec).expect("sized by bytes_for");
    let mut host = ZeroHost;
    if let Some(start) = store.start(inst) {
        if let Err(e) = store.call_with_host(&mut stack, start, &[], &mut host) {
            // The start function trapping fails instantiation (spec 4.5.4).
            obs.instantiate_failed = Some((trap_of(e), format!("start function: {e}")));
            return Ok(obs);
        }
    }

    let exports = read_exports(&module);
    for (name, kind) in &exports {
        if *kind != ExternKind::Func {
            continue;
        }
        let Some(Extern::Func(f)) = store.export(inst, name) else {
            panic!("export `{name}` is not a function");
        };
        let ty = store.func_type(f).expect("exported function has a type");
        let params: Vec<ValType> = (0..ty.params.len()).map(|i| ty.param(i)).collect();
        let results: Vec<ValType> = (0..ty.results.len()).map(|i| ty.result(i)).collect();
        let raw: Vec<u64> = args(name, &params).into_iter().map(to_bits).collect();
        let outcome = match store.call_with_host(&mut stack, f, &raw, &mut host) {
            Ok(()) => {
                let slots = stack.results();
                assert_eq!(
                    slots.len(),
                    results.len(),
                    "`{name}` returned the wrong number of results"
                );
                CallResult::Returned(
                    results
                        .iter()
                        .zip(slots)
                        .map(|(&t, &b)| from_value(Value::from_bits(t, b)))
                        .collect(),
                )
            }
            Err(e) => {
                if e.kind() == ErrorKind::HostTrap && !wide_host_import {
                    panic!("`{name}` failed with a host trap though the host never traps");
                }
                CallResult::Trapped(trap_of(e))
            }
        };
        obs.calls.push((name.clone(), outcome));
    }

    obs.fuel_used = barewasm::UNLIMITED_FUEL - stack.fuel();
    obs.memory = store.memory(inst).map(|m| m.data().to_vec());
    for (name, kind) in &exports {
        if *kind == ExternKind::Global {
            let Some(Extern::Global(addr)) = store.export(inst, name) else {
                panic!("export `{name}` is not a global");
            };
            let v = store
                .global_value(addr)
                .expect("exported global has a value");
            obs.globals.push((name.clone(), from_value(v)));
        }
    }
    Ok(obs)
}
