//! Fuel, pausing and resumption: the charging rule documented on `Stack::set_fuel`, host
//! calls that are not ready yet, API misuse, and two instances sharing a core in turns.
//! (The whole spec suite run in fuel slices is in the CLI's `tests/spec_exec.rs`.)

use barewasm::{
    Category, Error, ErrorKind, Extern, FuncRef, FuncType, Host, Instance, InstanceSlot, Limits,
    Memory, Module, NoHost, Outcome, Stack, Store, BULK_STEP, UNLIMITED_FUEL,
};

const LIMITS: Limits = Limits {
    value_stack_slots: 256,
    max_call_depth: 32,
    ..Limits::DEFAULT
};

/// Validates `wat` and runs `body` with a store holding one instance of it (with a 64 KiB
/// memory buffer) and a stack. Host function imports `env.*` get ids in import order.
fn with_instance<R>(
    wat: &str,
    body: impl FnOnce(&mut Store<'_, '_>, &mut Stack<'_>, Instance) -> R,
) -> R {
    let bytes = wat::parse_str(wat).unwrap();
    let (mut state, mut scratch) = (vec![0u8; 8192], vec![0u8; 64 * 1024]);
    let (module, _) = Module::new(&bytes, &mut state, &mut scratch, &LIMITS).unwrap();
    let mut slots = [InstanceSlot::EMPTY, InstanceSlot::EMPTY];
    let mut arena = vec![0u8; 8192];
    let mut memory = vec![0u8; 65536];
    let mut store = Store::new(&mut slots, &mut arena);
    let mut next_id = 0;
    let inst = store
        .instantiate(&module, Some(&mut memory), &mut |_, _, _| {
            next_id += 1;
            Some(Extern::HostFunc(
                next_id - 1,
                FuncType {
                    params: &[0x7f],
                    results: &[0x7f],
                },
            ))
        })
        .unwrap();
    let mut stack_buf = vec![0u8; Stack::bytes_for(&LIMITS) + ALIGN_SLACK];
    let mut stack = Stack::new(&mut stack_buf, &LIMITS).unwrap();
    body(&mut store, &mut stack, inst)
}

fn func(store: &Store<'_, '_>, inst: Instance, name: &str) -> FuncRef {
    match store.export(inst, name) {
        Some(Extern::Func(f)) => f,
        other => panic!("export {name}: {other:?}"),
    }
}

/// Fuel a call of `name(args)` consumes when it runs to the end in one go.
fn fuel_of(store: &mut Store<'_, '_>, stack: &mut Stack<'_>, f: FuncRef, args: &[u64]) -> u64 {
    stack.set_fuel(UNLIMITED_FUEL);
    assert_eq!(store.call(stack, f, args), Ok(Outcome::Returned));
    UNLIMITED_FUEL - stack.fuel()
}

/// Runs `f(args)` in slices of `slice` fuel; returns (results, fuel consumed, pauses).
fn sliced(
    store: &mut Store<'_, '_>,
    stack: &mut Stack<'_>,
    f: FuncRef,
    args: &[u64],
    slice: u64,
) -> (Vec<u64>, u64, u64) {
    stack.set_fuel(slice);
    let mut outcome = store.call(stack, f, args).unwrap();
    let mut pauses = 0;
    while outcome == Outcome::OutOfFuel {
        assert!(stack.is_paused());
        assert_eq!(stack.fuel(), 0);
        pauses += 1;
        stack.set_fuel(slice);
        outcome = store.continue_call(stack).unwrap();
    }
    assert_eq!(outcome, Outcome::Returned);
    let used = pauses * slice + (slice - stack.fuel());
    (stack.results().to_vec(), used, pauses)
}

/// A `Vec<u8>` is only byte-aligned (Miri places it anywhere): room for a stack to align
/// its `u64` words.
const ALIGN_SLACK: usize = 8;

const COUNTER: &str = r#"
(module
  (table 1 funcref)
  (elem (i32.const 0) $one)
  (func (export "spin") (loop $l (br $l)))
  (func (export "inc") (param i32) (result i32)
    (i32.add (local.get 0) (i32.const 1)))
  (func (export "sum") (param i32) (result i32) (local i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (i32.add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $again)))
    (local.get 1))
  (func $one (result i32) (i32.const 1))
  ;; Two calls and an indirect call: 3 units.
  (func (export "calls") (result i32)
    (i32.add (i32.add (call $one) (call $one)) (call_indirect (result i32) (i32.const 0))))
  ;; Either arm of an `if` with an `else` takes one branch: past the `else` or to it.
  (func (export "pick") (param i32) (result i32)
    (if (result i32) (local.get 0) (then (i32.const 10)) (else (i32.const 20))))
  ;; An `if` without `else` branches only when it skips; a `br_if` only when taken.
  (func (export "maybe") (param i32) (result i32)
    (if (local.get 0) (then (nop)))
    (block (br_if 0 (local.get 0)))
    (block (br_table 0 0 (local.get 0)))
    (local.get 0)))
