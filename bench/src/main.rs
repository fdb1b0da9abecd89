//! Runs the workloads of `guests/wasm/bench.wasm` on barewasm and its peers (wasmi, wasm3,
//! tinywasm, wasefire), checks every runtime returns the same result, and measures
//! execution time, load time and RAM, each as a ratio to wasmi measured in the same run.
//!
//! ```text
//! cargo run --release            full run; writes results.md and results.svg here
//! cargo run --release -- --quick tiny iteration counts: only checks results agree
//! cargo run --release -- --once RUNTIME WORKLOAD N
//!                                one load and call, its result printed (bench/insns.sh
//!                                --peers counts each runtime's instructions this way)
//! ```
//! (`bench/run.sh` does the same, the quick check built unoptimized, after installing
//! libclang for the Wasm3 bindings.)

mod alloc;
mod report;
mod runtimes;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use runtimes::{Kind, Prepared, Runtime, Sample, Value};

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// The module under test, built by guests/build.sh from guests/bench.
static WASM: &[u8] = include_bytes!("../../guests/wasm/bench.wasm");

/// One export of the guest.
pub struct Workload {
    pub name: &'static str,
    pub kind: Kind,
    /// Iterations in a full run: about 20 ms on wasmi.
    pub full: i32,
    /// Iterations in the quick check.
    pub quick: i32,
    pub what: &'static str,
}

pub const WORKLOADS: &[Workload] = &[
    Workload {
        name: "sha256",
        kind: Kind::I32,
        full: 200,
        quick: 2,
        what: "SHA-256 hash chain over a 1 KiB image",
    },
    Workload {
        name: "crc32",
        kind: Kind::I32,
        full: 400,
        quick: 2,
        what: "table-driven CRC-32 of a 4 KiB buffer",
    },
    Workload {
        name: "lzss",
        kind: Kind::I32,
        full: 40,
        quick: 1,
        what: "LZSS compress + decompress of 3 KiB of log text, checked",
    },
    Workload {
        name: "json",
        kind: Kind::I32,
        full: 400,
        quick: 2,
        what: "tokenize and parse a 2.4 KiB JSON configuration",
    },
    Workload {
        name: "fft",
        kind: Kind::F32,
        full: 250,
        quick: 2,
        what: "256-point complex radix-2 FFT in f32",
    },
    Workload {
        name: "sort",
        kind: Kind::I32,
        full: 30,
        quick: 1,
        what: "sort_unstable on 1024 u32, by key on 512 records, merge sort on 1024 i32",
    },
    Workload {
        name: "recursion",
        kind: Kind::I32,
        full: 400,
        quick: 2,
        what: "fib(15), Ackermann(2, 40), a 200-deep recursive evaluator",
    },
    Workload {
        name: "coremark",
        kind: Kind::I32,
        full: 200,
        quick: 2,
        what: "linked list find/reverse/sort, 12x12 integer matrix, state machine, CRC-16",
    },
];

/// Rounds of a full run: each runtime runs each workload up to this many times.
const MAX_ROUNDS: usize = 9;
/// A runtime that has spent this long on a workload stops after `MIN_SAMPLES` samples.
const TIME_BUDGET: Duration = Duration::from_secs(3);
const MIN_SAMPLES: usize = 2;

/// Everything measured for one workload on one runtime.
#[derive(Default)]
pub struct Cell {
    pub samples: Vec<Sample>,
    pub error: Option<String>,
    /// Set when the result differs from wasmi's.
    pub mismatch: Option<Value>,
}

impl Cell {
    pub fn best_exec(&self) -> Option<Duration> {
        self.samples.iter().map(|s| s.exec).min()
    }

    pub fn best_load(&self) -> Option<Duration> {
        self.samples.iter().map(|s| s.load).min()
    }

    pub fn ram(&self) -> Option<usize> {
        self.samples.iter().map(|s| s.ram).max()
    }

    pub fn used(&self) -> Option<usize> {
        self.samples.iter().map(|s| s.used).max()
    }

    pub fn result(&self) -> Option<Value> {
        self.samples.first().map(|s| s.result)
    }

    pub fn ok(&self) -> bool {
        self.error.is_none() && self.mismatch.is_none() && !self.samples.is_empty()
    }
}

/// Results of a run: `cells[workload][runtime]`.
pub struct Results {
    pub module: Prepared,
    pub cells: Vec<BTreeMap<&'static str, Cell>>,
}

