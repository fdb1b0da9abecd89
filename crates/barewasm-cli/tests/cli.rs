//! The `barewasm` binary end to end: `validate`, `plan`, usage and exit statuses.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A file in the temp directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, contents: &[u8]) -> TempFile {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("barewasm-cli-{}-{n}-{name}", std::process::id()));
        std::fs::write(&path, contents).expect("write temp file");
        TempFile(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn barewasm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_barewasm"))
        .args(args)
        .output()
        .expect("run barewasm")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// One `block br 0 end` (one entry) and one `if ... else ... end` (two entries).
const BRANCHES_WAT: &str = r#"
(module
  (memory 1)
  (global (mut i32) (i32.const 0))
  (func (export "f") (param i32) (result i32)
    (block br 0)
    (if (result i32) (local.get 0)
      (then (i32.const 1))
      (else (i32.const 2)))))
"#;

#[test]
fn valid_text_module_exits_zero() {
    let f = TempFile::new("ok.wat", BRANCHES_WAT.as_bytes());
    let o = barewasm(&["validate", f.arg()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(stdout(&o), format!("{}: valid\n", f.arg()));
}

#[test]
fn text_without_extension_is_sniffed() {
    let f = TempFile::new("noext", BRANCHES_WAT.as_bytes());
    let o = barewasm(&["validate", f.arg()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
}

#[test]
fn invalid_module_reports_category_message_and_offset() {
    let f = TempFile::new("bad.wat", b"(module (func (result i32) i64.const 0))");
    let o = barewasm(&["validate", f.arg()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!("{}: invalid: type mismatch", f.arg())),
        "{err}"
    );
    assert!(err.contains("(at byte offset 0x"), "{err}");
    assert!(stdout(&o).is_empty());
}

#[test]
fn malformed_binaries_exit_one() {
    let magic = TempFile::new("magic.wasm", b"\0asx\x01\0\0\0");
    let o = barewasm(&["validate", magic.arg()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(": malformed: magic header not detected"),
        "{err}"
    );

    // A type section that promises a function type and stops.
    let truncated = TempFile::new("trunc.wasm", b"\0asm\x01\0\0\0\x01\x05\x01\x60");
    let o = barewasm(&["validate", truncated.arg()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains(": malformed: "), "{err}");
    assert!(err.contains("offset"), "{err}");
}

#[test]
fn every_file_is_checked_and_the_worst_status_wins() {
    let ok = TempFile::new("ok.wat", BRANCHES_WAT.as_bytes());
    let bad = TempFile::new("bad.wat", b"(module (func (result i32) i64.const 0))");
    let missing = std::env::temp_dir().join("barewasm-cli-does-not-exist.wasm");
    let missing = missing.to_str().expect("UTF-8");

    let o = barewasm(&["validate", bad.arg(), ok.arg()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), format!("{}: valid\n", ok.arg()));

    let o = barewasm(&["validate", ok.arg(), missing, bad.arg()]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains(&format!("{missing}: cannot read file")),
        "{err}"
    );
    assert!(err.contains("type mismatch"), "{err}");
}

#[test]
fn unparsable_text_exits_two() {
    let f = TempFile::new("broken.wat", b"(module (func");
    let o = barewasm(&["validate", f.arg()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot parse text format"));
}

#[test]
fn limits_options_apply() {
    let f = TempFile::new("ok.wat", BRANCHES_WAT.as_bytes());
    // The body is one level and the block another.
    let o = barewasm(&["validate", "--max-nesting", "1", f.arg()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("nest"), "{}", stderr(&o));
    let o = barewasm(&["validate", "--max-nesting=2", f.arg()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    let o = barewasm(&["validate", "--max-nesting", "lots", f.arg()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--max-nesting"));
    let o = barewasm(&["validate", "--max-nesting"]);
    assert_eq!(o.status.code(), Some(2));
    let o = barewasm(&["validate", "--frobnicate", f.arg()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown option `--frobnicate`"));
}

#[test]
fn plan_json_has_the_plan() {
    let bytes = wat::parse_str(BRANCHES_WAT).expect("test module parses");
    let f = TempFile::new("branches.wasm", &bytes);
    let o = barewasm(&[
        "plan",
        f.arg(),
        "--json",
        "--stack-slots",
        "100",
        "--call-depth",
        "10",
    ]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let json = parse_json(&stdout(&o));
    let num = |k: &str| match json.get(k) {
        Some(Json::Num(n)) => *n,
        other => panic!("{k}: expected a number, got {other:?}"),
    };

    assert_eq!(json.get("file"), Some(&Json::Str(f.arg().to_string())));
    assert_eq!(num("module_bytes"), bytes.len() as f64);
    assert_eq!(num("side_table_entries"), 3.0);
    assert_eq!(num("side_table_wide_entries"), 0.0);
    // 4 bytes each, two to a word.
    assert_eq!(num("side_table_bytes"), 16.0);
    let code = num("code_bytes");
    assert!(
        code > 10.0 && code < bytes.len() as f64,
        "code_bytes {code}"
    );
    let ratio = num("side_table_ratio");
    assert!((ratio - 16.0 / code).abs() < 1e-3, "ratio {ratio}");
    // Module state holds the side table; instance state one global: its address word and
    // its [type, value] cell.
    assert!(num("module_state_bytes") >= 16.0);
    assert_eq!(num("instance_state_bytes"), 24.0);
    assert_eq!(
        num("state_bytes"),
        num("module_state_bytes") + num("instance_state_bytes")
    );
    assert!(num("scratch_bytes") > 0.0);
    assert_eq!(num("memory_min_bytes"), 65536.0);
    assert_eq!(json.get("memory_max_bytes"), Some(&Json::Null));
    assert_eq!(json.get("has_memory"), Some(&Json::Bool(true)));
    assert_eq!(
        num("stack_bytes"),
        (100 * 8 + 10 * barewasm::plan::CALL_FRAME_BYTES) as f64
    );
    assert_eq!(num("max_nesting"), 2.0);
    assert_eq!(num("max_height"), 1.0);
    assert_eq!(num("max_locals"), 1.0);
    let Some(Json::Obj(limits)) = json.get("limits") else {
        panic!("limits object missing");
    };
    assert_eq!(limits.get("value_stack_slots"), Some(&Json::Num(100.0)));
    assert_eq!(limits.get("max_call_depth"), Some(&Json::Num(10.0)));
    assert_eq!(limits.get("max_nesting"), Some(&Json::Num(1024.0)));
}

#[test]
fn plan_memory_max_and_scratch_follow_the_module_and_limits() {
    let f = TempFile::new("mem.wat", b"(module (memory 1 3))");
    let plan = |extra: &[&str]| {
        let mut args = vec!["plan", "--json", f.arg()];
        args.extend_from_slice(extra);
        let o = barewasm(&args);
        assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
        parse_json(&stdout(&o))
    };
    let small = plan(&[]);
    assert_eq!(small.get("memory_max_bytes"), Some(&Json::Num(196608.0)));
    assert_eq!(small.get("side_table_entries"), Some(&Json::Num(0.0)));
    let big = plan(&["--max-nesting", "4096"]);
    let scratch = |j: &BTreeMap<String, Json>| match j.get("scratch_bytes") {
        Some(Json::Num(n)) => *n,
        other => panic!("scratch_bytes: {other:?}"),
    };
    assert!(scratch(&big) > scratch(&small));
}

#[test]
fn tightest_limits_validate_and_shrink_scratch() {
    let f = TempFile::new("ok.wat", BRANCHES_WAT.as_bytes());
    let json = parse_json(&stdout(&barewasm(&["plan", "--json", f.arg()])));
    let Some(Json::Obj(tight)) = json.get("tightest_limits") else {
        panic!("tightest_limits missing");
    };
    let get = |k: &str| match tight.get(k) {
        Some(Json::Num(n)) => *n as u64,
        other => panic!("{k}: {other:?}"),
    };
    let (nesting, slots) = (get("max_nesting").to_string(), get("max_function_slots"));
    let slots_arg = slots.to_string();
    let args = [
        "plan",
        "--json",
        f.arg(),
        "--max-nesting",
        &nesting,
        "--max-function-slots",
        &slots_arg,
    ];
    let o = barewasm(&args);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let tight_plan = parse_json(&stdout(&o));
    assert_eq!(
        tight_plan.get("scratch_bytes"),
        Some(&Json::Num(get("scratch_bytes") as f64))
    );
    assert!(
        get("scratch_bytes") < 1024,
        "scratch {}",
        get("scratch_bytes")
    );

    // One slot fewer is rejected: the suggestion is tight for this module.
    let fewer = (slots - 1).to_string();
    let o = barewasm(&["validate", f.arg(), "--max-function-slots", &fewer]);
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn plan_text_is_a_table_with_firmware_buffers() {
    let f = TempFile::new("ok.wat", BRANCHES_WAT.as_bytes());
    let o = barewasm(&["plan", f.arg()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let text = stdout(&o);
    let json = parse_json(&stdout(&barewasm(&["plan", "--json", f.arg()])));
    let Some(Json::Num(state)) = json.get("state_bytes") else {
        panic!("state_bytes missing");
    };

    let row = |label: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no `{label}` row in:\n{text}"))
            .to_string()
    };
    assert!(row("side table entries").contains(" 3 "), "{text}");
    assert!(row("side table / code").trim_end().ends_with('x'), "{text}");
    assert!(
        row("total state").contains(&format!(" {state} B")),
        "{text}"
    );
    assert!(row("linear memory max").contains("none"), "{text}");
    assert!(
        text.contains(&format!("STATE: AlignedBuffer<{state}>")),
        "{text}"
    );
    assert!(text.contains("--max-nesting 1024"), "{text}");
}

#[test]
fn plan_of_a_rejected_module_exits_one() {
    let f = TempFile::new("bad.wat", b"(module (func (result i32) i64.const 0))");
    let o = barewasm(&["plan", f.arg(), "--json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
    assert!(stderr(&o).contains("invalid: type mismatch"));
}

#[test]
fn usage_and_unknown_commands() {
    let o = barewasm(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    for word in [
        "validate",
        "plan",
        "--json",
        "--max-nesting",
        "run",
        "wast",
        "explain",
    ] {
        assert!(help.contains(word), "help lacks {word}:\n{help}");
    }

    let o = barewasm(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("usage:"));

    let o = barewasm(&["transmogrify"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("unknown command `transmogrify`"), "{err}");
    assert!(err.contains("usage:"), "{err}");

    let o = barewasm(&["plan"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn explain_turns_codes_back_into_messages() {
    use barewasm::ErrorKind;
    let (mismatch, oob) = (
        ErrorKind::TypeMismatch.code(),
        ErrorKind::MemoryOutOfBounds.code(),
    );
    let o = barewasm(&["explain", &mismatch.to_string(), &oob.to_string()]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        format!(
            "{mismatch}: invalid TypeMismatch: type mismatch\n\
             {oob}: trap MemoryOutOfBounds: out of bounds memory access\n"
        )
    );
    let past = ErrorKind::ALL.len().to_string();
    for bad in [past.as_str(), "x", "-1"] {
        let o = barewasm(&["explain", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(stderr(&o).contains("is not an error code"), "{bad}");
    }
    assert_eq!(barewasm(&["explain"]).status.code(), Some(2));
}

// --- a small JSON reader, enough to check the output is well-formed ---

#[derive(Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

fn parse_json(text: &str) -> BTreeMap<String, Json> {
    let mut p = JsonParser {
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value();
    p.ws();
    assert_eq!(p.i, p.s.len(), "trailing text after JSON:\n{text}");
    match v {
        Json::Obj(m) => m,
        other => panic!("expected an object, got {other:?}"),
    }
}

struct JsonParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) {
        self.ws();
        assert_eq!(
            self.s.get(self.i),
            Some(&c),
            "expected `{}` at {}",
            c as char,
            self.i
        );
        self.i += 1;
    }

    fn lit(&mut self, word: &str, v: Json) -> Json {
        assert!(
            self.s[self.i..].starts_with(word.as_bytes()),
            "bad literal at {}",
            self.i
        );
        self.i += word.len();
        v
    }

    fn value(&mut self) -> Json {
        self.ws();
        match self.s.get(self.i).copied() {
            Some(b'{') => {
                self.i += 1;
                let mut m = BTreeMap::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Json::Obj(m);
                }
                loop {
                    self.ws();
                    let Json::Str(k) = self.value() else {
                        panic!("object key must be a string at {}", self.i)
                    };
                    self.eat(b':');
                    let v = self.value();
                    assert!(m.insert(k.clone(), v).is_none(), "duplicate key {k}");
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Json::Obj(m);
                        }
                        _ => panic!("expected , or }} at {}", self.i),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Json::Arr(a);
                }
                loop {
                    a.push(self.value());
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Json::Arr(a);
                        }
                        _ => panic!("expected , or ] at {}", self.i),
                    }
                }
            }
            Some(b'"') => {
                self.i += 1;
                let mut out = String::new();
                loop {
                    let c = *self.s.get(self.i).expect("unterminated string");
                    self.i += 1;
                    match c {
                        b'"' => return Json::Str(out),
                        b'\\' => {
                            let e = self.s[self.i];
                            self.i += 1;
                            match e {
                                b'"' | b'\\' | b'/' => out.push(e as char),
                                b'n' => out.push('\n'),
                                b't' => out.push('\t'),
                                b'r' => out.push('\r'),
                                b'u' => {
                                    let hex = std::str::from_utf8(&self.s[self.i..self.i + 4])
                                        .expect("hex");
                                    let n = u32::from_str_radix(hex, 16).expect("hex");
                                    out.push(char::from_u32(n).expect("scalar"));
                                    self.i += 4;
                                }
                                _ => panic!("bad escape at {}", self.i),
                            }
                        }
                        c if c < 0x20 => panic!("raw control character in string"),
                        _ => {
                            // Copy a whole UTF-8 sequence.
                            let start = self.i - 1;
                            while self.s.get(self.i).is_some_and(|b| b & 0xc0 == 0x80) {
                                self.i += 1;
                            }
                            out.push_str(
                                std::str::from_utf8(&self.s[start..self.i]).expect("utf-8"),
                            );
                        }
                    }
                }
            }
            Some(b't') => self.lit("true", Json::Bool(true)),
            Some(b'f') => self.lit("false", Json::Bool(false)),
            Some(b'n') => self.lit("null", Json::Null),
            Some(_) => {
                let start = self.i;
                while self
                    .s
                    .get(self.i)
                    .is_some_and(|c| c.is_ascii_digit() || b"+-.eE".contains(c))
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).expect("ascii");
                assert!(
                    !t.is_empty() && !t.starts_with('+') && !t.starts_with('.'),
                    "bad number at {start}"
                );
                Json::Num(t.parse().unwrap_or_else(|_| panic!("bad number `{t}`")))
            }
            None => panic!("unexpected end of JSON"),
        }
    }
}

#[test]
fn run_with_fuel_stops_or_finishes_and_reports_the_fuel() {
    let wat = TempFile::new(
        "loop.wat",
        br#"(module (func (export "sum") (param i32) (result i32) (local i32)
              (block $d (loop $l
                (br_if $d (i32.eqz (local.get 0)))
                (local.set 1 (i32.add (local.get 1) (local.get 0)))
                (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
                (br $l)))
              (local.get 1)))"#,
    );
    // One taken branch per iteration and one to leave: 101 units for sum(100), see the
    // runtime's fuel tests.
    let o = barewasm(&["run", "--fuel", "101", wat.arg(), "--invoke", "sum", "100"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(stdout(&o), "5050:i32\n");
    assert!(
        stderr(&o).contains("fuel: 101 used, 0 pauses"),
        "{}",
        stderr(&o)
    );
    let o = barewasm(&["run", "--fuel", "100", wat.arg(), "--invoke", "sum", "100"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("out of fuel"), "{}", stderr(&o));
    let o = barewasm(&[
        "run",
        "--fuel-slice",
        "7",
        wat.arg(),
        "--invoke",
        "sum",
        "100",
    ]);
    assert_eq!(stdout(&o), "5050:i32\n");
    assert!(
        stderr(&o).contains("fuel: 101 used, 14 pauses"),
        "{}",
        stderr(&o)
    );
    let o = barewasm(&["run", "--fuel", "many", wat.arg()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn prepare_writes_a_module_whose_side_table_takes_no_state() {
    let bytes = wat::parse_str(BRANCHES_WAT).expect("test module parses");
    let f = TempFile::new("branches.wasm", &bytes);
    let out = TempFile::new("branches.prepared.wasm", b"");
    let o = barewasm(&["prepare", f.arg(), "-o", out.arg()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert!(
        stdout(&o).contains("3 side-table entries"),
        "{}",
        stdout(&o)
    );
    let prepared = std::fs::read(&out.0).expect("prepare wrote OUT");
    // The input, then: id and size (2), name (1 + 13), version and count (2), 3 entries,
    // no wide entries (1).
    assert!(prepared.starts_with(&bytes));
    assert_eq!(prepared.len(), bytes.len() + 2 + 14 + 2 + 3 * 4 + 1);

    let plan = |file: &str| {
        let o = barewasm(&["plan", file, "--json"]);
        assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
        parse_json(&stdout(&o))
    };
    let (a, b) = (plan(f.arg()), plan(out.arg()));
    assert_eq!(a.get("side_table_prepared"), Some(&Json::Bool(false)));
    assert_eq!(b.get("side_table_prepared"), Some(&Json::Bool(true)));
    assert_eq!(b.get("side_table_entries"), Some(&Json::Num(3.0)));
    assert_eq!(b.get("side_table_bytes"), Some(&Json::Num(0.0)));
    let state = |j: &BTreeMap<String, Json>| match j.get("module_state_bytes") {
        Some(Json::Num(n)) => *n,
        other => panic!("module_state_bytes: {other:?}"),
    };
    assert_eq!(state(&a) - state(&b), 16.0);
    let text = stdout(&barewasm(&["plan", out.arg()]));
    assert!(text.contains("precomputed in the module"), "{text}");

    // Same results from both.
    for arg in ["0", "1"] {
        let r = |file: &str| stdout(&barewasm(&["run", file, "--invoke", "f", arg]));
        assert_eq!(r(f.arg()), r(out.arg()));
    }

    // A tampered table: rejected as malformed (exit 1), with its own message.
    let mut bad = prepared.clone();
    let last = bad.len() - 1;
    bad[last] ^= 0x10;
    let t = TempFile::new("tampered.wasm", &bad);
    let o = barewasm(&["run", t.arg(), "--invoke", "f", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("malformed: precomputed side table does not match the code"),
        "{}",
        stderr(&o)
    );
    // Preparing it again replaces the bad table.
    let o = barewasm(&["prepare", t.arg(), "-o", out.arg()]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    assert_eq!(std::fs::read(&out.0).unwrap(), prepared);

    // Usage errors.
    assert_eq!(barewasm(&["prepare", f.arg()]).status.code(), Some(2));
    assert_eq!(barewasm(&["prepare", "-o"]).status.code(), Some(2));
    assert!(stdout(&barewasm(&["help"])).contains("barewasm prepare"));
}