"#;

#[test]
fn taken_branches_and_calls_cost_one_unit_and_straight_line_code_nothing() {
    with_instance(COUNTER, |store, stack, inst| {
        let inc = func(store, inst, "inc");
        assert_eq!(fuel_of(store, stack, inc, &[41]), 0);
        assert_eq!(stack.results(), &[42]);
        // Per iteration one `br $again` (the `br_if` is not taken), then the `br_if`
        // that leaves.
        let sum = func(store, inst, "sum");
        assert_eq!(fuel_of(store, stack, sum, &[10]), 10 + 1);
        assert_eq!(stack.results(), &[55]);
        let calls = func(store, inst, "calls");
        assert_eq!(fuel_of(store, stack, calls, &[]), 3);
        assert_eq!(stack.results(), &[3]);
        let pick = func(store, inst, "pick");
        for (arg, result) in [(1, 10), (0, 20)] {
            assert_eq!(fuel_of(store, stack, pick, &[arg]), 1, "pick {arg}");
            assert_eq!(stack.results(), &[result]);
        }
        // 0: the `if` skips, the `br_if` falls through, `br_table` branches; 1: the
        // `br_if` and `br_table` branch.
        let maybe = func(store, inst, "maybe");
        assert_eq!(fuel_of(store, stack, maybe, &[0]), 2);
        assert_eq!(fuel_of(store, stack, maybe, &[1]), 2);
        assert_eq!(fuel_of(store, stack, maybe, &[7]), 2);
    });
}

#[test]
fn zero_fuel_stops_at_the_first_charge_point_and_every_unit_is_charged_once() {
    with_instance(COUNTER, |store, stack, inst| {
        // Straight-line code needs no fuel at all.
        let inc = func(store, inst, "inc");
        stack.set_fuel(0);
        assert_eq!(store.call(stack, inc, &[1]), Ok(Outcome::Returned));
        assert_eq!(stack.results(), &[2]);
        // `sum(10)` has 11 charge points: the first is refused.
        let sum = func(store, inst, "sum");
        assert_eq!(store.call(stack, sum, &[10]), Ok(Outcome::OutOfFuel));
        assert!(stack.is_paused());
        // Still none: it stays paused where it stopped.
        assert_eq!(store.continue_call(stack), Ok(Outcome::OutOfFuel));
        assert!(stack.is_paused());
        // Resuming pays the refused unit, then two more: the fourth is refused.
        stack.set_fuel(3);
        assert_eq!(store.continue_call(stack), Ok(Outcome::OutOfFuel));
        assert_eq!(stack.fuel(), 0);
        // Units 4 to 10 leave the eleventh unpaid.
        stack.set_fuel(7);
        assert_eq!(store.continue_call(stack), Ok(Outcome::OutOfFuel));
        stack.set_fuel(1);
        assert_eq!(store.continue_call(stack), Ok(Outcome::Returned));
        assert_eq!(stack.results(), &[55]);
        assert_eq!(stack.fuel(), 0);
        assert!(!stack.is_paused());
    });
}

