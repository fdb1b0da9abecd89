//! `barewasm run`: instantiate a module and call one of its exports.
//!
//! The host offers one import, `env.print(ptr: i32, len: i32)`, which writes that UTF-8
//! text from the caller's memory to stdout: enough for the guests in `guests/`.

use std::io::Write;

use barewasm::{
    Error, ErrorKind, Extern, ExternKind, FuncType, Host, InstanceSlot, Limits, Memory, Stack,
    Store, ValType, Value, UNLIMITED_FUEL,
};

use crate::load::Buffers;

/// Room for the module's memory to grow when it declares no maximum.
const GROWTH_ROOM: u64 = 64 << 20;

/// `env.print` as host function 0.
const PRINT: u32 = 0;
const PRINT_TYPE: FuncType<'static> = FuncType {
    params: &[0x7f, 0x7f],
    results: &[],
};

/// Prints what the guest hands to `env.print`.
struct CliHost<W: Write> {
    out: W,
}

impl<W: Write> Host for CliHost<W> {
    fn call(
        &mut self,
        id: u32,
        args: &[u64],
        _: &mut [u64],
        memory: Option<&mut Memory<'_>>,
    ) -> barewasm::Result<()> {
        let trap = Error::new(ErrorKind::HostTrap, 0);
        if id != PRINT || args.len() != 2 {
            return Err(trap);
        }
        let (ptr, len) = (args[0] as u32 as usize, args[1] as u32 as usize);
        let data = memory.ok_or(trap)?.data();
        let text = ptr
            .checked_add(len)
            .and_then(|end| data.get(ptr..end))
            .ok_or(Error::new(ErrorKind::MemoryOutOfBounds, 0))?;
        self.out.write_all(text).map_err(|_| trap)
    }
}

/// Parses a command-line argument as a value of `ty`.
pub fn parse_arg(s: &str, ty: ValType) -> Result<Value, String> {
    let bad = || format!("`{s}` is not a valid {}", ty.name());
    Ok(match ty {
        ValType::I32 => Value::I32(
            s.parse::<i32>()
                .or_else(|_| s.parse::<u32>().map(|v| v as i32))
                .map_err(|_| bad())?,
        ),
        ValType::I64 => Value::I64(
            s.parse::<i64>()
                .or_else(|_| s.parse::<u64>().map(|v| v as i64))
                .map_err(|_| bad())?,
        ),
        ValType::F32 => Value::F32(s.parse::<f32>().map_err(|_| bad())?.to_bits()),
        ValType::F64 => Value::F64(s.parse::<f64>().map_err(|_| bad())?.to_bits()),
        ValType::FuncRef | ValType::ExternRef => {
            return Err(format!("cannot pass a {} from the command line", ty.name()))
        }
    })
}

/// Formats a result as `value:type`.
pub fn format_value(v: &Value) -> String {
    match *v {
        Value::I32(x) => format!("{x}:i32"),
        Value::I64(x) => format!("{x}:i64"),
        Value::F32(b) => format!("{}:f32", f32::from_bits(b)),
        Value::F64(b) => format!("{}:f64", f64::from_bits(b)),
        Value::FuncRef(None) | Value::ExternRef(None) => format!("null:{}", v.ty().name()),
        Value::FuncRef(Some(f)) => format!("func {}:funcref", f.func),
        Value::ExternRef(Some(x)) => format!("{x}:externref"),
    }
}

/// How `run` meters execution.
#[derive(Clone, Copy, Debug)]
pub struct Metering {
    /// Fuel for the whole run (start function and export together).
    pub budget: u64,
    /// Run in slices of this much fuel, continuing after each: the result must be the
    /// same as in one go (it exercises pausing and resumption).
    pub slice: u64,
}

impl Metering {
    /// No budget to speak of, no slicing.
    pub const UNLIMITED: Metering = Metering {
        budget: UNLIMITED_FUEL,
        slice: UNLIMITED_FUEL,
    };
}

/// What a run produced.
#[derive(Debug)]
pub struct Ran {
    /// The export's results.
    pub results: Vec<Value>,
    /// Fuel consumed by the start function and the export.
    pub fuel_used: u64,
    /// How often a fuel slice ran out and execution was continued.
    pub pauses: u64,
}

