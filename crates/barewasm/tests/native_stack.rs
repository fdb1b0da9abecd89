//! Wasm calls never recurse on the native stack: deep wasm recursion and deeply nested
//! blocks validate and run on a thread with a small native stack, and running out of the
//! *wasm* stack is a trap, not a crash.

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

/// `(func (param i32) (result i32) (local i32) ...)` with `n` nested structured
/// instructions (a block, then loops, `if`s and blocks in turn). The innermost one
/// branches to the outermost block when the parameter is non-zero; otherwise every
/// `end` is reached and the code after each inner one counts it. Returns the count.
fn nested_module(n: usize) -> Vec<u8> {
    let mut code = vec![1, 1, 0x7f]; // one local i32: the counter
    code.extend([0x02, 0x40]); // the outermost block
    for i in 1..n {
        match i % 3 {
            0 => code.extend([0x02, 0x40]),             // block
            1 => code.extend([0x03, 0x40]),             // loop
            _ => code.extend([0x41, 0x01, 0x04, 0x40]), // i32.const 1, if
        }
    }
    // local.get 0, br_if to the outermost block (label n - 1).
    code.extend([0x20, 0x00, 0x0d]);
    let mut label = n as u32 - 1;
    loop {
        let byte = (label & 0x7f) as u8;
        label >>= 7;
        code.push(if label == 0 { byte } else { byte | 0x80 });
        if label == 0 {
            break;
        }
    }
    for _ in 1..n {
        // end; then counter += 1
        code.extend([0x0b, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01]);
    }
    code.extend([0x0b, 0x20, 0x01, 0x0b]); // end of the outermost block; local.get 1; end
    let leb = |mut v: usize| {
        let mut out = Vec::new();
        loop {
            let byte = (v & 0x7f) as u8;
            v >>= 7;
            out.push(if v == 0 { byte } else { byte | 0x80 });
            if v == 0 {
                return out;
            }
        }
    };
    let mut body = leb(code.len());
    body.extend(code);
    let mut code_section = vec![1];
    code_section.extend(body);
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend([1, 6, 1, 0x60, 1, 0x7f, 1, 0x7f]); // type 0: (i32) -> i32
    m.extend([3, 2, 1, 0]); // one function of type 0
    m.extend([7, 8, 1, 4, b'd', b'e', b'e', b'p', 0, 0]); // export "deep"
    m.push(10);
    m.extend(leb(code_section.len()));
    m.extend(code_section);
    m
}

/// Runs `deep(p)` of [`nested_module`]`(n)` on a thread with 64 KiB of native stack.
fn run_nested(n: usize, p: i32) -> Result<i32, barewasm::Error> {
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(move || {
            let bytes = nested_module(n);
            let limits = Limits {
                max_nesting: n as u32 + 1,
                ..Limits::DEFAULT
            };
            let mut state = vec![0u8; 256 * 1024];
            let mut scratch = vec![
                0u8;
                barewasm::validate::scratch_bytes(
                    &barewasm::validate::counts(&bytes).unwrap(),
                    &limits,
                ) + 8
            ];
            let (module, _) = Module::new(&bytes, &mut state, &mut scratch, &limits).unwrap();
            assert_eq!(module.facts().max_nesting as usize, n + 1);
            let mut slots = [InstanceSlot::EMPTY];
            let mut arena = vec![0u8; 4096];
            let mut store = Store::new(&mut slots, &mut arena);
            let inst = store
                .instantiate(&module, None, &mut |_, _, _| None)
                .unwrap();
            let Some(Extern::Func(f)) = store.export(inst, "deep") else {
                panic!("no export")
            };
            let mut stack_buf = vec![0u8; Stack::bytes_for(&limits)];
            let mut stack = Stack::new(&mut stack_buf, &limits).unwrap();
            let typed = store.typed::<i32, i32>(f).unwrap();
            typed.call(&mut store, &mut stack, &mut NoHost, p)
        })
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn deeply_nested_blocks_on_a_small_native_stack() {
    // 30,000 nested blocks, loops and ifs validate and run on 64 KiB of native stack:
    // straight through every `end`, and with one branch out of all of them.
    assert_eq!(run_nested(30_000, 0), Ok(29_999));
    assert_eq!(run_nested(30_000, 1), Ok(0));
}
