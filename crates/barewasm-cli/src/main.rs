//! `barewasm`: validate and run WebAssembly modules, print the memory plan firmware needs,
//! precompute side tables, and run spec scripts.
//!
//! Exit status: 0 success, 1 a module was rejected, 2 usage or file errors.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use barewasm::Limits;
use barewasm_cli::load::{load_module_bytes, validate_bytes, MAX_BUFFER_BYTES};
use barewasm_cli::report::{error_line, plan_json, plan_text};

const REJECTED: u8 = 1;
const USAGE: u8 = 2;

fn usage() -> String {
    let d = Limits::DEFAULT;
    format!(
        "barewasm: host tool for the barewasm WebAssembly runtime

usage:
  barewasm validate [LIMITS] FILE...         decode and validate modules
  barewasm plan [LIMITS] [--json] FILE       memory plan: buffer sizes for firmware
  barewasm prepare [LIMITS] [--no-fuse] FILE -o OUT
                                             validate FILE and write it to OUT with its
                                             side table precomputed (custom section
                                             `barewasm.side`): the device checks it
                                             while validating and keeps it in flash,
                                             so it takes no RAM; frequent instruction
                                             sequences are fused (checked the same
                                             way; faster, but barewasm-only), unless
                                             --no-fuse
  barewasm run [LIMITS] [--fuel N] FILE [--invoke NAME] [ARGS...]
                                             run export NAME (default _start); prints
                                             results as `7:i32`, one per line; with
                                             --fuel, at most N units of fuel (one per
                                             taken branch and per call), and the
                                             fuel used on stderr
                                             (--fuel-slice N: run in slices of N,
                                             resuming after each: same results)
  barewasm wast FILE...                      run spec scripts (.wast); last line is
                                             `N passed, M failed`
  barewasm explain CODE...                   the error a firmware built without the
                                             runtime's `messages` feature prints as
                                             `CATEGORY error CODE`
  barewasm help                              show this text

FILE is a binary module (.wasm) or text format (.wat, .wast); other names are
taken as text unless they start with the \\0asm magic.

LIMITS (default in brackets):
  --max-nesting N           deepest block nesting in one function [{}]
  --max-function-slots N    locals + operand height of one function [{}]
  --stack-slots N           value-stack slots, 8 bytes each [{}]
  --call-depth N            deepest chain of active calls [{}]

exit status: 0 success, 1 a module was rejected, 2 usage or file error
",
        d.max_nesting, d.max_function_slots, d.value_stack_slots, d.max_call_depth
    )
}

/// A command's parsed options.
struct Options {
    files: Vec<PathBuf>,
    limits: Limits,
    json: bool,
    help: bool,
}