#[test]
fn slicing_changes_neither_results_nor_total_fuel() {
    with_instance(COUNTER, |store, stack, inst| {
        let sum = func(store, inst, "sum");
        let whole = fuel_of(store, stack, sum, &[1000]);
        assert_eq!(whole, 1001);
        for slice in [1, 2, 7, 100, 1000, whole - 1, whole, whole + 1] {
            let (results, used, pauses) = sliced(store, stack, sum, &[1000], slice);
            assert_eq!(results, [500_500], "slice {slice}");
            assert_eq!(used, whole, "slice {slice}");
            assert_eq!(pauses, whole.div_ceil(slice) - 1, "slice {slice}");
        }
        // Calls and indirect calls pause at the callee's entry.
        let calls = func(store, inst, "calls");
        assert_eq!(sliced(store, stack, calls, &[], 1), (vec![3], 3, 2));
    });
}

const BULK: &str = r#"
(module
  (memory (export "mem") 1)
  (table $t 300 funcref)
  (elem $e func $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c
                $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c
                $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c
                $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c $a $b $c)
  (data $d "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz")
  (func $a (result i32) (i32.const 1))
  (func $b (result i32) (i32.const 2))
  (func $c (result i32) (i32.const 3))
  (func (export "fill") (param i32 i32 i32)
    (memory.fill (local.get 0) (local.get 1) (local.get 2)))
  (func (export "copy") (param i32 i32 i32)
    (memory.copy (local.get 0) (local.get 1) (local.get 2)))
  (func (export "init") (param i32 i32 i32)
    (memory.init $d (local.get 0) (local.get 1) (local.get 2)))
  (func (export "tinit") (param i32 i32 i32)
    (table.init $t $e (local.get 0) (local.get 1) (local.get 2)))
  (func (export "tcopy") (param i32 i32 i32)
    (table.copy $t $t (local.get 0) (local.get 1) (local.get 2)))
  (func (export "tfill") (param i32 i32)
    (table.fill $t (local.get 0) (ref.func $c) (local.get 1)))
  ;; A hash of memory bytes [0, 512) and of what table slots [0, 300) return (0 for null).
  (func (export "hash") (result i32) (local i32 i32)
    (loop $m
      (local.set 1 (i32.add (i32.mul (local.get 1) (i32.const 31))
                            (i32.load8_u (local.get 0))))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br_if $m (i32.lt_u (local.get 0) (i32.const 512))))
    (local.set 0 (i32.const 0))
    (loop $t
      (local.set 1 (i32.add (i32.mul (local.get 1) (i32.const 7))
        (if (result i32) (ref.is_null (table.get $t (local.get 0)))
          (then (i32.const 0))
          (else (call_indirect (result i32) (local.get 0))))))
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br_if $t (i32.lt_u (local.get 0) (i32.const 300))))
    (local.get 1)))
"#;

#[test]
fn bulk_instructions_cost_one_unit_per_step_after_the_first() {
    with_instance(BULK, |store, stack, inst| {
        let fill = func(store, inst, "fill");
        let step = BULK_STEP as u64;
        for (n, steps) in [
            (0, 1),
            (1, 1),
            (step, 1),
            (step + 1, 2),
            (1000, 1000u64.div_ceil(step)),
        ] {
            assert_eq!(
                fuel_of(store, stack, fill, &[0, 7, n]),
                steps - 1,
                "fill {n}"
            );
        }
        let tfill = func(store, inst, "tfill");
        assert_eq!(
            fuel_of(store, stack, tfill, &[0, 300]),
            300u64.div_ceil(step) - 1
        );
        // A trap comes before any step, so it charges nothing.
        stack.set_fuel(100);
        let e = store.call(stack, fill, &[65530, 0, 100]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MemoryOutOfBounds);
        assert_eq!(stack.fuel(), 100);
        // With no fuel a large fill stops after its first step, and each unit buys one.
        stack.set_fuel(0);
        assert_eq!(
            store.call(stack, fill, &[0, 9, 3 * step]),
            Ok(Outcome::OutOfFuel)
        );
        stack.set_fuel(1);
        assert_eq!(store.continue_call(stack), Ok(Outcome::OutOfFuel));
        stack.set_fuel(1);
        assert_eq!(store.continue_call(stack), Ok(Outcome::Returned));
        let bytes = store.memory(inst).unwrap().data();
        assert!(bytes[..3 * step as usize].iter().all(|&b| b == 9));
    });
}

