//! Bugs of the reference (wasmi) the differential target found, reduced, with what
//! barewasm does. If an assertion about wasmi fails after an upgrade, wasmi has fixed the
//! bug: drop the filter the differential target keeps for it.

use barewasm_fuzz::bare::{self, RunConfig};
use barewasm_fuzz::obs::{CallResult, Trap, Val};
use barewasm_fuzz::{legacy, oracle, targets};

/// The barewasm run configuration of these tests: 64 KiB of memory, `table_reserve`
/// elements of table growth.
fn config(table_reserve: u32) -> RunConfig {
    RunConfig {
        validate: barewasm::Limits::DEFAULT,
        exec: barewasm::Limits::DEFAULT,
        memory_cap: 1 << 16,
        table_reserve,
        host_imports: false,
    }
}

/// The single `i32` result of each call, which must have returned one.
fn returned_i32(calls: &[(String, CallResult)]) -> Vec<i32> {
    calls
        .iter()
        .map(|(name, r)| match r {
            CallResult::Returned(v) => match v[..] {
                [Val::I32(x)] => x,
                _ => panic!("{name}: {v:?}"),
            },
            other => panic!("{name}: {other:?}"),
        })
        .collect()
}

/// `table.size / select(1, x, x == 0)` with `x = 0`: the divisor is 1, so the result is
/// the table's size, 1. wasm-smith guards every division this way when told not to trap.
const DIV_GUARD: &str = r#"(module
  (table 1 funcref)
  (func (export "f") (result i32)
    (local i32)
    table.size 0
    i32.const 1
    local.get 0
    local.get 0
    i32.eqz
    select
    i32.div_u))"#;

#[test]
fn wasmi_traps_on_a_guarded_division_barewasm_returns() {
    let bytes = wat::parse_str(DIV_GUARD).unwrap();
    let cfg = config(0);
    let bare = bare::run(&bytes, &cfg, &mut |_, _| Vec::new()).expect("runs");
    match &bare.calls[..] {
        [(_, CallResult::Returned(v))] => assert!(matches!(v[..], [Val::I32(1)]), "{v:?}"),
        other => panic!("barewasm: {other:?}"),
    }
    let calls = [("f".to_owned(), Vec::new())];
    let wasmi = oracle::run(&bytes, 1 << 16, &calls, &[]);
    assert!(
        matches!(
            wasmi.calls[..],
            [(_, CallResult::Trapped(Trap::DivideByZero))]
        ),
        "wasmi 2.0.0 traps here; it no longer does: {:?}",
        wasmi.calls
    );
}

/// `32 rem_s select(1, x, x == 0)` with `x = -7`: the guard's divisor is -7, so the spec
/// value is 4. wasmi 2.0.0 returns 0 (`32 rem 1`): it takes the wrong operand of the
/// `select` (export "select" alone gives 1, not -7). It happens whenever the condition is
/// `i32.eqz` (or `i32.eq 0`) of the very local that is the `select`'s second operand and
/// the comparison can be fused into the `select`; `popcnt` before `eqz`, or the condition
/// through another local, avoids it. Reduced from
/// `fuzz/regressions/differential/wasmi-rem-guard-bug` (wasm-smith's guarded `i32.rem_s`,
/// where an exported global XORed with the remainder lost bit 5); the tie-breaker, wasmi
/// 0.31, agrees with barewasm. Probably the root of `DIV_GUARD`'s trap as well.
const REM_GUARD: &str = r#"(module
  (func (export "rem") (result i32)
    (local i32)
    i32.const 32
    i32.const 1
    i32.const -7
    local.tee 0
    local.get 0
    i32.eqz
    select
    i32.rem_s)
  (func (export "select") (result i32)
    (local i32)
    i32.const 1
    i32.const -7
    local.tee 0
    local.get 0
    i32.eqz
    select))"#;