fn parse_options(args: &[OsString], allow_json: bool) -> Result<Options, String> {
    let mut o = Options {
        files: Vec::new(),
        limits: Limits::DEFAULT,
        json: false,
        help: false,
    };
    let mut it = args.iter();
    let mut only_files = false;
    while let Some(arg) = it.next() {
        let text = arg.to_str().unwrap_or("");
        if only_files || !text.starts_with('-') || text == "-" {
            o.files.push(PathBuf::from(arg));
            continue;
        }
        // Accept both `--opt N` and `--opt=N`.
        let (name, inline) = match text.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (text, None),
        };
        let slot = match name {
            "--" => {
                only_files = true;
                continue;
            }
            "-h" | "--help" => {
                o.help = true;
                continue;
            }
            "--json" if allow_json && inline.is_none() => {
                o.json = true;
                continue;
            }
            "--max-nesting" => &mut o.limits.max_nesting,
            "--max-function-slots" => &mut o.limits.max_function_slots,
            "--stack-slots" => &mut o.limits.value_stack_slots,
            "--call-depth" => &mut o.limits.max_call_depth,
            _ => return Err(format!("unknown option `{text}`")),
        };
        let value = match inline {
            Some(v) => v,
            None => match it.next() {
                Some(v) => v.to_string_lossy().into_owned(),
                None => return Err(format!("{name} needs a number")),
            },
        };
        *slot = value.parse().map_err(|_| {
            format!(
                "{name}: expected a whole number from 0 to {}, got `{value}`",
                u32::MAX
            )
        })?;
    }
    Ok(o)
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic.
fn out(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

fn err(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// A bad command line: the message, and the full usage only when no command was recognised.
fn usage_error(msg: &str, full: bool) -> ExitCode {
    if full {
        err(&format!("barewasm: {msg}\n\n{}", usage()));
    } else {
        err(&format!("barewasm: {msg}\n(see `barewasm --help`)\n"));
    }
    ExitCode::from(USAGE)
}

/// Prints why `name` was not accepted; returns the exit status it calls for.
fn report_error(name: &str, e: &barewasm::Error) -> u8 {
    if e.category() == barewasm::Category::Buffer {
        // The host could not provide the memory: not a verdict on the module.
        err(&format!(
            "{} (the CLI grows buffers up to {} MiB; lower the limits)\n",
            error_line(name, e),
            MAX_BUFFER_BYTES >> 20
        ));
        USAGE
    } else {
        err(&format!("{}\n", error_line(name, e)));
        REJECTED
    }
}

fn validate(args: &[OsString]) -> ExitCode {
    let o = match parse_options(args, false) {
        Ok(o) => o,
        Err(e) => return usage_error(&e, false),
    };
    if o.help {
        out(&usage());
        return ExitCode::SUCCESS;
    }
    if o.files.is_empty() {
        return usage_error("validate: no FILE given", false);
    }
    // Every file is checked; the status is the worst outcome.
    let mut status = 0;
    for path in &o.files {
        let name = path.display().to_string();
        let bytes = match load_module_bytes(path) {
            Ok(b) => b,
            Err(e) => {
                err(&format!("{name}: {e}\n"));
                status = status.max(USAGE);
                continue;
            }
        };
        match validate_bytes(&bytes, &o.limits) {
            Ok(_) => out(&format!("{name}: valid\n")),
            Err(e) => status = status.max(report_error(&name, &e)),
        }
    }
    ExitCode::from(status)
}

/// A command taking options and exactly one FILE: the options, the file's name and its
/// module bytes; `Err` is the status to exit with (help shown, or a usage or file error).
fn one_file(
    command: &str,
    args: &[OsString],
    allow_json: bool,
) -> Result<(Options, String, Vec<u8>), ExitCode> {
    let o = parse_options(args, allow_json).map_err(|e| usage_error(&e, false))?;
    if o.help {
        out(&usage());
        return Err(ExitCode::SUCCESS);
    }
    let path = match o.files.as_slice() {
        [p] => p,
        [] => return Err(usage_error(&format!("{command}: no FILE given"), false)),
        _ => {
            let msg = format!("{command}: takes exactly one FILE");
            return Err(usage_error(&msg, false));
        }
    };
    let name = path.display().to_string();
    match load_module_bytes(path) {
        Ok(bytes) => Ok((o, name, bytes)),
        Err(e) => {
            err(&format!("{name}: {e}\n"));
            Err(ExitCode::from(USAGE))
        }
    }
}

fn plan(args: &[OsString]) -> ExitCode {
    let (o, name, bytes) = match one_file("plan", args, true) {
        Ok(f) => f,
        Err(status) => return status,
    };
    match validate_bytes(&bytes, &o.limits) {
        Ok(v) => {
            let text = if o.json {
                plan_json(&name, &v.plan, &v.counts, &o.limits)
            } else {
                plan_text(&name, &v.plan, &v.counts, &o.limits)
            };
            out(&text);
            ExitCode::SUCCESS
        }
        Err(e) => ExitCode::from(report_error(&name, &e)),
    }
}

fn prepare(args: &[OsString]) -> ExitCode {
    // `-o OUT` is this command's own; the rest are the usual options.
    let mut rest = Vec::new();
    let mut output = None;
    let mut fuse = true;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.to_str() {
            Some("--no-fuse") => fuse = false,
            Some("-o" | "--output") => match it.next() {
                Some(o) => output = Some(PathBuf::from(o)),
                None => return usage_error("prepare: -o needs a file name", false),
            },
            _ => rest.push(a.clone()),
        }
    }
    let (o, name, bytes) = match one_file("prepare", &rest, false) {
        Ok(f) => f,
        Err(status) => return status,
    };
    let Some(output) = output else {
        return usage_error("prepare: no output given (-o OUT)", false);
    };
    let (prepared, fused) = match barewasm_cli::prepare::prepare_with(&bytes, &o.limits, fuse) {
        Ok(p) => p,
        Err(e) => return ExitCode::from(report_error(&name, &e)),
    };
    // What the device will do: check the stored table and run without it in RAM.
    let plan = match validate_bytes(&prepared, &o.limits) {
        Ok(v) => v.plan,
        Err(e) => return ExitCode::from(report_error(&output.display().to_string(), &e)),
    };
    if let Err(e) = std::fs::write(&output, &prepared) {
        err(&format!(
            "{}: cannot write: {e}
",
            output.display()
        ));
        return ExitCode::from(USAGE);
    }
    out(&format!(
        "{}: {} side-table entries, {} of them wide ({} B), in custom section `{}`; \
         {fused} sequences fused; module state {} B\n",
        output.display(),
        plan.side_table_entries,
        plan.side_table_wide_entries,
        plan.side_table_entries * 4 + plan.side_table_wide_entries * 8,
        barewasm::module::side_table::SECTION_NAME,
        plan.module_state_bytes,
    ));
    ExitCode::SUCCESS
}

fn run(args: &[OsString]) -> ExitCode {
    // `--invoke NAME` and the arguments after FILE are the run's own; the rest are options.
    let mut opts = Vec::new();
    let mut file = None;
    let mut invoke = None;
    let mut values = Vec::new();
    let mut metering = barewasm_cli::run::Metering::UNLIMITED;
    let mut metered = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let s = a.to_string_lossy().to_string();
        if s == "--invoke" {
            match it.next() {
                Some(n) => invoke = Some(n.to_string_lossy().to_string()),
                None => return usage_error("run: --invoke needs a NAME", false),
            }
        } else if file.is_none() && (s == "--fuel" || s == "--fuel-slice") {
            let n = it.next().map(|n| n.to_string_lossy().to_string());
            let Some(n) = n.and_then(|n| n.parse::<u64>().ok()) else {
                return usage_error(&format!("run: {s} needs a whole number"), false);
            };
            if s == "--fuel" {
                metering.budget = n;
            } else {
                metering.slice = n;
            }
            metered = true;
        } else if file.is_some() {
            values.push(s);
        } else if s.starts_with("--") {
            opts.push(a.clone());
            if !s.contains('=') {
                if let Some(v) = it.next() {
                    opts.push(v.clone());
                }
            }
        } else {
            file = Some(PathBuf::from(a));
        }
    }
    let o = match parse_options(&opts, false) {
        Ok(o) => o,
        Err(e) => return usage_error(&e, false),
    };
    let Some(path) = file else {
        return usage_error("run: no FILE given", false);
    };
    let name = path.display().to_string();
    let bytes = match load_module_bytes(&path) {
        Ok(b) => b,
        Err(e) => {
            err(&format!("{name}: {e}\n"));
            return ExitCode::from(USAGE);
        }
    };
    match barewasm_cli::run::run(
        &bytes,
        invoke.as_deref(),
        &values,
        &o.limits,
        metering,
        std::io::stdout(),
    ) {
        Ok(ran) => {
            for r in &ran.results {
                out(&format!("{}\n", barewasm_cli::run::format_value(r)));
            }
            if metered {
                err(&format!(
                    "fuel: {} used, {} pauses\n",
                    ran.fuel_used, ran.pauses
                ));
            }
            ExitCode::SUCCESS
        }
        Err(barewasm_cli::run::RunError::Wasm(e)) => ExitCode::from(report_error(&name, &e)),
        Err(barewasm_cli::run::RunError::Usage(e)) => usage_error(&format!("run: {e}"), false),
    }
}

