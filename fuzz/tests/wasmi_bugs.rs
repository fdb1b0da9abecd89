//! Bugs of the reference (wasmi) the differential target found, reduced, with what
//! barewasm does. If an assertion about wasmi fails after an upgrade, wasmi has fixed the
//! bug: drop the filter the differential target keeps for it.

use barewasm_fuzz::bare::{self, RunConfig};
use barewasm_fuzz::obs::{CallResult, Trap, Val};
use barewasm_fuzz::oracle;

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
    let cfg = RunConfig {
        validate: barewasm::Limits::DEFAULT,
        exec: barewasm::Limits::DEFAULT,
        memory_cap: 1 << 16,
        table_reserve: 0,
        host_imports: false,
    };
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
