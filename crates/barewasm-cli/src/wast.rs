//! Runs the official spec scripts (`.wast`) against barewasm.
//!
//! For now (validation only) every module in a script is decoded and validated:
//! `assert_invalid` modules must be rejected as invalid, binary `assert_malformed` modules as
//! malformed, and every other module must be accepted. Execution directives (`invoke`,
//! `assert_return`, ...) are counted as not yet run. Skips are never silent: each carries
//! its reason and is listed in the report.

use barewasm::{Category, Limits, Module};
use wast::{QuoteWat, QuoteWatTest, WastDirective};

/// Limits generous enough for every module in the spec suite.
pub const SPEC_LIMITS: Limits = Limits {
    max_nesting: 100_000,
    max_function_slots: 1 << 20,
    value_stack_slots: 1 << 16,
    max_call_depth: 1 << 12,
};

/// The outcome of one script.
#[derive(Debug, Default)]
pub struct FileReport {
    /// Script name.
    pub name: String,
    /// Assertions that held.
    pub passed: usize,
    /// Assertions that failed, with line and reason.
    pub failures: Vec<String>,
    /// Directives not checked, with line and reason.
    pub skipped: Vec<String>,
    /// Text-format `assert_malformed` modules: they test a text parser, which barewasm
    /// does not have (the CLI uses the `wat` crate); counted apart, never as passes.
    pub text_format: usize,
    /// Execution directives not run yet.
    pub not_run: usize,
}

/// Why a module is left out of a run.
pub type SkipRule = fn(&[u8]) -> Option<&'static str>;

/// Skips nothing.
pub fn no_skip(_: &[u8]) -> Option<&'static str> {
    None
}

/// Modules with more than one memory need multi-memory, which comes later.
pub fn skip_multi_memory(bytes: &[u8]) -> Option<&'static str> {
    match barewasm::validate::counts(bytes) {
        Ok(c) if c.memories > 1 => {
            Some("declares two memories (multi-memory proposal, not yet supported)")
        }
        _ => None,
    }
}

/// Decodes and validates `bytes` with buffers grown to what the runtime says it needs.
pub fn validate(bytes: &[u8], limits: &Limits) -> Result<(), barewasm::Error> {
    let mut state = vec![0u8; 64 * 1024];
    let mut scratch = vec![0u8; 64 * 1024];
    loop {
        match Module::new(bytes, &mut state, &mut scratch, limits) {
            Ok(_) => return Ok(()),
            Err(e) => match e.kind() {
                barewasm::ErrorKind::BufferTooSmall { which, needed, .. } => {
                    let buf = match which {
                        barewasm::BufferKind::Scratch => &mut scratch,
                        _ => &mut state,
                    };
                    if needed as usize <= buf.len() {
                        return Err(e); // would loop: the runtime's figure is wrong
                    }
                    buf.resize(needed as usize, 0);
                }
                _ => return Err(e),
            },
        }
    }
}

/// Runs the validation assertions of one script.
pub fn validate_script(name: &str, text: &str, skip: SkipRule) -> FileReport {
    let mut report = FileReport {
        name: name.to_string(),
        ..FileReport::default()
    };
    let mut lexer = wast::lexer::Lexer::new(text);
    lexer.allow_confusing_unicode(true);
    let buf = match wast::parser::ParseBuffer::new_with_lexer(lexer) {
        Ok(b) => b,
        Err(e) => {
            report.failures.push(format!("cannot lex script: {e}"));
            return report;
        }
    };
    let script = match wast::parser::parse::<wast::Wast>(&buf) {
        Ok(s) => s,
        Err(e) => {
            report.failures.push(format!("cannot parse script: {e}"));
            return report;
        }
    };
    for directive in script.directives {
        let (line, _) = directive.span().linecol_in(text);
        let line = line + 1;
        match directive {
            WastDirective::Module(mut m) | WastDirective::ModuleDefinition(mut m) => {
                expect(&mut report, line, &mut m, Expect::Valid, skip);
            }
            WastDirective::AssertMalformed {
                mut module,
                message,
                ..
            } => {
                if let QuoteWat::QuoteModule(..) = module {
                    report.text_format += 1;
                    continue;
                }
                expect(
                    &mut report,
                    line,
                    &mut module,
                    Expect::Reject(Category::Malformed, message),
                    skip,
                );
            }
            WastDirective::AssertInvalid {
                mut module,
                message,
                ..
            } => {
                expect(
                    &mut report,
                    line,
                    &mut module,
                    Expect::Reject(Category::Invalid, message),
                    skip,
                );
            }
            WastDirective::AssertUnlinkable { module, .. } => {
                let mut m = QuoteWat::Wat(module);
                expect(&mut report, line, &mut m, Expect::Valid, skip);
            }
            WastDirective::AssertTrap {
                exec: wast::WastExecute::Wat(module),
                ..
            } => {
                // assert_uninstantiable: the module is valid; it traps when instantiated.
                let mut m = QuoteWat::Wat(module);
                expect(&mut report, line, &mut m, Expect::Valid, skip);
            }
            _ => report.not_run += 1,
        }
    }
    report
}

enum Expect<'m> {
    Valid,
    Reject(Category, &'m str),
}

fn expect(
    report: &mut FileReport,
    line: usize,
    module: &mut QuoteWat,
    want: Expect,
    skip: SkipRule,
) {
    let bytes = match module.to_test() {
        Ok(QuoteWatTest::Binary(b)) => b,
        Ok(QuoteWatTest::Text(t)) => match wat::parse_bytes(&t) {
            Ok(b) => b.into_owned(),
            Err(e) => {
                report
                    .failures
                    .push(format!("line {line}: cannot encode module: {e}"));
                return;
            }
        },
        Err(e) => {
            report
                .failures
                .push(format!("line {line}: cannot encode module: {e}"));
            return;
        }
    };
    if let Some(reason) = skip(&bytes) {
        report.skipped.push(format!("line {line}: {reason}"));
        return;
    }
    let got = validate(&bytes, &SPEC_LIMITS);
    match (want, got) {
        (Expect::Valid, Ok(())) => report.passed += 1,
        (Expect::Valid, Err(e)) => {
            report
                .failures
                .push(format!("line {line}: valid module rejected: {e}"));
        }
        (Expect::Reject(cat, msg), Ok(())) => {
            report
                .failures
                .push(format!("line {line}: accepted, expected {cat:?} \"{msg}\""));
        }
        (Expect::Reject(cat, msg), Err(e)) => {
            if e.category() == cat {
                report.passed += 1;
            } else {
                report.failures.push(format!(
                    "line {line}: rejected as {:?} ({e}), expected {cat:?} \"{msg}\"",
                    e.category()
                ));
            }
        }
    }
}
