//! Wasm calls never recurse on the native stack: deep wasm recursion runs on a thread with
//! a small native stack, and running out of the *wasm* stack is a trap, not a crash.

use barewasm::{Category, ErrorKind, Extern, InstanceSlot, Limits, Module, NoHost, Stack, Store};

const WAT: &str = r#"
(module
  (func $down (export "down") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
  (func $nest (export "nest") (param i32) (result i32)
    ;; recursion through nested blocks and a br_table, to exercise side-table branches
    (block $rec
      (block $base
        (br_table $base $rec (local.get 0)))
      (return (i32.const 0)))
    (i32.add (i32.const 2) (call $nest (i32.sub (local.get 0) (i32.const 1))))))
"#;

/// Runs `f(n)` with a call depth limit of `depth`, on a thread with `native_kib` of stack.
fn run(
    export: &'static str,
    n: i32,
    depth: u32,
    native_kib: usize,
) -> Result<i32, barewasm::Error> {
    std::thread::Builder::new()
        .stack_size(native_kib * 1024)
        .spawn(move || {
            let bytes = wat::parse_str(WAT).unwrap();
            let limits = Limits {
                max_call_depth: depth,
                value_stack_slots: depth * 8 + 64,
                ..Limits::DEFAULT
            };
            let (mut state, mut scratch) = (vec![0u8; 4096], vec![0u8; 64 * 1024]);
            let (module, _) = Module::new(&bytes, &mut state, &mut scratch, &limits).unwrap();
            let mut slots = [InstanceSlot::EMPTY];
            let mut arena = vec![0u8; 4096];
            let mut store = Store::new(&mut slots, &mut arena);
            let inst = store
                .instantiate(&module, None, &mut |_, _, _| None)
                .unwrap();
            let Some(Extern::Func(f)) = store.export(inst, export) else {
                panic!("no export")
            };
            let mut stack_buf = vec![0u8; Stack::bytes_for(&limits)];
            let mut stack = Stack::new(&mut stack_buf, &limits).unwrap();
            let typed = store.typed::<i32, i32>(f).unwrap();
            typed.call(&mut store, &mut stack, &mut NoHost, n)
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deep_recursion_on_a_small_native_stack() {
    // 50,000 nested wasm calls on 64 KiB of native stack (a debug build, at that).
    assert_eq!(run("down", 50_000, 50_001, 64), Ok(50_000));
    assert_eq!(run("nest", 20_000, 20_001, 64), Ok(40_000));
}

#[test]
fn running_out_of_wasm_stack_is_a_trap() {
    let e = run("down", 1_000_000, 10_000, 64).unwrap_err();
    assert_eq!(
        (e.kind(), e.category()),
        (ErrorKind::CallStackExhausted, Category::Exhausted)
    );
    let e = run("nest", 1_000_000, 10_000, 64).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::CallStackExhausted);
}
