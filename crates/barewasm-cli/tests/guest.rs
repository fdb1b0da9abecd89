//! The Rust guest `guests/wasm/demo.wasm` (see guests/README.md): barewasm accepts it, its
//! memory plan is small, it really uses the post-MVP features rustc emits by default, and
//! `run` prints what the README says.

use std::collections::BTreeMap;
use std::path::PathBuf;

use barewasm::binary::opcodes::Instr;
use barewasm::binary::reader::Reader;
use barewasm::{ExternKind, Limits, Module, Plan, Value};
use barewasm_cli::run::{run, Metering};

fn guest() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../guests/wasm/demo.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Validates `bytes`, or fails showing the error and the bytes at its offset.
fn validate<'w, 's>(bytes: &'w [u8], state: &'s mut [u8], scratch: &mut [u8]) -> Module<'w, 's> {
    match Module::new(bytes, state, scratch, &Limits::DEFAULT) {
        Ok((module, _)) => module,
        Err(e) => {
            let at = e.offset().min(bytes.len());
            let there = &bytes[at..bytes.len().min(at + 8)];
            panic!(
                "demo.wasm rejected: {e} ({:?}); bytes at {at:#x}: {there:02x?}",
                e.kind()
            );
        }
    }
}

/// How often each instruction (by text name) occurs in the module's function bodies,
/// decoded with the runtime's own decoder from each body's first instruction to its `end`.
fn instruction_counts(module: &Module<'_, '_>) -> BTreeMap<&'static str, usize> {
    let counts = module.counts();
    let mut hist = BTreeMap::new();
    for idx in counts.imported_funcs..counts.funcs {
        let f = module.func(idx);
        let end = f.code_end as usize + 1;
        let mut r = Reader::at(module.bytes(), f.code_start as usize, end);
        while !r.is_empty() {
            let instr = Instr::read(&mut r)
                .unwrap_or_else(|e| panic!("function {idx} does not decode: {e}"));
            *hist.entry(instr.name()).or_default() += 1;
        }
    }
    hist
}

#[test]
fn demo_validates_with_a_small_side_table() {
    let bytes = guest();
    let limits = Limits::DEFAULT;
    let (mut state, mut scratch) = (vec![0u8; 256 * 1024], vec![0u8; 256 * 1024]);
    let module = validate(&bytes, &mut state, &mut scratch);
    let plan = Plan::new(&module, &limits);
    println!("{plan:#?}");
    println!("side table / code = {:.3}", plan.side_table_ratio());

    assert!(plan.code_bytes > 0);
    assert!(plan.side_table_entries > 0);
    assert!(
        plan.side_table_ratio() <= 0.5,
        "side table {} B for {} B of code",
        plan.side_table_bytes,
        plan.code_bytes
    );
    // The link flags in guests/demo/.cargo/config.toml: exactly one 64 KiB page.
    assert_eq!(plan.memory_min_bytes, 65536);
    assert_eq!(plan.memory_max_bytes, Some(65536));

    let c = module.counts();
    assert_eq!(c.imported_funcs, 1, "env.print only");
    for name in [
        "run",
        "fib",
        "crc32_len",
        "sieve",
        "fsum",
        "f32_kernel",
        "sort_checksum",
    ] {
        assert!(
            matches!(module.export(name), Some((ExternKind::Func, _))),
            "no exported function {name}"
        );
    }
}

#[test]
fn demo_uses_the_default_wasm_features() {
    let bytes = guest();
    let (mut state, mut scratch) = (vec![0u8; 256 * 1024], vec![0u8; 256 * 1024]);
    let module = validate(&bytes, &mut state, &mut scratch);
    let hist = instruction_counts(&module);
    println!("{hist:#?}");
    // One instruction per feature the guest's source is written to exercise.
    for name in [
        "memory.copy",         // bulk-memory: copy_from_slice
        "memory.fill",         // bulk-memory: fill, zeroed arrays
        "i32.extend8_s",       // sign-ext: `as i8 as i32`
        "i32.trunc_sat_f32_u", // nontrapping-fptoint: saturating `as`
        "i64.trunc_sat_f64_u",
        "br_table",      // the bytecode dispatcher's `match`
        "call_indirect", // the filter table of `fn` pointers
    ] {
        assert!(hist.contains_key(name), "the guest has no {name}");
    }
}