#[test]
fn bulk_instructions_in_slices_match_whole_runs() {
    // (export, args): overlapping copies in both directions, fills, inits.
    let ops: &[(&str, [u64; 3])] = &[
        ("fill", [3, 0xab, 400]),
        ("init", [10, 5, 130]),
        ("copy", [0, 50, 300]),  // destination below source: front to back
        ("copy", [60, 20, 400]), // destination above source: back to front
        ("tinit", [5, 3, 90]),
        ("tcopy", [0, 40, 200]),
        ("tcopy", [90, 10, 200]),
        ("tfill", [100, 150, 0]),
    ];
    for slice in [1u64, 2, 3, 7, 64, 1000] {
        let mut whole_hashes = Vec::new();
        let mut sliced_hashes = Vec::new();
        // Each sequence runs on a fresh instance: once whole, once in slices.
        for run_sliced in [false, true] {
            with_instance(BULK, |store, stack, inst| {
                let hash = func(store, inst, "hash");
                for (name, args) in ops {
                    let f = func(store, inst, name);
                    let n_args = if *name == "tfill" { 2 } else { 3 };
                    let args = &args[..n_args];
                    let used = if run_sliced {
                        sliced(store, stack, f, args, slice).1
                    } else {
                        fuel_of(store, stack, f, args)
                    };
                    let (h, _, _) = sliced(store, stack, hash, &[], UNLIMITED_FUEL);
                    let out = if run_sliced {
                        &mut sliced_hashes
                    } else {
                        &mut whole_hashes
                    };
                    out.push((name.to_string(), h[0], used));
                }
            });
        }
        assert_eq!(sliced_hashes, whole_hashes, "slices of {slice}");
    }
}

/// A host whose function 0 (`env.read`) is not ready the first `wait` times it is asked
/// about each call; it answers with its argument times 10.
struct SlowSensor {
    wait: u32,
    waited: u32,
    calls: u32,
}

impl Host for SlowSensor {
    fn call(
        &mut self,
        id: u32,
        args: &[u64],
        results: &mut [u64],
        _: Option<&mut Memory<'_>>,
    ) -> barewasm::Result<()> {
        assert_eq!(id, 0);
        self.calls += 1;
        self.waited = 0;
        results[0] = args[0] * 10;
        Ok(())
    }
    fn ready(&mut self, _: u32, args: &[u64]) -> bool {
        assert_eq!(args.len(), 1);
        if self.waited < self.wait {
            self.waited += 1;
            return false;
        }
        true
    }
}

const SENSOR: &str = r#"
(module
  (import "env" "read" (func $read (param i32) (result i32)))
  (func $get (param i32) (result i32) (call $read (local.get 0)))
  (func (export "twice") (param i32) (result i32)
    (i32.add (call $get (local.get 0)) (call $get (i32.const 1)))))
"#;