fn wast(args: &[OsString]) -> ExitCode {
    if args.is_empty() {
        return usage_error("wast: no FILE given", false);
    }
    let (mut passed, mut failed) = (0, 0);
    for path in args {
        let name = PathBuf::from(path).display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                err(&format!("{name}: {e}\n"));
                return ExitCode::from(USAGE);
            }
        };
        let r = barewasm_cli::wast::run_script(
            &name,
            &text,
            barewasm_cli::wast::skip_multi_memory,
            barewasm_cli::wast::Mode::Full,
        );
        for f in &r.failures {
            err(&format!("{name}: FAILED {f}\n"));
        }
        for s in &r.skipped {
            out(&format!("{name}: skipped {s}\n"));
        }
        out(&format!(
            "{name}: {} passed, {} failed, {} skipped, {} text-format\n",
            r.passed,
            r.failures.len(),
            r.skipped.len(),
            r.text_format
        ));
        passed += r.passed;
        failed += r.failures.len();
    }
    out(&format!("{passed} passed, {failed} failed\n"));
    ExitCode::from(if failed == 0 { 0 } else { REJECTED })
}

/// `barewasm explain CODE...`: each code's kind, category and message.
fn explain(args: &[OsString]) -> ExitCode {
    if args.is_empty() {
        return usage_error("explain: no CODE given", false);
    }
    for arg in args {
        let text = arg.to_string_lossy();
        let kind = text
            .parse::<usize>()
            .ok()
            .and_then(|c| barewasm::ErrorKind::ALL.get(c));
        let Some(kind) = kind else {
            let last = barewasm::ErrorKind::ALL.len() - 1;
            return usage_error(
                &format!("explain: `{text}` is not an error code (0 to {last})"),
                false,
            );
        };
        let name = format!("{kind:?}");
        let name = name.split([' ', '{']).next().unwrap_or_default();
        out(&format!(
            "{text}: {} {name}: {}\n",
            kind.category(),
            kind.message()
        ));
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let Some(command) = args.first() else {
        return usage_error("no command given", true);
    };
    let rest = &args[1..];
    match command.to_str() {
        Some("validate") => validate(rest),
        Some("plan") => plan(rest),
        Some("prepare") => prepare(rest),
        Some("help" | "-h" | "--help") => {
            out(&usage());
            ExitCode::SUCCESS
        }
        Some("run") => run(rest),
        Some("explain") => explain(rest),
        Some("wast") => wast(rest),
        _ => usage_error(
            &format!("unknown command `{}`", command.to_string_lossy()),
            true,
        ),
    }
}
