//! Side-table entries in their wide form (see `barewasm::module::side_table`): branches
//! that drop values, and a function body over 32 KiB, whose forward branches take a wide
//! entry when met and become compact when their target turns out to fit. Checked: which
//! form each entry gets, the state buffer's exact need, execution from both forms, and a
//! prepared copy of the table (wide entries renumbered, unused ones left out) verifying.
//! `dropping_branches_execute` is small enough to run under Miri (`scripts/miri.sh`).

use barewasm::module::side_table::{SideEntry, FORMAT_VERSION, SECTION_NAME, WIDE};
use barewasm::{BufferKind, ErrorKind, Extern, InstanceSlot, Limits, Module, NoHost, Stack, Store};

/// Over 64 KiB of `nop`s between a branch and its target, so that target's pc needs the
/// wide form.
const NOPS: usize = 70_000;

fn wat() -> String {
    let nops = "nop ".repeat(NOPS);
    format!(
        r#"(module (func (export "f") (param i32) (result i32) (local i32)
      ;; C: a forward branch whose target fits (a wide slot taken, then left unused)
      (block (br_if 0 (i32.eqz (local.get 0))) (local.set 1 (i32.const 1)))
      ;; A: a forward branch over the nops (stays wide)
      (block (br_if 0 (local.get 0)) {nops}
        (local.set 1 (i32.add (local.get 1) (i32.const 10))))
      ;; B: a forward branch beyond 64 KiB (wide)
      (block (br_if 0 (local.get 0)) (local.set 1 (i32.add (local.get 1) (i32.const 100))))
      ;; L: a loop beyond 64 KiB (its backward entry is wide)
      (loop
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (local.set 1 (i32.add (local.get 1) (i32.const 1000)))
        (br_if 0 (i32.gt_s (local.get 0) (i32.const 0))))
      ;; D: a branch that drops a value (wide in any body)
      (local.get 1)
      (drop (block (result i32) (i32.const 5) (i32.const 6) (br_if 0 (local.get 1)) (drop)))
      ))"#
    )
}

const LIMITS: Limits = Limits::DEFAULT;

fn load<'a>(bytes: &'a [u8], state: &'a mut [u64], scratch: &mut [u64]) -> Module<'a, 'a> {
    let (m, _) = Module::new(
        bytes,
        bytemuck::cast_slice_mut(state),
        bytemuck::cast_slice_mut(scratch),
        &LIMITS,
    )
    .unwrap();
    m
}

fn call(bytes: &[u8], arg: i32) -> i32 {
    let (mut state, mut scratch) = (vec![0u64; 512], vec![0u64; 1 << 12]);
    let mut stack_buf = vec![0u64; Stack::bytes_for(&LIMITS) / 8];
    let (module, arena) = Module::new(
        bytes,
        bytemuck::cast_slice_mut(&mut state),
        bytemuck::cast_slice_mut(&mut scratch),
        &LIMITS,
    )
    .unwrap();
    let mut slots = [InstanceSlot::EMPTY];
    let mut store = Store::new(&mut slots, arena);
    let inst = store
        .instantiate(&module, None, &mut |_, _, _| None)
        .unwrap();
    let mut stack = Stack::new(bytemuck::cast_slice_mut(&mut stack_buf), &LIMITS).unwrap();
    let Some(Extern::Func(f)) = store.export(inst, "f") else {
        panic!("no export")
    };
    let typed = store.typed::<i32, i32>(f).unwrap();
    typed
        .call(&mut store, &mut stack, &mut NoHost, arg)
        .unwrap()
}

/// What the function computes, written out.
fn expected(mut p: i32) -> i32 {
    let mut acc = 0;
    if p != 0 {
        acc = 1;
    }
    if p == 0 {
        acc += 10;
        acc += 100;
    }
    loop {
        p -= 1;
        acc += 1000;
        if p <= 0 {
            break;
        }
    }
    acc
}

/// A prepared module's side-table section for `m`'s table: the wide entries in the order
/// of the entries referring to them, the unused ones left out.
fn side_section(m: &Module<'_, '_>) -> Vec<u8> {
    let t = m.side_table();
    let (mut entries, mut wide) = (Vec::new(), Vec::new());
    for i in 0..t.len() {
        let raw = t.raw(i).unwrap();
        if raw & WIDE != 0 {
            entries.push(WIDE | wide.len() as u32);
            wide.push(t.entry(i).unwrap().0);
        } else {
            entries.push(raw);
        }
    }
    let mut c = vec![SECTION_NAME.len() as u8];
    c.extend_from_slice(SECTION_NAME.as_bytes());
    c.push(FORMAT_VERSION);
    c.push(entries.len() as u8);
    entries
        .iter()
        .for_each(|e| c.extend_from_slice(&e.to_le_bytes()));
    c.push(wide.len() as u8);
    wide.iter()
        .for_each(|e| c.extend_from_slice(&e.to_le_bytes()));
    let mut s = vec![0, c.len() as u8];
    s.extend_from_slice(&c);
    s
}

