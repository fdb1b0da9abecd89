//! The reference: the same module run on wasmi, observed the same way.

use wasmi::{
    Config, Engine, Instance, Module, Store, StoreLimits, StoreLimitsBuilder, TrapCode,
    Val as WVal, ValType, F32, F64,
};

use crate::obs::{CallResult, Observation, Trap, Val};

/// wasmi's deepest call chain; barewasm's differs, so exhaustion on either side ends the
/// comparison.
pub const MAX_RECURSION: usize = 1024;

fn engine() -> Engine {
    let mut config = Config::default();
    config
        .wasm_custom_page_sizes(true)
        .wasm_tail_call(false)
        .wasm_extended_const(false)
        .wasm_multi_memory(false)
        .wasm_wide_arithmetic(false)
        .set_max_recursion_depth(MAX_RECURSION);
    Engine::new(&config)
}

fn trap_of(e: &wasmi::Error) -> Trap {
    match e.as_trap_code() {
        Some(TrapCode::UnreachableCodeReached) => Trap::Unreachable,
        Some(TrapCode::MemoryOutOfBounds) => Trap::MemoryOutOfBounds,
        Some(TrapCode::TableOutOfBounds) => Trap::TableOutOfBounds,
        Some(TrapCode::IndirectCallToNull) => Trap::NullElement,
        Some(TrapCode::IntegerDivisionByZero) => Trap::DivideByZero,
        Some(TrapCode::IntegerOverflow) => Trap::IntegerOverflow,
        Some(TrapCode::BadConversionToInteger) => Trap::BadConversion,
        Some(TrapCode::StackOverflow) => Trap::Exhausted,
        Some(TrapCode::BadSignature) => Trap::IndirectCallTypeMismatch,
        Some(other) => Trap::Other(format!("wasmi trap {other:?}")),
        None => {
            let text = e.to_string();
            // wasmi reports an exhausted value stack as an error, not a trap code.
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
        #[allow(unreachable_patterns)]
        _ => panic!("unsupported value {v:?}"),
    }
}

fn to_wasmi(v: Val, ty: ValType) -> WVal {
    match v {
        Val::I32(x) => WVal::I32(x),
        Val::I64(x) => WVal::I64(x),
        Val::F32(x) => WVal::F32(F32::from_bits(x)),
        Val::F64(x) => WVal::F64(F64::from_bits(x)),
        Val::Ref { .. } => WVal::default_for_ty(ty),
    }
}

/// Instantiates `bytes` on wasmi (memory growth capped at `memory_cap` bytes, as
/// barewasm's buffer caps it), makes `calls` in order and reads `globals`.
pub fn run(
    bytes: &[u8],
    memory_cap: usize,
    calls: &[(String, Vec<Val>)],
    globals: &[String],
) -> Observation {
    let engine = engine();
    let mut obs = Observation::default();
    let module = match Module::new(&engine, bytes) {
        Ok(m) => m,
        Err(e) => panic!("wasmi rejects a module barewasm accepted: {e}"),
    };
    let limits: StoreLimits = StoreLimitsBuilder::new()
        .memory_size(memory_cap)
        .table_elements(usize::MAX)
        .build();
    let mut store = Store::new(&engine, limits);
    store.limiter(|l| l);
    let instance = match Instance::new(&mut store, &module, &[]) {
        Ok(i) => i,
        Err(e) => {
            obs.instantiate_failed = Some((trap_of(&e), e.to_string()));
            return obs;
        }
    };
    for (name, args) in calls {
        let func = instance
            .get_func(&store, name)
            .unwrap_or_else(|| panic!("wasmi: no function export `{name}`"));
        let ty = func.ty(&store);
        let inputs: Vec<WVal> = args
            .iter()
            .zip(ty.params())
            .map(|(&v, &t)| to_wasmi(v, t))
            .collect();
        let mut outputs: Vec<WVal> = ty
            .results()
            .iter()
            .map(|&t| WVal::default_for_ty(t))
            .collect();
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
        let g = instance
            .get_global(&store, name)
            .unwrap_or_else(|| panic!("wasmi: no global export `{name}`"));
        obs.globals.push((name.clone(), from_wasmi(&g.get(&store))));
    }
    obs
}
