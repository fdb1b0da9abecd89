//! i32 and f32 values in 64-bit slots. The interpreter writes only the low half of a slot
//! for them (the high half is unspecified; debug builds, as here, fill it with a marker),
//! so every instruction that consumes one must read the low half alone, and values that
//! leave the interpreter, host-call arguments and a call's results, must come out
//! zero-extended. Each consumer below takes an i32 an arithmetic instruction produced;
//! reading a marked high half would change the total, trap, or fail the host's check.

use barewasm::{
    Error, ErrorKind, Extern, FuncType, Host, InstanceSlot, Limits, Memory, Module, Stack, Store,
};

const WAT: &str = r#"(module
  (import "env" "exact" (func $exact (param i32 i64 i32) (result i32)))
  (memory 1)
  (type $t (func (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $one $two)
  (func $one (result i32) (i32.const 1))
  (func $two (result i32) (i32.const 2))
  (func (export "consumers") (param $x i32) (result i64)
    (local $acc i64) (local $zero i32)
    (local.set $zero (i32.sub (local.get $x) (local.get $x)))
    ;; br_if, if, select and eqz on a computed 0
    (block $b (br_if $b (local.get $zero)) (local.set $acc (i64.const 1)))
    (if (local.get $zero) (then (local.set $acc (i64.const 1000000))))
    (local.set $acc (i64.add (local.get $acc)
      (select (i64.const 10) (i64.const 20) (local.get $zero))))
    (local.set $acc (i64.add (local.get $acc)
      (i64.extend_i32_u (i32.eqz (local.get $zero)))))
    ;; a computed address
    (i32.store (i32.add (local.get $x) (i32.const 0)) (i32.const 300))
    (local.set $acc (i64.add (local.get $acc)
      (i64.load32_u (i32.add (local.get $x) (i32.const 0)))))
    ;; br_table: index 0 goes to $y, which adds 4000; a wrong index takes the default
    (block $z
      (block $y (br_table $y $z (i32.sub (local.get $x) (i32.const 8))))
      (local.set $acc (i64.add (local.get $acc) (i64.const 4000))))
    ;; call_indirect through a computed index (a wrong one traps)
    (local.set $acc (i64.add (local.get $acc)
      (i64.extend_i32_u (call_indirect (type $t) (i32.sub (local.get $x) (i32.const 7))))))
    ;; extensions to i64
    (local.set $acc (i64.add (local.get $acc)
      (i64.extend_i32_u (i32.add (local.get $x) (i32.const 0)))))
    (local.set $acc (i64.add (local.get $acc)
      (i64.extend_i32_s (i32.sub (local.get $zero) (i32.const 5)))))
    ;; a global
    (global.set $g (i32.mul (local.get $x) (i32.const 3)))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (global.get $g))))
    ;; a host call: the host checks each argument's whole slot
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u
      (call $exact (i32.add (local.get $x) (i32.const 1)) (i64.const -1)
                   (i32.lt_u (local.get $zero) (local.get $x))))))
    (local.get $acc))
  (global $g (mut i32) (i32.const 0))
  (func (export "sum") (param $x i32) (result i32 i64 i32)
    (i32.add (local.get $x) (i32.const 1)) (i64.const -2) (i32.eqz (local.get $x))))"#;

/// `env.exact(9, -1, 1)`: fails the call unless each slot holds exactly that.
struct Exact;

impl Host for Exact {
    fn call(
        &mut self,
        _: u32,
        args: &[u64],
        results: &mut [u64],
        _: Option<&mut Memory<'_>>,
    ) -> barewasm::Result<()> {
        if args != [9, u64::MAX, 1] {
            return Err(Error::new(ErrorKind::HostTrap, 0));
        }
        results[0] = 50_000;
        Ok(())
    }
}

#[test]
fn consumers_read_only_the_low_half_and_values_leave_zero_extended() {
    let bytes = wat::parse_str(WAT).unwrap();
    let (mut state, mut scratch) = (vec![0u8; 4096], vec![0u8; 64 * 1024]);
    let (module, _) = Module::new(&bytes, &mut state, &mut scratch, &Limits::DEFAULT).unwrap();
    let mut slots = [InstanceSlot::EMPTY];
    let mut arena = vec![0u8; 1024];
    let mut store = Store::new(&mut slots, &mut arena);
    let mut memory = vec![0u8; 65536];
    let inst = store
        .instantiate(&module, Some(&mut memory), &mut |_, _, _| {
            Some(Extern::HostFunc(
                0,
                FuncType {
                    params: &[0x7f, 0x7e, 0x7f],
                    results: &[0x7f],
                },
            ))
        })
        .unwrap();
    let limits = Limits {
        value_stack_slots: 256,
        max_call_depth: 8,
        ..Limits::DEFAULT
    };
    // Room to align: a `Vec<u8>` may start anywhere (under Miri it does).
    let mut buf = vec![0u8; Stack::bytes_for(&limits) + 7];
    let mut stack = Stack::new(&mut buf, &limits).unwrap();
    let func = |store: &Store<'_, '_>, name: &str| match store.export(inst, name) {
        Some(Extern::Func(f)) => f,
        _ => panic!("no export {name}"),
    };

    let consumers = func(&store, "consumers");
    store
        .call_with_host(&mut stack, consumers, &[8], &mut Exact)
        .expect("runs, and the host accepts its arguments");
    // 1 + 20 + 1 + 300 + 4000 + 2 + 8 - 5 + 24 + 50000
    assert_eq!(stack.results(), [54_351]);

    let sum = func(&store, "sum");
    store
        .call_with_host(&mut stack, sum, &[8], &mut Exact)
        .unwrap();
    assert_eq!(stack.results(), [9, (-2i64) as u64, 0], "raw result slots");
}
