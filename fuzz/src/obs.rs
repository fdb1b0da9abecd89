//! What one run of a module observed, in a form both runtimes can produce.

use std::fmt;

/// A value as the harness compares it.
#[derive(Clone, Copy, Debug)]
pub enum Val {
    I32(i32),
    I64(i64),
    /// By bits.
    F32(u32),
    /// By bits.
    F64(u64),
    /// A reference: only null-ness is comparable across runtimes.
    Ref {
        null: bool,
    },
}

impl Val {
    /// Equality where every NaN equals every other NaN of the same width.
    pub fn same(&self, other: &Val) -> bool {
        match (*self, *other) {
            (Val::I32(a), Val::I32(b)) => a == b,
            (Val::I64(a), Val::I64(b)) => a == b,
            (Val::F32(a), Val::F32(b)) => {
                a == b || (f32::from_bits(a).is_nan() && f32::from_bits(b).is_nan())
            }
            (Val::F64(a), Val::F64(b)) => {
                a == b || (f64::from_bits(a).is_nan() && f64::from_bits(b).is_nan())
            }
            (Val::Ref { null: a }, Val::Ref { null: b }) => a == b,
            _ => false,
        }
    }
}

/// Why a call (or instantiation) stopped early, in categories both runtimes can name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trap {
    Unreachable,
    MemoryOutOfBounds,
    TableOutOfBounds,
    NullElement,
    DivideByZero,
    IntegerOverflow,
    BadConversion,
    IndirectCallTypeMismatch,
    /// Call depth or value stack exhausted: the runtimes' limits differ, so a run that
    /// exhausts is not compared further.
    Exhausted,
    /// Anything else (named for the report).
    Other(String),
}

/// The outcome of one call.
#[derive(Clone, Debug)]
pub enum CallResult {
    Returned(Vec<Val>),
    Trapped(Trap),
}

impl CallResult {
    fn same(&self, other: &CallResult) -> bool {
        match (self, other) {
            (CallResult::Returned(a), CallResult::Returned(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same(y))
            }
            (CallResult::Trapped(a), CallResult::Trapped(b)) => a == b,
            _ => false,
        }
    }

    fn exhausted(&self) -> bool {
        matches!(self, CallResult::Trapped(Trap::Exhausted))
    }
}

/// Everything one run observed.
#[derive(Clone, Debug, Default)]
pub struct Observation {
    /// `Some` if instantiation (including the start function) failed: why, and the
    /// message.
    pub instantiate_failed: Option<(Trap, String)>,
    /// Each call, in order: export name and outcome.
    pub calls: Vec<(String, CallResult)>,
    /// Final linear memory, if the module has one.
    pub memory: Option<Vec<u8>>,
    /// Final values of exported globals.
    pub globals: Vec<(String, Val)>,
    /// barewasm only: the fuel all calls consumed (0 from the oracles, and not part of
    /// [`compare`]). A prepared module must consume exactly what the plain one does.
    pub fuel_used: u64,
}

/// A difference between two observations.
#[derive(Debug)]
pub struct Mismatch(pub String);

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Compares `bare` (barewasm) with `oracle` (wasmi). Runs that exhaust a stack on either
/// side are compared only up to that point.
///
/// `call_indirect` with an index past the table's end is barewasm's `UndefinedElement`
/// (the spec suite's "undefined element") and wasmi's `TableOutOfBounds`; the harness maps
/// the first to the second (see `bare::trap_of`).
pub fn compare(bare: &Observation, oracle: &Observation) -> Result<(), Mismatch> {
    let fail = |what: String| Err(Mismatch(what));
    match (&bare.instantiate_failed, &oracle.instantiate_failed) {
        (None, None) => {}
        // Both failed: wasmi reports failing segments as errors without a trap code, so
        // the kinds are not compared.
        (Some(_), Some(_)) => return Ok(()),
        (Some((Trap::Exhausted, _)), _) | (_, Some((Trap::Exhausted, _))) => return Ok(()),
        (a, b) => return fail(format!("instantiation: barewasm {a:?}, wasmi {b:?}")),
    }
    if bare.calls.len() != oracle.calls.len() {
        return fail(format!(
            "number of calls: barewasm {}, wasmi {}",
            bare.calls.len(),
            oracle.calls.len()
        ));
    }
    for ((name, a), (_, b)) in bare.calls.iter().zip(&oracle.calls) {
        if a.exhausted() || b.exhausted() {
            // Different stack limits: later state is not comparable.
            return Ok(());
        }
        if !a.same(b) {
            return fail(format!("call `{name}`: barewasm {a:?}, wasmi {b:?}"));
        }
    }
    match (&bare.memory, &oracle.memory) {
        (Some(a), Some(b)) if a != b => {
            let at = a.iter().zip(b).position(|(x, y)| x != y);
            return fail(format!(
                "final memory differs: barewasm {} bytes, wasmi {} bytes, first difference at {at:?}",
                a.len(),
                b.len()
            ));
        }
        (Some(_), None) | (None, Some(_)) => {
            return fail("one runtime has a memory, the other not".into());
        }
        _ => {}
    }
    for ((name, a), (name_b, b)) in bare.globals.iter().zip(&oracle.globals) {
        if name != name_b || !a.same(b) {
            return fail(format!(
                "global `{name}`: barewasm {a:?}, wasmi {name_b} {b:?}"
            ));
        }
    }
    if bare.globals.len() != oracle.globals.len() {
        return fail("different numbers of exported globals".into());
    }
    Ok(())
}
