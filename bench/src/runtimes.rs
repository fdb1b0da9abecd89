//! One function per runtime: load a module (decode, validate, instantiate), call one
//! export `fn(i32) -> i32|f32` once, and report the times, the result and the RAM used.
//!
//! Everything each runtime allocates lives inside that call, so nothing outlives a
//! sample and the counting allocator sees exactly one load and one run.

use std::time::{Duration, Instant};

use crate::alloc;

/// The result type of a workload's export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    I32,
    F32,
}

/// A result, compared bit for bit across runtimes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value {
    pub kind: Kind,
    pub bits: u32,
}

impl Value {
    fn i32(v: i32) -> Value {
        Value {
            kind: Kind::I32,
            bits: v as u32,
        }
    }

    fn f32(v: f32) -> Value {
        Value {
            kind: Kind::F32,
            bits: v.to_bits(),
        }
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            Kind::I32 => write!(f, "{}", self.bits as i32),
            Kind::F32 => write!(f, "{:?}", f32::from_bits(self.bits)),
        }
    }
}

/// One load and one call.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Decode, validate and instantiate.
    pub load: Duration,
    /// The call.
    pub exec: Duration,
    pub result: Value,
    /// RAM beyond linear memory: peak heap above what was live before (minus linear
    /// memory and the module's own bytes where the runtime copies them), or for barewasm
    /// the state and stack buffers its plan asks for.
    pub ram: usize,
    /// RAM the run actually used: for barewasm the state buffer plus the stack words the
    /// call wrote (the stack buffer is painted before it); for a peer the same as `ram`,
    /// whose peak heap is already what it used.
    pub used: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    Barewasm,
    /// barewasm on the module `barewasm prepare` writes: the side table comes with the
    /// module (flash on a device), verified while loading, and takes no RAM.
    BarewasmPrepared,
    Wasmi,
    Wasm3,
    Tinywasm,
    Wasefire,
}

impl Runtime {
    /// Every runtime, wasmi (the reference) first.
    pub const ALL: [Runtime; 6] = [
        Runtime::Wasmi,
        Runtime::Barewasm,
        Runtime::BarewasmPrepared,
        Runtime::Wasm3,
        Runtime::Tinywasm,
        Runtime::Wasefire,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Runtime::Barewasm => "barewasm",
            Runtime::BarewasmPrepared => "barewasm prepared",
            Runtime::Wasmi => "wasmi",
            Runtime::Wasm3 => "wasm3",
            Runtime::Tinywasm => "tinywasm",
            Runtime::Wasefire => "wasefire",
        }
    }

    /// Loads `module` and calls `export(n)` once.
    pub fn run(
        self,
        module: &Prepared,
        export: &str,
        kind: Kind,
        n: i32,
    ) -> Result<Sample, String> {
        match self {
            Runtime::Barewasm => barewasm_run(&module.barewasm, export, kind, n),
            Runtime::BarewasmPrepared => barewasm_run(&module.prepared, export, kind, n),
            Runtime::Wasmi => wasmi_run(module, export, kind, n),
            Runtime::Wasm3 => wasm3_run(module, export, kind, n),
            Runtime::Tinywasm => tinywasm_run(module, export, kind, n),
            Runtime::Wasefire => wasefire_run(module, export, kind, n),
        }
    }
}

/// Calls an export through a typed handle whose result type `R` follows `kind`.
macro_rules! typed_call {
    ($kind:expr, |$r:ident| $call:expr, $err:expr) => {
        match $kind {
            Kind::I32 => {
                type $r = i32;
                Value::i32($call.map_err($err)?)
            }
            Kind::F32 => {
                type $r = f32;
                Value::f32($call.map_err($err)?)
            }
        }
    };
}

/// barewasm's limits for the bench workloads, with about 25% to spare: the deepest
/// recursion (the 200-deep evaluator) needs just over 200 frames and 512-768 value slots.
pub const BAREWASM_LIMITS: barewasm::Limits = barewasm::Limits {
    max_nesting: 64,
    max_function_slots: 256,
    value_stack_slots: 1024,
    max_call_depth: 256,
};

