//! The `float` feature (on by default). Without it, an instruction that computes on floats
//! is rejected while validating, with `FloatUnsupported` at its opcode's offset; float
//! constants, locals, loads, stores and reinterpretations still work, since they only move
//! bits. With it, the same modules validate. `scripts/test-all.sh` runs this file both ways
//! (and the spec suite without the feature).

use barewasm::{Category, Extern, ExternKind, InstanceSlot, Limits, Module, NoHost, Stack, Store};
use barewasm::{ErrorKind, Value};

fn bytes_of(words: &mut [u64]) -> &mut [u8] {
    bytemuck::cast_slice_mut(words)
}

/// A module whose only function ends with `code` (the float instruction last, right
/// before the function's `end`), and the offset of that instruction's opcode.
fn ending_with(code: &str, opcode_len: usize) -> (Vec<u8>, usize) {
    let bytes = wat::parse_str(format!("(module (func (export \"f\") {code} drop))"))
        .expect("test module parses");
    // The module ends with the code section: ... op drop end.
    let at = bytes.len() - 2 - opcode_len;
    (bytes, at)
}

/// One instruction from each group the feature covers, each as the last before `drop`.
const FLOAT_CODE: &[(&str, usize)] = &[
    ("f32.const 1 f32.const 2 f32.lt", 1),
    ("f64.const 1 f64.const 2 f64.ge", 1),
    ("f32.const 1 f32.const 2 f32.add", 1),
    ("f64.const 4 f64.sqrt", 1),
    ("f32.const 1 f32.abs", 1),
    ("f64.const 1 f64.const -1 f64.copysign", 1),
    ("f32.const 1 i32.trunc_f32_s", 1),
    ("f64.const 1 i64.trunc_f64_u", 1),
    ("i64.const 1 f64.convert_i64_s", 1),
    ("f64.const 1 f32.demote_f64", 1),
    ("f32.const 1 f64.promote_f32", 1),
    ("f64.const 1 i32.trunc_sat_f64_u", 2),
    ("f32.const 1 i64.trunc_sat_f32_s", 2),
];

#[test]
fn float_instructions_are_rejected_at_their_offset_without_the_feature() {
    for &(code, len) in FLOAT_CODE {
        let (bytes, at) = ending_with(code, len);
        let (mut state, mut scratch) = (vec![0u64; 1 << 10], vec![0u64; 1 << 12]);
        let got = Module::new(
            &bytes,
            bytes_of(&mut state),
            bytes_of(&mut scratch),
            &Limits::DEFAULT,
        )
        .map(|_| ());
        if cfg!(feature = "float") {
            assert_eq!(got, Ok(()), "{code}");
        } else {
            let e = got.expect_err(code);
            assert_eq!(e.kind(), ErrorKind::FloatUnsupported, "{code}");
            assert_eq!(e.category(), Category::Invalid, "{code}");
            assert_eq!(e.offset(), at, "{code}: offset of the float opcode");
            assert!(e.kind().message().contains("`float` feature"), "{code}");
        }
    }
}

/// f32 and f64 values as data: constants, locals, memory and reinterpretation.
const BITS: &str = r#"(module
  (memory 1)
  (func (export "f64_bits") (result i64) (local f64)
    (f64.store (i32.const 8) (f64.const -1.5))
    (local.set 0 (f64.load (i32.const 8)))
    (i64.reinterpret_f64 (select (local.get 0) (f64.const 0) (i32.const 1))))
  (func (export "f32_bits") (result i32)
    (i32.reinterpret_f32 (f32.reinterpret_i32 (i32.reinterpret_f32 (f32.const 2.5))))))"#;

#[test]
fn float_values_move_as_bits_with_or_without_the_feature() {
    let bytes = wat::parse_str(BITS).expect("test module parses");
    let (mut state, mut scratch, mut arena) =
        (vec![0u64; 1 << 10], vec![0u64; 1 << 12], [0u64; 64]);
    let (module, _) = Module::new(
        &bytes,
        bytes_of(&mut state),
        bytes_of(&mut scratch),
        &Limits::DEFAULT,
    )
    .expect("float data needs no float instructions");
    let mut memory = vec![0u8; 65536];
    let mut slots = [InstanceSlot::EMPTY];
    let mut store = Store::new(&mut slots, bytes_of(&mut arena));
    let inst = store
        .instantiate(
            &module,
            Some(&mut memory),
            &mut |_: &str, _: &str, _: ExternKind| None,
        )
        .expect("instantiates");
    let limits = Limits::DEFAULT;
    let mut stack_buf = vec![0u64; Stack::bytes_for(&limits) / 8];
    let mut stack = Stack::new(bytes_of(&mut stack_buf), &limits).expect("stack");
    let mut call = |name: &str| {
        let Some(Extern::Func(f)) = store.export(inst, name) else {
            panic!("no export {name}");
        };
        let mut results = [Value::I32(0)];
        let n = store
            .invoke(&mut stack, f, &[], &mut results, &mut NoHost)
            .expect("runs");
        assert_eq!(n, 1);
        results[0]
    };
    assert_eq!(call("f64_bits"), Value::I64((-1.5f64).to_bits() as i64));
    assert_eq!(call("f32_bits"), Value::I32(2.5f32.to_bits() as i32));
}