#[test]
fn a_host_call_that_is_not_ready_suspends_and_resumes() {
    with_instance(SENSOR, |store, stack, inst| {
        let twice = func(store, inst, "twice");
        let mut host = SlowSensor {
            wait: 2,
            waited: 0,
            calls: 0,
        };
        let typed = store.typed::<i32, i32>(twice).unwrap();
        let e = typed.call(store, stack, &mut host, 4).unwrap_err();
        assert_eq!(
            (e.kind(), e.category()),
            (ErrorKind::HostCallPending, Category::Suspended)
        );
        assert!(stack.is_paused());
        assert_eq!(stack.pending_host_call().map(|(id, _)| id), Some(0));
        // The firmware does other work, then polls again.
        let mut resumes = 0;
        let result = loop {
            match typed.resume(store, stack, &mut host) {
                Ok(v) => break v,
                Err(e) if e.kind() == ErrorKind::HostCallPending => resumes += 1,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(result, 40 + 10);
        assert_eq!(host.calls, 2);
        // Two calls, each pending twice; the first pending came from `call` itself.
        assert_eq!(resumes, 3);
        assert!(!stack.is_paused());
    });
}

#[test]
fn fuel_and_pending_host_calls_combine() {
    with_instance(SENSOR, |store, stack, inst| {
        let twice = func(store, inst, "twice");
        let mut host = SlowSensor {
            wait: 1,
            waited: 0,
            calls: 0,
        };
        stack.set_fuel(0);
        let mut pauses = (0, 0);
        let mut r = store.call_with_host(stack, twice, &[2], &mut host);
        loop {
            match r {
                Ok(()) => break,
                Err(e) if e.kind() == ErrorKind::OutOfFuel => {
                    pauses.0 += 1;
                    stack.set_fuel(1);
                }
                Err(e) if e.kind() == ErrorKind::HostCallPending => pauses.1 += 1,
                Err(e) => panic!("{e}"),
            }
            r = store.resume_with_host(stack, &mut host);
        }
        assert_eq!(stack.results(), &[30]);
        // Two entries into `$get` with no fuel to spare: each pauses once for fuel, and
        // each host call pends once.
        assert_eq!(pauses, (2, 2));
    });
}

#[test]
fn resuming_what_is_not_paused_is_a_usage_error() {
    with_instance(COUNTER, |store, stack, inst| {
        let usage = |r: Result<Outcome, Error>| {
            let e = r.unwrap_err();
            assert_eq!(
                (e.kind(), e.category()),
                (ErrorKind::NotResumable, Category::Usage)
            );
        };
        usage(store.continue_call(stack));
        usage(store.resume(stack, &[]));
        let sum = func(store, inst, "sum");
        stack.set_fuel(5);
        assert_eq!(store.call(stack, sum, &[10]), Ok(Outcome::OutOfFuel));
        // Paused on fuel, not on a host call.
        usage(store.resume(stack, &[1]));
        assert!(stack.is_paused(), "a misuse leaves the pause in place");
        stack.set_fuel(UNLIMITED_FUEL);
        assert_eq!(store.continue_call(stack), Ok(Outcome::Returned));
        assert_eq!(stack.results(), &[55]);
        // After a trap nothing is paused.
        let e = store.resume_with_host(stack, &mut NoHost).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotResumable);
    });
}

/// A paused stack's registers index the modules of the store that paused it, so only that
/// store may continue it: another store (here holding a different, smaller module) refuses
/// with a usage error and leaves the pause intact, and the right store then finishes it.
#[test]
fn a_paused_stack_resumes_only_on_the_store_that_paused_it() {
    let other = wat::parse_str(
        r#"(module (import "env" "f" (func (param i32) (result i32)))
             (func (export "g") (result i32) (call 0 (i32.const 1))))"#,
    )
    .unwrap();
    let (mut state, mut scratch) = (vec![0u8; 4096], vec![0u8; 64 * 1024]);
    let (module, _) = Module::new(&other, &mut state, &mut scratch, &LIMITS).unwrap();
    let mut slots = [InstanceSlot::EMPTY];
    let mut arena = vec![0u8; 1024];
    let mut second = Store::new(&mut slots, &mut arena);
    let g = second
        .instantiate(&module, None, &mut |_, _, _| {
            Some(Extern::HostFunc(
                7,
                FuncType {
                    params: &[0x7f],
                    results: &[0x7f],
                },
            ))
        })
        .unwrap();
    let g = func(&second, g, "g");
    let refused = |r: Result<Outcome, Error>| {
        assert_eq!(r.unwrap_err().kind(), ErrorKind::NotResumable);
    };
    with_instance(COUNTER, |store, stack, inst| {
        // Paused on fuel inside `sum`'s loop.
        let sum = func(store, inst, "sum");
        stack.set_fuel(7);
        assert_eq!(store.call(stack, sum, &[10]), Ok(Outcome::OutOfFuel));
        stack.set_fuel(UNLIMITED_FUEL);
        refused(second.continue_call(stack));
        assert!(
            stack.is_paused(),
            "a refused resumption leaves the pause in place"
        );
        assert_eq!(store.continue_call(stack), Ok(Outcome::Returned));
        assert_eq!(stack.results(), &[55]);

        // Paused on a host call in the second store: the first cannot answer it.
        assert_eq!(
            second.call(stack, g, &[]),
            Ok(Outcome::HostCall { id: 7, caller: 0 })
        );
        refused(store.resume(stack, &[41]));
        refused(
            store
                .resume_with_host(stack, &mut NoHost)
                .map(|()| Outcome::Returned),
        );
        assert_eq!(second.resume(stack, &[41]), Ok(Outcome::Returned));
        assert_eq!(stack.results(), &[41]);

        // A new call starts afresh on whichever store makes it.
        assert_eq!(store.call(stack, sum, &[4]), Ok(Outcome::Returned));
        assert_eq!(stack.results(), &[10]);
    });
}