/// wasm3's stack (bytes), allocated with the runtime; enough for every workload (its
/// default is 1 MiB).
const WASM3_STACK: usize = 64 * 1024;

/// A module with what each runtime needs prepared ahead of time (outside any
/// measurement): barewasm's plan, wasefire's side table.
pub struct Prepared {
    pub bytes: Vec<u8>,
    pub plan: barewasm::Plan,
    /// The module and its plan as barewasm loads it...
    pub barewasm: BarewasmModule,
    /// ...and with its side table precomputed (`barewasm prepare`).
    pub prepared: BarewasmModule,
    /// The module with wasefire's side table section (`wasefire_interpreter::prepare`),
    /// which its `Module::new` verifies; building it is a host-side step.
    pub wasefire: Vec<u8>,
}

/// A module's bytes as barewasm gets them, and the plan for its buffers.
pub struct BarewasmModule {
    pub bytes: Vec<u8>,
    pub plan: barewasm::Plan,
}

impl BarewasmModule {
    fn new(bytes: Vec<u8>) -> Result<BarewasmModule, String> {
        let mut state = vec![0u64; 1 << 17];
        let mut scratch = vec![0u64; 1 << 17];
        let (module, _) = barewasm::Module::new(
            &bytes,
            bytemuck::cast_slice_mut(&mut state),
            bytemuck::cast_slice_mut(&mut scratch),
            &BAREWASM_LIMITS,
        )
        .map_err(|e| format!("barewasm rejects the module: {e}"))?;
        let plan = barewasm::Plan::new(&module, &BAREWASM_LIMITS);
        Ok(BarewasmModule { bytes, plan })
    }
}

impl Prepared {
    pub fn new(bytes: &[u8]) -> Result<Prepared, String> {
        let barewasm = BarewasmModule::new(bytes.to_vec())?;
        let prepared = barewasm_cli::prepare::prepare(bytes, &BAREWASM_LIMITS)
            .map_err(|e| format!("barewasm prepare: {e}"))?;
        let prepared = BarewasmModule::new(prepared)?;
        let wasefire = wasefire_interpreter::prepare(bytes)
            .map_err(|e| format!("wasefire rejects the module: {e:?}"))?;
        Ok(Prepared {
            bytes: bytes.to_vec(),
            plan: barewasm.plan,
            barewasm,
            prepared,
            wasefire,
        })
    }

    /// Linear memory at the module's minimum.
    pub fn memory_bytes(&self) -> usize {
        self.plan.memory_min_bytes as usize
    }
}

impl BarewasmModule {
    /// barewasm's RAM: state (module and instance) plus the stack buffer; the validation
    /// scratch is only needed during `Module::new` and can then serve as the stack.
    pub fn ram(&self) -> usize {
        self.plan.state_bytes + self.plan.stack_bytes.max(self.plan.scratch_bytes)
    }
}

/// What the stack buffer holds before a run, so the words a run wrote can be counted
/// afterwards (a slot that happens to end up holding this exact value is missed).
const PAINT: u64 = 0x5a5a_a5a5_c3c3_3c3c;

fn words(bytes: usize) -> Vec<u64> {
    vec![0u64; bytes.div_ceil(8)]
}