#[test]
fn entries_take_the_form_their_fields_need() {
    let bytes = wat::parse_str(wat()).unwrap();
    let (mut state, mut scratch) = (vec![0u64; 512], vec![0u64; 1 << 12]);
    let m = load(&bytes, &mut state, &mut scratch);
    let t = m.side_table();
    let forms: Vec<bool> = (0..t.len())
        .map(|i| t.raw(i).unwrap() & WIDE != 0)
        .collect();
    // C, A, B, L, D: C compact after patching; A, B and L too far; D drops.
    assert_eq!(forms, [false, true, true, true, true]);
    let e: Vec<SideEntry> = (0..t.len()).map(|i| m.side_entry(i)).collect();
    assert!(e[1].target_pc() > 1 << 16 && e[3].target_pc() > 1 << 16);
    assert_eq!((e[4].keep(), e[4].drop()), (1, 1));
    // Five wide slots: C's stays unused.
    assert_eq!(t.wide.len(), 5);
    assert_eq!(m.facts().side_wide_entries, 5);
    let plan = barewasm::Plan::new(&m, &LIMITS);
    assert_eq!(plan.side_table_bytes, 3 * 8 + 5 * 8);
}

#[test]
fn the_state_need_counts_wide_slots_exactly() {
    let bytes = wat::parse_str(wat()).unwrap();
    let mut scratch = vec![0u64; 1 << 12];
    let need = {
        let mut state = vec![0u64; 512];
        load(&bytes, &mut state, &mut scratch).state_bytes()
    };
    let mut state = vec![0u64; 512];
    let s: &mut [u8] = bytemuck::cast_slice_mut(&mut state);
    let sc: &mut [u8] = bytemuck::cast_slice_mut(&mut scratch);
    // Every size from the index tables' need up: the wide entries are met in the
    // middle of the body, so each size runs out at a different point.
    let index = need - (3 + 5) * 8;
    for len in index..need {
        match Module::new(&bytes, &mut s[..len], sc, &LIMITS).map(|_| ()) {
            Err(e) => match e.kind() {
                ErrorKind::BufferTooSmall {
                    which: BufferKind::State,
                    needed,
                    ..
                } => assert_eq!(needed as usize, need, "{len} bytes"),
                k => panic!("{len} bytes: {k:?}"),
            },
            Ok(()) => panic!("{len} bytes were enough, {need} needed"),
        }
    }
    assert!(Module::new(&bytes, &mut s[..need], sc, &LIMITS).is_ok());
}

#[test]
fn both_forms_execute_in_ram_and_prepared() {
    let bytes = wat::parse_str(wat()).unwrap();
    let prepared = {
        let (mut state, mut scratch) = (vec![0u64; 512], vec![0u64; 1 << 12]);
        let m = load(&bytes, &mut state, &mut scratch);
        [&bytes[..], &side_section(&m)].concat()
    };
    {
        let (mut state, mut scratch) = (vec![0u64; 512], vec![0u64; 1 << 12]);
        let m = load(&prepared, &mut state, &mut scratch);
        assert!(m.is_prepared());
        // Renumbered: four wide entries, no unused one.
        assert_eq!(m.side_table().wide.len(), 4);
    }
    for arg in [0, 1, 3, -2] {
        assert_eq!(call(&bytes, arg), expected(arg), "in RAM, {arg}");
        assert_eq!(call(&prepared, arg), expected(arg), "prepared, {arg}");
    }
}

#[test]
fn a_body_under_64_kib_with_few_entries_wastes_no_wide_slot() {
    // 40 000 nops: over 32 KiB, but under 64 KiB with three entries, so every target is
    // known to fit and the forward branches take compact entries at once.
    let nops = "nop ".repeat(40_000);
    let wat = format!(
        r#"(module (func (export "f") (param i32) (result i32)
          (block (br_if 0 (local.get 0)) {nops} (return (i32.const 7)))
          (loop (br_if 0 (i32.eqz (local.get 0))))
          (if (result i32) (local.get 0) (then (i32.const 1)) (else (i32.const 2)))))"#
    );
    let bytes = wat::parse_str(wat).unwrap();
    let (mut state, mut scratch) = (vec![0u64; 512], vec![0u64; 1 << 12]);
    let m = load(&bytes, &mut state, &mut scratch);
    let t = m.side_table();
    assert_eq!(t.len(), 4);
    assert!((0..t.len()).all(|i| t.raw(i).unwrap() & WIDE == 0));
    assert!(t.wide.is_empty());
    assert!(m.side_entry(0).target_pc() > 40_000);
    assert_eq!(call(&bytes, 0), 7);
    assert_eq!(call(&bytes, 1), 1);
}

/// Branches that drop values beneath the ones they carry, forward (`br_if`, `br_table`)
/// and back to a loop: each takes a wide entry in any body. Small enough for Miri.
const DROPPING: &str = r#"(module (func (export "f") (param i32) (result i32) (local i32)
  (local.set 1 (local.get 0))
  (loop $l (i32.const 9)
    (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
    (br_if $l (i32.gt_s (local.get 1) (i32.const 0)))
    (drop))
  (i32.add
    (block (result i32) (i32.const 100) (i32.const 2) (br_if 0 (local.get 0)) (drop))
    (block (result i32) (i32.const 50) (i32.const 7) (br_table 0 0 (local.get 0))))))"#;

#[test]
fn dropping_branches_execute() {
    let bytes = wat::parse_str(DROPPING).unwrap();
    let prepared = {
        let (mut state, mut scratch) = (vec![0u64; 512], vec![0u64; 1 << 12]);
        let m = load(&bytes, &mut state, &mut scratch);
        let t = m.side_table();
        // The loop's br_if, the block's br_if, the br_table's target and default.
        assert_eq!(t.len(), 4);
        assert_eq!(t.wide.len(), 4);
        [&bytes[..], &side_section(&m)].concat()
    };
    for arg in [0, 1, 5, -3] {
        let want = if arg == 0 { 107 } else { 9 };
        assert_eq!(call(&bytes, arg), want, "in RAM, {arg}");
        assert_eq!(call(&prepared, arg), want, "prepared, {arg}");
    }
}