/// Runs export `invoke` (default `_start`) of the module in `bytes` with `args`, printing
/// guest output to `out`; returns the results and the fuel used.
pub fn run(
    bytes: &[u8],
    invoke: Option<&str>,
    args: &[String],
    limits: &Limits,
    metering: Metering,
    out: impl Write,
) -> Result<Ran, RunError> {
    let mut buffers = Buffers::new();
    let (module, _) = buffers.module(bytes, limits).map_err(RunError::Wasm)?;
    let mut slots = [InstanceSlot::EMPTY];
    // Globals, tables and import maps: a megabyte is far more than any program here needs.
    let mut arena = vec![0u8; 1 << 20];
    let mut store = Store::new(&mut slots, &mut arena);
    let mut memory = match module.memory_type(0) {
        Some(m) => {
            let min = m.limits.min * m.page_size();
            let max = m.limits.max.map_or(u64::MAX, |x| x * m.page_size());
            vec![0u8; max.min(min + GROWTH_ROOM) as usize]
        }
        None => Vec::new(),
    };
    let mut resolve = |m: &str, name: &str, kind: ExternKind| match (m, name, kind) {
        ("env", "print", ExternKind::Func) => Some(Extern::HostFunc(PRINT, PRINT_TYPE)),
        _ => None,
    };
    let inst = store
        .instantiate(&module, Some(&mut memory), &mut resolve)
        .map_err(RunError::Wasm)?;
    // `bytes_for` counts an 8-aligned buffer; a `Vec<u8>` need not be one (under Miri it
    // is not), and the bytes skipped to align must not come off the stack.
    let mut stack_buf = vec![0u8; Stack::bytes_for(limits) + 8];
    let mut stack = Stack::new(&mut stack_buf, limits).map_err(RunError::Wasm)?;
    let mut host = CliHost { out };
    let mut meter = Meter::new(metering);
    if let Some(start) = store.start(inst) {
        meter.refill(&mut stack);
        let r = store.call_with_host(&mut stack, start, &[], &mut host);
        meter.finish(&mut store, &mut stack, &mut host, r)?;
    }
    let name = invoke.unwrap_or("_start");
    let Some(Extern::Func(f)) = store.export(inst, name) else {
        return Err(RunError::Usage(format!(
            "the module exports no function `{name}`"
        )));
    };
    let ty = store
        .func_type(f)
        .ok_or_else(|| RunError::Usage("bad export".into()))?;
    if args.len() != ty.params.len() {
        return Err(RunError::Usage(format!(
            "`{name}` takes {} argument(s), {} given",
            ty.params.len(),
            args.len()
        )));
    }
    let values = args
        .iter()
        .enumerate()
        .map(|(i, a)| parse_arg(a, ty.param(i)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(RunError::Usage)?;
    let mut results = vec![Value::I32(0); ty.results.len()];
    meter.refill(&mut stack);
    let r = store
        .invoke(&mut stack, f, &values, &mut results, &mut host)
        .map(|_| ());
    meter.finish(&mut store, &mut stack, &mut host, r)?;
    for (i, &bits) in stack.results().iter().enumerate().take(results.len()) {
        results[i] = Value::from_bits(ty.result(i), bits);
    }
    Ok(Ran {
        results,
        fuel_used: meter.used(),
        pauses: meter.pauses,
    })
}

/// Hands out fuel a slice at a time until the budget is spent.
struct Meter {
    budget: u64,
    left: u64,
    slice: u64,
    pauses: u64,
}

impl Meter {
    fn new(m: Metering) -> Self {
        Meter {
            budget: m.budget,
            left: m.budget,
            slice: m.slice.max(1),
            pauses: 0,
        }
    }

    /// Gives the stack its next slice, taking it from the budget.
    fn refill(&mut self, stack: &mut Stack<'_>) {
        let give = self.slice.min(self.left);
        self.left -= give;
        stack.set_fuel(give);
    }

    /// Continues a call that ran out of its slice until it ends or the budget is spent;
    /// what the last slice left goes back to the budget.
    fn finish(
        &mut self,
        store: &mut Store<'_, '_>,
        stack: &mut Stack<'_>,
        host: &mut impl Host,
        mut r: barewasm::Result<()>,
    ) -> Result<(), RunError> {
        while matches!(r, Err(e) if e.kind() == ErrorKind::OutOfFuel) && self.left > 0 {
            self.pauses += 1;
            self.refill(stack);
            r = store.resume_with_host(stack, host);
        }
        self.left += stack.fuel();
        stack.set_fuel(0);
        r.map_err(RunError::Wasm)
    }

    fn used(&self) -> u64 {
        self.budget - self.left
    }
}

/// Why `run` failed.
#[derive(Debug)]
pub enum RunError {
    /// The module was rejected, failed to link, or trapped.
    Wasm(Error),
    /// The command line does not fit the module.
    Usage(String),
}