/// What `run` prints; guests/README.md shows the same lines.
const EXPECTED_RUN_OUTPUT: &str = "\
crc32(1 KiB)      = 0x66862b7f
primes < 10000    = 1229
sort 256 checksum = 0x0a0937a7
fib(20)           = 6765
dft16 |X| sum     = 39.427
basel(1000)       = 1.643935, pi ~ 3.140638
frame adler32     = 0x0900c1eb
deltas: last 256, energy 126724
vm: 12! = 479001600, xorshift(1) = 270369
filter pipeline   = 24896
checksum          = 0xe7d1426d
";

#[test]
fn demo_run_prints_the_documented_output() {
    let mut out = Vec::new();
    let ran = run(
        &guest(),
        Some("run"),
        &[],
        &Limits::DEFAULT,
        Metering::UNLIMITED,
        &mut out,
    )
    .unwrap_or_else(|e| panic!("run trapped or failed: {e:?}"));
    assert_eq!(String::from_utf8_lossy(&out), EXPECTED_RUN_OUTPUT);
    assert_eq!(ran.results, [Value::I32(0xe7d1426d_u32 as i32)]);
}

/// Interruption: every workload of the guest, run in fuel slices of 1, 7 and 1000 and
/// continued after each, prints and returns exactly what it does in one go, and consumes
/// exactly the same fuel.
#[test]
fn demo_workloads_in_fuel_slices_match_whole_runs() {
    let bytes = guest();
    let calls: &[(&str, &[&str])] = &[
        ("run", &[]),
        ("fib", &["15"]),
        ("crc32_len", &["1024"]),
        ("sieve", &["3000"]),
        ("fsum", &["500"]),
        ("f32_kernel", &["7"]),
        ("sort_checksum", &["3"]),
    ];
    for (name, args) in calls {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let go = |metering| {
            let mut out = Vec::new();
            let ran = run(
                &bytes,
                Some(name),
                &args,
                &Limits::DEFAULT,
                metering,
                &mut out,
            )
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            (ran, out)
        };
        let (whole, whole_out) = go(Metering::UNLIMITED);
        assert_eq!(whole.pauses, 0);
        assert!(whole.fuel_used > 100, "{name}: {} fuel", whole.fuel_used);
        for slice in [1, 7, 1000] {
            let (ran, out) = go(Metering {
                budget: barewasm::UNLIMITED_FUEL,
                slice,
            });
            assert_eq!(ran.results, whole.results, "{name}, slices of {slice}");
            assert_eq!(out, whole_out, "{name}, slices of {slice}");
            assert_eq!(ran.fuel_used, whole.fuel_used, "{name}, slices of {slice}");
            assert_eq!(
                ran.pauses,
                whole.fuel_used.div_ceil(slice) - 1,
                "{name}, slices of {slice}"
            );
        }
        // A budget one short of what the call needs runs out; exactly enough does not.
        let short = run(
            &bytes,
            Some(name),
            &args,
            &Limits::DEFAULT,
            Metering {
                budget: whole.fuel_used - 1,
                slice: barewasm::UNLIMITED_FUEL,
            },
            &mut Vec::new(),
        );
        match short {
            Err(barewasm_cli::run::RunError::Wasm(e)) => {
                assert_eq!(e.kind(), barewasm::ErrorKind::OutOfFuel, "{name}")
            }
            other => panic!("{name}: expected out of fuel, got {other:?}"),
        }
        let (exact, _) = go(Metering {
            budget: whole.fuel_used,
            slice: barewasm::UNLIMITED_FUEL,
        });
        assert_eq!(exact.results, whole.results, "{name}");
        println!("{name}: {} fuel", whole.fuel_used);
    }
}