fn barewasm_run(m: &BarewasmModule, export: &str, kind: Kind, n: i32) -> Result<Sample, String> {
    use barewasm::{Extern, InstanceSlot, Module, NoHost, Stack, Store};
    let err = |e: barewasm::Error| format!("barewasm: {e}");
    let limits = &BAREWASM_LIMITS;
    // Buffers exactly as the plan sizes them, allocated before the clock starts.
    let mut state = words(m.plan.state_bytes);
    let mut scratch = words(m.plan.scratch_bytes);
    let mut stack_buf = vec![PAINT; m.plan.stack_bytes.div_ceil(8)];
    let mut memory = vec![0u8; m.plan.memory_min_bytes as usize];
    let mut slots = [InstanceSlot::EMPTY];

    let t0 = Instant::now();
    let (module, rest) = Module::new(
        &m.bytes,
        bytemuck::cast_slice_mut(&mut state),
        bytemuck::cast_slice_mut(&mut scratch),
        limits,
    )
    .map_err(err)?;
    let mut store = Store::new(&mut slots, rest);
    let inst = store
        .instantiate(&module, Some(&mut memory), &mut |_, _, _| None)
        .map_err(err)?;
    let mut stack = Stack::new(bytemuck::cast_slice_mut(&mut stack_buf), limits).map_err(err)?;
    let Some(Extern::Func(f)) = store.export(inst, export) else {
        return Err(format!("barewasm: no export {export}"));
    };
    let load = t0.elapsed();

    let t1 = Instant::now();
    let result = typed_call!(
        kind,
        |R| store
            .typed::<i32, R>(f)
            .and_then(|t| t.call(&mut store, &mut stack, &mut NoHost, n)),
        err
    );
    let exec = t1.elapsed();
    let written = stack_buf.iter().filter(|&&w| w != PAINT).count() * 8;
    Ok(Sample {
        load,
        exec,
        result,
        ram: m.ram(),
        // On a device the validation scratch becomes the stack buffer afterwards.
        used: m.plan.state_bytes + written.max(m.plan.scratch_bytes),
    })
}

/// Loads and calls through the wasmi-shaped API that `wasmi` and `wasm3x` share; gives
/// the load and call times, the result, and `$after_load` and `$after_call` evaluated
/// right after loading and after the call, while everything is still alive.
macro_rules! wasmi_shaped {
    ($krate:ident, $engine:expr, $m:expr, $export:expr, $kind:expr, $n:expr, $err:expr,
     $after_load:expr, $after_call:expr) => {{
        let t0 = Instant::now();
        let module = $krate::Module::new(&$engine, &$m.bytes).map_err($err)?;
        let mut store = $krate::Store::new(&$engine, ());
        let linker = $krate::Linker::<()>::new(&$engine);
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .map_err($err)?;
        let load = t0.elapsed();
        let loaded = $after_load;
        let t1 = Instant::now();
        let result = typed_call!(
            $kind,
            |R| instance
                .get_typed_func::<i32, R>(&store, $export)
                .and_then(|f| f.call(&mut store, $n)),
            $err
        );
        let exec = t1.elapsed();
        (load, exec, result, loaded, $after_call)
    }};
}

fn wasmi_run(m: &Prepared, export: &str, kind: Kind, n: i32) -> Result<Sample, String> {
    let err = |e: wasmi::Error| format!("wasmi: {e}");
    let base = alloc::start();
    // Eager translation, so that loading does all the work (the default translates each
    // function on its first call, which would move that cost into execution).
    let mut config = wasmi::Config::default();
    config.compilation_mode(wasmi::CompilationMode::Eager);
    let engine = wasmi::Engine::new(&config);
    let (load, exec, result, (), ram) = wasmi_shaped!(
        wasmi,
        engine,
        m,
        export,
        kind,
        n,
        err,
        (),
        alloc::peak_since(base)
    );
    Ok(Sample {
        load,
        exec,
        result,
        ram: ram.saturating_sub(m.memory_bytes()),
        used: ram.saturating_sub(m.memory_bytes()),
    })
}

