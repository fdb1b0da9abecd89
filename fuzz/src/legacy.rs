//! The tie-breaker: the same module run on wasmi 0.31 (`wasmi_legacy`), observed the same
//! way as [`crate::oracle`] observes wasmi 2.
//!
//! wasmi 0.31 is the last release of wasmi's stack-machine interpreter; wasmi 2 translates
//! to a register machine with its own optimiser, so the two share few code paths where
//! wasmi 2's known bugs live (the translation of guarded divisions). It is consulted only
//! when barewasm and wasmi 2 disagree (see `targets::check_differential`).

use wasmi_legacy::core::TrapCode;
use wasmi_legacy::{
    Config, Engine, Error, Linker, Module, StackLimits, Store, StoreLimits, StoreLimitsBuilder,
    Value as WVal,
};

use crate::obs::{CallResult, Observation, Trap, Val};

fn engine() -> Engine {
    let mut config = Config::default();
    config
        .wasm_tail_call(false)
        .wasm_extended_const(false)
        .set_stack_limits(
            StackLimits::new(256, 1 << 20, crate::oracle::MAX_RECURSION).expect("valid limits"),
        );
    Engine::new(&config)
}

fn trap_of(e: &Error) -> Trap {
    let code = match e {
        Error::Trap(t) => t.trap_code(),
        _ => None,
    };
    match code {
        Some(TrapCode::UnreachableCodeReached) => Trap::Unreachable,
        Some(TrapCode::MemoryOutOfBounds) => Trap::MemoryOutOfBounds,
        Some(TrapCode::TableOutOfBounds) => Trap::TableOutOfBounds,
        Some(TrapCode::IndirectCallToNull) => Trap::NullElement,
        Some(TrapCode::IntegerDivisionByZero) => Trap::DivideByZero,
        Some(TrapCode::IntegerOverflow) => Trap::IntegerOverflow,
        Some(TrapCode::BadConversionToInteger) => Trap::BadConversion,
        Some(TrapCode::StackOverflow) => Trap::Exhausted,
        Some(TrapCode::BadSignature) => Trap::IndirectCallTypeMismatch,
        Some(other) => Trap::Other(format!("wasmi 0.31 trap {other:?}")),
        None => {
            let text = e.to_string();
            if text.contains("stack") {
                Trap::Exhausted
            } else {
                Trap::Other(text)
            }
        }
    }
}

fn from_wasmi(v: &WVal) -> Val {
    match v {
        WVal::I32(x) => Val::I32(*x),
        WVal::I64(x) => Val::I64(*x),
        WVal::F32(x) => Val::F32(x.to_bits()),
        WVal::F64(x) => Val::F64(x.to_bits()),
        WVal::FuncRef(r) => Val::Ref { null: r.is_null() },
        WVal::ExternRef(r) => Val::Ref { null: r.is_null() },
    }
}

fn to_wasmi(v: Val, ty: wasmi_legacy::core::ValueType) -> WVal {
    match v {
        Val::I32(x) => WVal::I32(x),
        Val::I64(x) => WVal::I64(x),
        Val::F32(x) => WVal::F32(f32::from_bits(x).into()),
        Val::F64(x) => WVal::F64(f64::from_bits(x).into()),
        Val::Ref { .. } => WVal::default(ty),
    }
}

/// Like [`crate::oracle::run`], on wasmi 0.31. `None` if wasmi 0.31 cannot load the module
/// (a feature it lacks): then it breaks no tie.
pub fn run(
    bytes: &[u8],
    memory_cap: usize,
    calls: &[(String, Vec<Val>)],
    globals: &[String],
) -> Option<Observation> {
    let engine = engine();
    let mut obs = Observation::default();
    let module = Module::new(&engine, bytes).ok()?;
    let limits: StoreLimits = StoreLimitsBuilder::new()
        .memory_size(memory_cap)
        .table_elements(u32::MAX)
        .build();
    let mut store = Store::new(&engine, limits);
    store.limiter(|l| l);
    let linker = Linker::<StoreLimits>::new(&engine);
    let instance = match linker
        .instantiate(&mut store, &module)
        .and_then(|pre| pre.start(&mut store))
    {
        Ok(i) => i,
        Err(e) => {
            obs.instantiate_failed = Some((trap_of(&e), e.to_string()));
            return Some(obs);
        }
    };
    for (name, args) in calls {
        let func = instance.get_func(&store, name)?;
        let ty = func.ty(&store);
        let inputs: Vec<WVal> = args
            .iter()
            .zip(ty.params())
            .map(|(&v, &t)| to_wasmi(v, t))
            .collect();
        let mut outputs: Vec<WVal> = ty.results().iter().map(|&t| WVal::default(t)).collect();
        let outcome = match func.call(&mut store, &inputs, &mut outputs) {
            Ok(()) => CallResult::Returned(outputs.iter().map(from_wasmi).collect()),
            Err(e) => CallResult::Trapped(trap_of(&e)),
        };
        obs.calls.push((name.clone(), outcome));
    }
    obs.memory = module
        .exports()
        .find_map(|e| instance.get_memory(&store, e.name()))
        .map(|m| m.data(&store).to_vec());
    for name in globals {
        let g = instance.get_global(&store, name)?;
        obs.globals.push((name.clone(), from_wasmi(&g.get(&store))));
    }
    Some(obs)
}