#[test]
fn out_of_fuel_reports_where_it_stopped() {
    with_instance(COUNTER, |store, stack, inst| {
        let sum = func(store, inst, "sum");
        let typed = store.typed::<i32, i32>(sum).unwrap();
        stack.set_fuel(10);
        let e = typed.call(store, stack, &mut NoHost, 100).unwrap_err();
        assert_eq!(
            (e.kind(), e.category()),
            (ErrorKind::OutOfFuel, Category::Suspended)
        );
        let bytes = store.module(inst).unwrap().bytes();
        assert!(e.offset() > 8 && e.offset() < bytes.len(), "{e:?}");
        stack.set_fuel(UNLIMITED_FUEL);
        assert_eq!(typed.resume(store, stack, &mut NoHost), Ok(5050));
    });
}

#[test]
fn two_instances_take_turns_and_an_endless_loop_does_not_starve_the_other() {
    let bytes = wat::parse_str(COUNTER).unwrap();
    let (mut state, mut scratch) = (vec![0u8; 4096], vec![0u8; 64 * 1024]);
    let (module, _) = Module::new(&bytes, &mut state, &mut scratch, &LIMITS).unwrap();
    let mut slots = [InstanceSlot::EMPTY, InstanceSlot::EMPTY];
    let mut arena = vec![0u8; 4096];
    let mut store = Store::new(&mut slots, &mut arena);
    let a = store
        .instantiate(&module, None, &mut |_, _, _| None)
        .unwrap();
    let b = store
        .instantiate(&module, None, &mut |_, _, _| None)
        .unwrap();
    let (spin, sum) = (func(&store, a, "spin"), func(&store, b, "sum"));
    let mut buf_a = vec![0u8; Stack::bytes_for(&LIMITS) + ALIGN_SLACK];
    let mut buf_b = vec![0u8; Stack::bytes_for(&LIMITS) + ALIGN_SLACK];
    let mut stack_a = Stack::new(&mut buf_a, &LIMITS).unwrap();
    let mut stack_b = Stack::new(&mut buf_b, &LIMITS).unwrap();
    const SLICE: u64 = 100;
    stack_a.set_fuel(SLICE);
    stack_b.set_fuel(SLICE);
    let mut state_a = store.call(&mut stack_a, spin, &[]).unwrap();
    let mut state_b = store.call(&mut stack_b, sum, &[10_000]).unwrap();
    let mut turns = 0;
    while state_b == Outcome::OutOfFuel {
        assert_eq!(state_a, Outcome::OutOfFuel);
        stack_a.set_fuel(SLICE);
        state_a = store.continue_call(&mut stack_a).unwrap();
        stack_b.set_fuel(SLICE);
        state_b = store.continue_call(&mut stack_b).unwrap();
        turns += 1;
    }
    assert_eq!(state_b, Outcome::Returned);
    assert_eq!(stack_b.results(), &[50_005_000]);
    assert_eq!(
        state_a,
        Outcome::OutOfFuel,
        "the endless loop is still paused, not lost"
    );
    // `sum(10_000)` has 10,001 charge points.
    assert_eq!(turns, 10_001u64.div_ceil(SLICE) - 1);
}