#[test]
fn wasmi_takes_the_wrong_select_operand_of_a_guarded_remainder() {
    let bytes = wat::parse_str(REM_GUARD).unwrap();
    let cfg = config(0);
    let bare = bare::run(&bytes, &cfg, &mut |_, _| Vec::new()).expect("runs");
    assert_eq!(
        returned_i32(&bare.calls),
        [4, -7],
        "barewasm: the spec values"
    );
    let calls = [
        ("rem".to_owned(), Vec::new()),
        ("select".to_owned(), Vec::new()),
    ];
    let tie_breaker = legacy::run(&bytes, 1 << 16, &calls, &[]).expect("wasmi 0.31 loads it");
    assert_eq!(returned_i32(&tie_breaker.calls), [4, -7], "wasmi 0.31");
    let wasmi = oracle::run(&bytes, 1 << 16, &calls, &[]);
    assert_eq!(
        returned_i32(&wasmi.calls),
        [0, 1],
        "wasmi 2.0.0 gets these wrong; it no longer does"
    );
    // The second tie-breaker: `i32.popcnt` before each `select` (same values) keeps wasmi 2
    // from fusing the comparison into it, and it computes the spec values.
    let rewritten = targets::without_fused_select(&bytes).expect("rewrites");
    assert_eq!(rewritten.len(), bytes.len() + 2);
    let wasmi = oracle::run(&rewritten, 1 << 16, &calls, &[]);
    assert_eq!(returned_i32(&wasmi.calls), [4, -7], "wasmi 2, rewritten");
}

/// `select(64, table.size, x == 0)` with `x = 0` (or `ref.is_null` of a null local): the
/// spec value is 64; wasmi 2.0.0 gives the table's size. It takes the wrong operand when
/// the second one is a `table.size` and the condition a comparison fused into the
/// `select` (`i32.const 1` as the condition, or `i32.popcnt` between the comparison and
/// the `select`, gives 64). Reduced from `fuzz/regressions/differential/wasmi-table-size-select-bug`
/// (an exported global XORed with the chosen value: barewasm 6, wasmi 2); its memory has
/// 1-byte pages and no fixed size, so wasmi 0.31 cannot load it, and the tie is broken by
/// wasmi 2 on the rewritten module.
const TABLE_SIZE_SELECT: &str = r#"(module
  (table 553 externref)
  (func (export "eqz") (result i32)
    (local i32)
    i32.const 64
    table.size 0
    local.get 0
    i32.eqz
    select)
  (func (export "is_null") (result i32)
    (local externref)
    i32.const 64
    table.size 0
    local.get 0
    ref.is_null
    select))"#;

#[test]
fn wasmi_takes_table_size_for_the_other_select_operand() {
    let bytes = wat::parse_str(TABLE_SIZE_SELECT).unwrap();
    let cfg = config(1 << 10);
    let bare = bare::run(&bytes, &cfg, &mut |_, _| Vec::new()).expect("runs");
    assert_eq!(
        returned_i32(&bare.calls),
        [64, 64],
        "barewasm: the spec values"
    );
    let calls = [
        ("eqz".to_owned(), Vec::new()),
        ("is_null".to_owned(), Vec::new()),
    ];
    let tie_breaker = legacy::run(&bytes, 1 << 16, &calls, &[]).expect("wasmi 0.31 loads it");
    assert_eq!(returned_i32(&tie_breaker.calls), [64, 64], "wasmi 0.31");
    let wasmi = oracle::run(&bytes, 1 << 16, &calls, &[]);
    assert_eq!(
        returned_i32(&wasmi.calls),
        [553, 553],
        "wasmi 2.0.0 gets these wrong; it no longer does"
    );
    let rewritten = targets::without_fused_select(&bytes).expect("rewrites");
    let wasmi = oracle::run(&rewritten, 1 << 16, &calls, &[]);
    assert_eq!(returned_i32(&wasmi.calls), [64, 64], "wasmi 2, rewritten");
}