fn measure(module: Prepared, quick: bool) -> Results {
    let mut cells = Vec::new();
    for (wi, w) in WORKLOADS.iter().enumerate() {
        let n = if quick { w.quick } else { w.full };
        let mut row: BTreeMap<&'static str, Cell> = BTreeMap::new();
        let mut spent: BTreeMap<&'static str, Duration> = BTreeMap::new();
        let rounds = if quick { 1 } else { MAX_ROUNDS };
        for round in 0..rounds {
            // Interleave the runtimes, starting each round with a different one, so they
            // share the machine's noise.
            for k in 0..Runtime::ALL.len() {
                let rt = Runtime::ALL[(k + round + wi) % Runtime::ALL.len()];
                let cell = row.entry(rt.name()).or_default();
                let used = spent.entry(rt.name()).or_default();
                if cell.error.is_some()
                    || (cell.samples.len() >= MIN_SAMPLES && *used > TIME_BUDGET)
                {
                    continue;
                }
                let t = Instant::now();
                match rt.run(&module, w.name, w.kind, n) {
                    Ok(s) => {
                        if let Some(first) = cell.result() {
                            if first != s.result {
                                cell.error = Some(format!(
                                    "result changed between runs: {first} then {}",
                                    s.result
                                ));
                            }
                        }
                        cell.samples.push(s);
                    }
                    Err(e) => cell.error = Some(e),
                }
                *used += t.elapsed();
            }
        }
        // Compare with wasmi's result (or the first runtime's that has one).
        let reference = row
            .get("wasmi")
            .and_then(Cell::result)
            .or_else(|| row.values().find_map(Cell::result));
        for cell in row.values_mut() {
            if let (Some(r), Some(mine)) = (reference, cell.result()) {
                if r != mine {
                    cell.mismatch = Some(mine);
                }
            }
        }
        eprint!(
            "{:<10} n={:<4} {}",
            w.name,
            n,
            reference.map_or("-".into(), |r| r.to_string())
        );
        for rt in Runtime::ALL {
            let cell = &row[rt.name()];
            match (cell.best_exec(), &cell.error, cell.mismatch) {
                (_, Some(_), _) => eprint!("  {}: ERROR", rt.name()),
                (_, _, Some(v)) => eprint!("  {}: MISMATCH {v}", rt.name()),
                (Some(t), _, _) => eprint!("  {}: {:.2} ms", rt.name(), t.as_secs_f64() * 1e3),
                _ => {}
            }
        }
        eprintln!();
        cells.push(row);
    }
    Results { module, cells }
}

/// Prints every error and mismatch loudly; true if there was none.
fn check(results: &Results) -> bool {
    let mut clean = true;
    for (w, row) in WORKLOADS.iter().zip(&results.cells) {
        let reference = row.get("wasmi").and_then(Cell::result);
        for (name, cell) in row {
            if let Some(e) = &cell.error {
                clean = false;
                eprintln!("!!! ERROR: {name} on {}: {e}", w.name);
            }
            if let Some(v) = cell.mismatch {
                clean = false;
                eprintln!(
                    "!!! MISMATCH: {name} returns {v} for {}, wasmi returns {}",
                    w.name,
                    reference.map_or("nothing".into(), |r| r.to_string())
                );
            }
        }
    }
    clean
}

/// `--once RUNTIME WORKLOAD N`: loads the module and calls the workload once on one runtime,
/// so an outside counter (callgrind) sees that runtime alone. Returns the exit code.
fn once(args: &[String]) -> ExitCode {
    let usage = || {
        let names: Vec<&str> = Runtime::ALL.iter().map(|r| r.name()).collect();
        eprintln!(
            "usage: barewasm-bench --once RUNTIME WORKLOAD N   (RUNTIME one of {})",
            names.join(", ")
        );
        ExitCode::from(2)
    };
    let [rt, workload, n] = args else {
        return usage();
    };
    let (Some(rt), Some(w), Ok(n)) = (
        Runtime::ALL.iter().find(|r| r.name() == rt),
        WORKLOADS.iter().find(|w| w.name == workload),
        n.parse::<i32>(),
    ) else {
        return usage();
    };
    match Prepared::new(WASM).and_then(|m| rt.run(&m, w.name, w.kind, n)) {
        Ok(sample) => {
            println!("{} {} {n} = {}", rt.name(), w.name, sample.result);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{} {}: {e}", rt.name(), w.name);
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--once") {
        return once(&args[1..]);
    }
    let quick = args.iter().any(|a| a == "--quick");
    if let Some(bad) = args.iter().find(|a| *a != "--quick") {
        eprintln!(
            "usage: barewasm-bench [--quick | --once RUNTIME WORKLOAD N]   (unknown argument {bad})"
        );
        return ExitCode::from(2);
    }
    let module = match Prepared::new(WASM) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let results = measure(module, quick);
    let clean = check(&results);
    if quick {
        let runs = WORKLOADS.len() * Runtime::ALL.len();
        if clean {
            println!(
                "bench --quick: {} workloads on {} runtimes, all results equal",
                WORKLOADS.len(),
                Runtime::ALL.len()
            );
        } else {
            println!("bench --quick: FAILED ({runs} runs, see above)");
        }
    } else {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let md = report::markdown(&results, "##");
        print!("{md}");
        let write = |name: &str, text: String| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            eprintln!("wrote {}", path.display());
        };
        write(
            "results.md",
            format!("# barewasm benchmark results\n\n{md}"),
        );
        write("results.svg", report::svg(&results));
        // The README's copy, between its bench markers.
        let readme = dir.join("../README.md");
        match std::fs::read_to_string(&readme)
            .ok()
            .and_then(|text| report::readme_with(&text, &results))
        {
            Some(text) => write("../README.md", text),
            None => eprintln!("README.md has no bench markers: not updated"),
        }
    }
    if clean {
        ExitCode::SUCCESS
    } else {
        eprintln!("!!! some runtime failed or disagreed with wasmi: see the messages above");
        ExitCode::FAILURE
    }
}