/// A call into another instance is a charge point too: with no fuel it pauses at the
/// callee's first instruction, in the callee's instance, and resumes there.
#[test]
fn a_call_into_another_instance_pauses_at_the_callee() {
    let callee = wat::parse_str(
        r#"(module (func (export "twice") (param i32) (result i32)
             (i32.mul (local.get 0) (i32.const 2))))"#,
    )
    .unwrap();
    let caller = wat::parse_str(
        r#"(module (import "b" "twice" (func $t (param i32) (result i32)))
             (func (export "go") (param i32) (result i32)
               (i32.add (call $t (local.get 0)) (i32.const 1))))"#,
    )
    .unwrap();
    let (mut state_b, mut state_a) = (vec![0u8; 4096], vec![0u8; 4096]);
    let mut scratch = vec![0u8; 64 * 1024];
    let (mb, _) = Module::new(&callee, &mut state_b, &mut scratch, &LIMITS).unwrap();
    let (ma, _) = Module::new(&caller, &mut state_a, &mut scratch, &LIMITS).unwrap();
    let mut slots = [InstanceSlot::EMPTY, InstanceSlot::EMPTY];
    let mut arena = vec![0u8; 4096];
    let mut store = Store::new(&mut slots, &mut arena);
    let b = store.instantiate(&mb, None, &mut |_, _, _| None).unwrap();
    let twice = func(&store, b, "twice");
    let a = store
        .instantiate(&ma, None, &mut |_, _, _| Some(Extern::Func(twice)))
        .unwrap();
    let go = func(&store, a, "go");
    let mut buf = vec![0u8; Stack::bytes_for(&LIMITS) + ALIGN_SLACK];
    let mut stack = Stack::new(&mut buf, &LIMITS).unwrap();
    stack.set_fuel(0);
    assert_eq!(store.call(&mut stack, go, &[20]), Ok(Outcome::OutOfFuel));
    assert_eq!(store.continue_call(&mut stack), Ok(Outcome::OutOfFuel));
    // The paused position is in the callee's module: its first instruction.
    let e = store
        .typed::<i32, i32>(go)
        .unwrap()
        .resume(&mut store, &mut stack, &mut NoHost)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::OutOfFuel);
    let first = [0x20, 0, 0x41, 2, 0x6c, 0x0b]; // local.get 0; i32.const 2; i32.mul; end
    let at = callee.windows(6).position(|w| w == first).unwrap();
    assert_eq!(e.offset(), at, "{e:?}");
    stack.set_fuel(1);
    assert_eq!(store.continue_call(&mut stack), Ok(Outcome::Returned));
    assert_eq!(stack.results(), &[41]);
    assert_eq!(stack.fuel(), 0);
    // With fuel to spare, the same call costs exactly that one unit.
    assert_eq!(fuel_of(&mut store, &mut stack, go, &[20]), 1);
}
