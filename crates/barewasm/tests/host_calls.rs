//! Host functions see every argument, however many: they are read in place from the stack.

use barewasm::{Extern, FuncType, Host, InstanceSlot, Limits, Memory, Module, Stack, Store};

struct Sum;

impl Host for Sum {
    fn call(
        &mut self,
        _: u32,
        args: &[u64],
        results: &mut [u64],
        _: Option<&mut Memory<'_>>,
    ) -> barewasm::Result<()> {
        // Weighted, so a lost or reordered argument changes the sum.
        results[0] = args
            .iter()
            .enumerate()
            .map(|(i, a)| (i as u64 + 1) * a)
            .sum::<u64>() as u32 as u64;
        Ok(())
    }
}

#[test]
fn a_host_function_gets_all_of_its_twenty_arguments() {
    const N: usize = 20;
    let params = "i32 ".repeat(N);
    let args: String = (1..=N).map(|i| format!("(i32.const {i}) ")).collect();
    let wat = format!(
        r#"(module
             (import "env" "sum" (func $sum (param {params}) (result i32)))
             (func (export "go") (result i32) (call $sum {args})))"#
    );
    let bytes = wat::parse_str(&wat).unwrap();
    let (mut state, mut scratch) = (vec![0u8; 4096], vec![0u8; 64 * 1024]);
    let (module, _) = Module::new(&bytes, &mut state, &mut scratch, &Limits::DEFAULT).unwrap();
    let mut slots = [InstanceSlot::EMPTY];
    let mut arena = vec![0u8; 1024];
    let mut store = Store::new(&mut slots, &mut arena);
    let ty = [0x7f_u8; N];
    let inst = store
        .instantiate(&module, None, &mut |_, _, _| {
            Some(Extern::HostFunc(
                0,
                FuncType {
                    params: &ty,
                    results: &[0x7f],
                },
            ))
        })
        .unwrap();
    let Some(Extern::Func(go)) = store.export(inst, "go") else {
        panic!()
    };
    let limits = Limits {
        value_stack_slots: 256,
        max_call_depth: 8,
        ..Limits::DEFAULT
    };
    let mut buf = vec![0u8; Stack::bytes_for(&limits)];
    let mut stack = Stack::new(&mut buf, &limits).unwrap();
    let got = store
        .typed::<(), i32>(go)
        .unwrap()
        .call(&mut store, &mut stack, &mut Sum, ());
    let want: u64 = (1..=N as u64).map(|i| i * i).sum();
    assert_eq!(got, Ok(want as i32));
}