fn wasm3_run(m: &Prepared, export: &str, kind: Kind, n: i32) -> Result<Sample, String> {
    let err = |e: wasm3x::Error| format!("wasm3: {e}");
    // Wasm3 allocates with C's malloc, which the counting allocator does not see; the C
    // heap's use is sampled after loading and after the call (it allocates its stack and
    // compiled code up front, nothing during a call).
    let base = alloc::c_heap_in_use();
    // Eager compilation, as for wasmi: loading compiles every function.
    let mut config = wasm3x::Config::new();
    config
        .compilation_mode(wasm3x::CompilationMode::Eager)
        .stack_size(WASM3_STACK);
    let engine = wasm3x::Engine::new(&config);
    let (load, exec, result, loaded, called) = wasmi_shaped!(
        wasm3x,
        engine,
        m,
        export,
        kind,
        n,
        err,
        alloc::c_heap_in_use(),
        alloc::c_heap_in_use()
    );
    // The bindings keep a copy of the module's bytes (wasm3 itself can read them in
    // place from flash): not counted.
    let ram = loaded
        .max(called)
        .saturating_sub(base)
        .saturating_sub(m.memory_bytes() + m.bytes.len());
    Ok(Sample {
        load,
        exec,
        result,
        ram,
        used: ram,
    })
}

fn tinywasm_run(m: &Prepared, export: &str, kind: Kind, n: i32) -> Result<Sample, String> {
    use tinywasm::engine::Config;
    use tinywasm::StackConfig;
    let err = |e: tinywasm::Error| format!("tinywasm: {e}");
    let base = alloc::start();
    // Growing stacks (tinywasm's own example configuration) rather than the default
    // fixed ones, which reserve about 470 KiB up front.
    let config = Config::new()
        .with_value_stack_32(StackConfig::dynamic(1024, 36 * 1024))
        .with_value_stack_64(StackConfig::dynamic(1024, 32 * 1024))
        .with_value_stack_128(StackConfig::dynamic(256, 4 * 1024))
        .with_call_stack(StackConfig::dynamic(64, 1024));

    let t0 = Instant::now();
    let module = tinywasm::parse_bytes(&m.bytes).map_err(|e| format!("tinywasm: {e}"))?;
    let mut store = tinywasm::Store::new(tinywasm::Engine::new(config));
    let instance = tinywasm::ModuleInstance::instantiate(&mut store, &module, None).map_err(err)?;
    let load = t0.elapsed();

    let t1 = Instant::now();
    let result = typed_call!(
        kind,
        |R| instance
            .func::<i32, R>(&store, export)
            .and_then(|f| f.call(&mut store, n)),
        err
    );
    let exec = t1.elapsed();
    let ram = alloc::peak_since(base).saturating_sub(m.memory_bytes());
    drop((instance, store, module));
    Ok(Sample {
        load,
        exec,
        result,
        ram,
        used: ram,
    })
}

fn wasefire_run(m: &Prepared, export: &str, kind: Kind, n: i32) -> Result<Sample, String> {
    use wasefire_interpreter::{Module, RunResult, Store, Val, MEMORY_ALIGN};
    let err = |e: wasefire_interpreter::Error| format!("wasefire: {e:?}");
    // The host provides linear memory (aligned to MEMORY_ALIGN), outside the measurement.
    let mut backing = vec![0u128; m.memory_bytes().div_ceil(16)];
    assert!(MEMORY_ALIGN <= std::mem::align_of::<u128>());
    let memory: &mut [u8] = bytemuck::cast_slice_mut(&mut backing);
    let base = alloc::start();

    let t0 = Instant::now();
    let module = Module::new(&m.wasefire).map_err(err)?;
    let mut store = Store::default();
    let inst = store.instantiate(module, memory).map_err(err)?;
    let load = t0.elapsed();

    let t1 = Instant::now();
    let results = match store
        .invoke(inst, export, vec![Val::I32(n as u32)])
        .map_err(err)?
    {
        RunResult::Done(results) => results,
        RunResult::Host(_) => return Err("wasefire: unexpected host call".into()),
    };
    let exec = t1.elapsed();
    let result = match (kind, results.as_slice()) {
        (Kind::I32, [Val::I32(v)]) => Value::i32(*v as i32),
        (Kind::F32, [Val::F32(bits)]) => Value {
            kind: Kind::F32,
            bits: *bits,
        },
        (_, other) => return Err(format!("wasefire: unexpected results {other:?}")),
    };
    let ram = alloc::peak_since(base);
    drop(store);
    Ok(Sample {
        load,
        exec,
        result,
        ram,
        used: ram,
    })
}
