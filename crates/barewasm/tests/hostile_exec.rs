//! Hostile input at run time: a module that tries to grow past what the host gave it,
//! recurse without end, or link against what it was not offered, and a host that hands
//! over empty or misaligned buffers. Each case expects one specific outcome.
//!
//! (Hostile *bytes*, for decoding and validation, are in `hostile.rs`; deep recursion on a
//! small native stack in `native_stack.rs`.)

use barewasm::binary::types::Limits as Bounds;
use barewasm::{
    BufferKind, Category, Error, ErrorKind, Extern, ExternKind, FuncType, GlobalType, Instance,
    InstanceSlot, Limits, MemType, Module, NoHost, Stack, Store, TableType, ValType, Value,
};

/// Words, so that byte views of them start 8-aligned and `[off..]` is misaligned by `off`.
fn bytes_of(words: &mut [u64]) -> &mut [u8] {
    bytemuck::cast_slice_mut(words)
}

fn wasm(wat: &str) -> Vec<u8> {
    wat::parse_str(wat).expect("test module parses")
}

/// Validates `m` under the default limits into `state` and `scratch`.
fn validated<'w, 's>(m: &'w [u8], state: &'s mut [u64], scratch: &mut [u64]) -> Module<'w, 's> {
    Module::new(m, bytes_of(state), bytes_of(scratch), &Limits::DEFAULT)
        .unwrap()
        .0
}

/// What a test does with an instantiated module.
type Body<'b> = &'b mut dyn FnMut(&mut Store<'_, '_>, Instance, &mut Stack<'_>);

/// Validates and instantiates `bytes` (own memory in `memory`, tables reserving
/// `table_reserve` elements, imports from `resolve`), then runs `body`. Returns the
/// instantiation error instead if there is one.
fn with_instance(
    bytes: &[u8],
    memory: &mut [u8],
    table_reserve: u32,
    resolve: &mut dyn FnMut(&mut Store<'_, '_>, &str, &str, ExternKind) -> Option<Extern<'static>>,
    body: Body<'_>,
) -> Result<(), Error> {
    let limits = Limits {
        max_call_depth: 64,
        value_stack_slots: 1024,
        ..Limits::DEFAULT
    };
    let (mut state, mut scratch, mut arena) = (
        vec![0u64; 1 << 10],
        vec![0u64; 1 << 13],
        vec![0u64; 1 << 10],
    );
    let (module, _) = Module::new(
        bytes,
        bytes_of(&mut state),
        bytes_of(&mut scratch),
        &Limits::DEFAULT,
    )?;
    let mut host_memory = vec![0u64; 1 << 13];
    let mut slots = [InstanceSlot::EMPTY, InstanceSlot::EMPTY];
    let mut store = Store::new(&mut slots, bytes_of(&mut arena));
    store.set_table_reserve(table_reserve);
    // Host entities the resolver may hand out are defined first.
    let host_mem = store.define_memory(
        MemType {
            limits: Bounds {
                min: 1,
                max: Some(1),
            },
            page_size_log2: 16,
        },
        bytes_of(&mut host_memory),
    )?;
    let mut externs = Vec::new();
    let mut pending: Vec<(String, String, ExternKind)> = Vec::new();
    {
        // Collect the import names, then ask the resolver for each with the store at hand.
        let mut r = module.section_reader(barewasm::binary::sections::SectionId::Import);
        if !r.is_empty() {
            for _ in 0..r.u32()? {
                let m = r.name()?.to_owned();
                let n = r.name()?.to_owned();
                let kind = ExternKind::read(&mut r)?;
                match kind {
                    ExternKind::Func => {
                        r.u32()?;
                    }
                    ExternKind::Table => {
                        TableType::read(&mut r)?;
                    }
                    ExternKind::Memory => {
                        MemType::read(&mut r)?;
                    }
                    ExternKind::Global => {
                        GlobalType::read(&mut r)?;
                    }
                }
                pending.push((m, n, kind));
            }
        }
    }
    for (m, n, kind) in &pending {
        let e = if (m.as_str(), n.as_str()) == ("host", "memory") {
            Some(host_mem)
        } else {
            resolve(&mut store, m, n, *kind)
        };
        externs.push(e);
    }
    let mut next = 0;
    let inst = store.instantiate(&module, Some(memory), &mut |_, _, _| {
        next += 1;
        externs[next - 1]
    })?;
    let mut stack_buf = vec![0u64; Stack::bytes_for(&limits) / 8];
    let mut stack = Stack::new(bytes_of(&mut stack_buf), &limits)?;
    body(&mut store, inst, &mut stack);
    Ok(())
}

fn no_imports(_: &mut Store<'_, '_>, _: &str, _: &str, _: ExternKind) -> Option<Extern<'static>> {
    None
}

/// Calls export `name` with `args`; its results, or the error.
fn call(
    store: &mut Store<'_, '_>,
    inst: Instance,
    stack: &mut Stack<'_>,
    name: &str,
    args: &[Value],
) -> Result<Vec<Value>, Error> {
    let Some(Extern::Func(f)) = store.export(inst, name) else {
        panic!("no function `{name}`");
    };
    let mut results = [Value::I32(0); 4];
    let n = store.invoke(stack, f, args, &mut results, &mut NoHost)?;
    Ok(results[..n].to_vec())
}

fn i32s(v: Result<Vec<Value>, Error>) -> Vec<i32> {
    v.expect("call returns")
        .into_iter()
        .map(|v| match v {
            Value::I32(x) => x,
            other => panic!("not an i32: {other:?}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Growing past what the host gave
// ---------------------------------------------------------------------------------------

const GROW_MEMORY: &str = r#"(module
  (memory (export "mem") 1 10)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "poke") (param i32) (i32.store8 (local.get 0) (i32.const 1))))"#;

/// The type allows 10 pages but the buffer holds 2: growth stops at the buffer's end with
/// -1, the memory keeps its size, and the byte past the buffer stays out of bounds.
#[test]
fn memory_grow_past_the_buffer_fails_with_minus_one() {
    let m = wasm(GROW_MEMORY);
    let mut mem = vec![0u8; 2 * 65536 + 100];
    with_instance(&m, &mut mem, 0, &mut no_imports, &mut |s, i, st| {
        assert_eq!(i32s(call(s, i, st, "grow", &[Value::I32(1)])), [1]);
        assert_eq!(i32s(call(s, i, st, "grow", &[Value::I32(1)])), [-1]);
        assert_eq!(i32s(call(s, i, st, "grow", &[Value::I32(-1)])), [-1]);
        assert_eq!(i32s(call(s, i, st, "grow", &[Value::I32(0)])), [2]);
        assert_eq!(i32s(call(s, i, st, "size", &[])), [2]);
        call(s, i, st, "poke", &[Value::I32(2 * 65536 - 1)]).unwrap();
        let e = call(s, i, st, "poke", &[Value::I32(2 * 65536)]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::MemoryOutOfBounds);
        // The host's view agrees.
        assert_eq!(s.memory(i).unwrap().data().len(), 2 * 65536);
        assert_eq!(s.memory(i).unwrap().grow(1), None);
    })
    .unwrap();
}

/// With a buffer larger than the type's maximum, the maximum is what stops growth.
#[test]
fn memory_grow_past_the_declared_maximum_fails_with_minus_one() {
    let m = wasm(
        r#"(module (memory 1 2)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    let mut mem = vec![0u8; 4 * 65536];
    with_instance(&m, &mut mem, 0, &mut no_imports, &mut |s, i, st| {
        assert_eq!(i32s(call(s, i, st, "grow", &[Value::I32(2)])), [-1]);
        assert_eq!(i32s(call(s, i, st, "grow", &[Value::I32(1)])), [1]);
        assert_eq!(i32s(call(s, i, st, "grow", &[Value::I32(1)])), [-1]);
    })
    .unwrap();
}

const GROW_TABLE: &str = r#"(module
  (table $max (export "t") 1 3 funcref)
  (table $open 1 externref)
  (func (export "grow_max") (param i32) (result i32)
    (table.grow $max (ref.null func) (local.get 0)))
  (func (export "grow_open") (param i32) (result i32)
    (table.grow $open (ref.null extern) (local.get 0)))
  (func (export "size_open") (result i32) (table.size $open)))"#;

/// `table.grow` past the declared maximum gives -1, as does growing a table without a
/// maximum past the room the host reserved for it; neither changes the size.
#[test]
fn table_grow_past_its_limit_fails_with_minus_one() {
    let m = wasm(GROW_TABLE);
    with_instance(&m, &mut [], 4, &mut no_imports, &mut |s, i, st| {
        assert_eq!(i32s(call(s, i, st, "grow_max", &[Value::I32(3)])), [-1]);
        assert_eq!(i32s(call(s, i, st, "grow_max", &[Value::I32(2)])), [1]);
        assert_eq!(i32s(call(s, i, st, "grow_max", &[Value::I32(1)])), [-1]);
        assert_eq!(i32s(call(s, i, st, "grow_max", &[Value::I32(0)])), [3]);
        // No maximum: minimum 1 plus a reserve of 4.
        assert_eq!(i32s(call(s, i, st, "grow_open", &[Value::I32(5)])), [-1]);
        assert_eq!(i32s(call(s, i, st, "grow_open", &[Value::I32(4)])), [1]);
        assert_eq!(i32s(call(s, i, st, "grow_open", &[Value::I32(1)])), [-1]);
        assert_eq!(i32s(call(s, i, st, "grow_open", &[Value::I32(-1)])), [-1]);
        assert_eq!(i32s(call(s, i, st, "size_open", &[])), [5]);
    })
    .unwrap();
}

// ---------------------------------------------------------------------------------------
// Empty and misaligned buffers
// ---------------------------------------------------------------------------------------

/// A stack buffer of 0 bytes, or one byte short when misaligned, is `BufferTooSmall`
/// naming the stack and the exact size that works.
#[test]
fn zero_sized_and_misaligned_stack_buffers() {
    let limits = Limits {
        max_call_depth: 8,
        value_stack_slots: 32,
        ..Limits::DEFAULT
    };
    let need = Stack::bytes_for(&limits);
    assert_eq!(need, (32 + 8 * 2) * 8);
    let empty: &mut [u8] = &mut [];
    // Aligning an empty slice's (dangling, possibly misaligned) address skips bytes too.
    let skipped = (8 - empty.as_ptr() as usize % 8) % 8;
    let e = Stack::new(empty, &limits).unwrap_err();
    assert_eq!(
        e.kind(),
        ErrorKind::BufferTooSmall {
            which: BufferKind::Stack,
            needed: (need + skipped) as u32,
            got: 0
        }
    );
    assert_eq!(e.category(), Category::Buffer);
    let mut words = vec![0u64; need / 8 + 1];
    for off in 0..8 {
        let skip = (8 - off) % 8;
        let buf = &mut bytes_of(&mut words)[off..];
        // Exactly enough works...
        Stack::new(&mut buf[..need + skip], &limits).unwrap();
        // ...one byte less reports what is needed at this address.
        let e = Stack::new(&mut buf[..need + skip - 1], &limits).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::BufferTooSmall {
                which: BufferKind::Stack,
                needed: (need + skip) as u32,
                got: (need + skip - 1) as u32
            },
            "offset {off}"
        );
    }
}

/// A call frame keeps a frame pointer in 24 bits: a stack of more than 2^24 value slots
/// is refused before any buffer is looked at; exactly 2^24 is only a matter of buffer.
#[test]
fn more_value_slots_than_a_frame_can_address() {
    let over = Limits {
        value_stack_slots: barewasm::exec::stack::MAX_VALUE_SLOTS + 1,
        ..Limits::DEFAULT
    };
    let e = Stack::new(&mut [0u8; 64], &over).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ImplementationLimit);
    let max = Limits {
        value_stack_slots: barewasm::exec::stack::MAX_VALUE_SLOTS,
        ..Limits::DEFAULT
    };
    let e = Stack::new(&mut [0u8; 64], &max).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::BufferTooSmall { .. }),
        "{e:?}"
    );
}

/// A call frame keeps its caller's instance slot in 16 bits: a store takes 65,536
/// instances, and refuses the next even with slots to spare.
#[test]
#[cfg_attr(miri, ignore = "65,537 instantiations take hours under Miri")]
fn more_instances_than_a_frame_can_address() {
    let m =
        wasm("(module (func (export \"f\") (result i32) call 1) (func (result i32) i32.const 7))");
    let (mut state, mut scratch) = (vec![0u64; 64], vec![0u64; 1 << 13]);
    let module = validated(&m, &mut state, &mut scratch);
    let max = barewasm::exec::store::MAX_INSTANCES;
    let mut slots: Vec<InstanceSlot<'_, '_>> = (0..max + 2).map(|_| InstanceSlot::EMPTY).collect();
    let mut arena = vec![0u64; 8];
    let mut store = Store::new(&mut slots, bytes_of(&mut arena));
    let mut last = None;
    for _ in 0..max {
        last = Some(
            store
                .instantiate(&module, None, &mut |_, _, _| None)
                .unwrap(),
        );
    }
    let e = store
        .instantiate(&module, None, &mut |_, _, _| None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ImplementationLimit);
    // The last instance still runs: its inner call returns through a frame that names
    // slot 65,535 as the caller.
    let mut buf = vec![0u64; 64];
    let limits = Limits {
        value_stack_slots: 16,
        max_call_depth: 4,
        ..Limits::DEFAULT
    };
    let mut stack = Stack::new(bytes_of(&mut buf), &limits).unwrap();
    let r = call(&mut store, last.unwrap(), &mut stack, "f", &[]);
    assert_eq!(i32s(r), [7]);
}

/// A module whose memory has a minimum of 1 page, given an empty buffer (or one byte
/// short of a page), fails to instantiate with `BufferTooSmall` for the memory.
#[test]
fn zero_sized_memory_buffer() {
    let m = wasm(GROW_MEMORY);
    for len in [0, 65535] {
        let mut mem = vec![0u8; len];
        let e = with_instance(&m, &mut mem, 0, &mut no_imports, &mut |_, _, _| {
            panic!("instantiated")
        })
        .unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::BufferTooSmall {
                which: BufferKind::Memory,
                needed: 65536,
                got: len as u32
            }
        );
    }
    // A memory of minimum 0 fits in nothing, and cannot grow there.
    let m = wasm(
        r#"(module (memory 0)
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"#,
    );
    with_instance(&m, &mut [], 0, &mut no_imports, &mut |s, i, st| {
        assert_eq!(i32s(call(s, i, st, "grow", &[Value::I32(1)])), [-1]);
        assert_eq!(i32s(call(s, i, st, "grow", &[Value::I32(0)])), [0]);
    })
    .unwrap();
}

/// Memory is byte-addressed: a buffer at any address works, and wasm sees the same bytes.
#[test]
fn misaligned_memory_buffer() {
    let m = wasm(
        r#"(module (memory (export "m") 1)
      (func (export "rw") (result i64)
        (i64.store (i32.const 3) (i64.const 0x0102030405060708))
        (i64.load (i32.const 3))))"#,
    );
    let mut words = vec![0u64; 65536 / 8 + 1];
    for off in 1..8 {
        let mem = &mut bytes_of(&mut words)[off..off + 65536];
        with_instance(&m, mem, 0, &mut no_imports, &mut |s, i, st| {
            let r = call(s, i, st, "rw", &[]).unwrap();
            assert_eq!(r, [Value::I64(0x0102030405060708)]);
            assert_eq!(s.memory(i).unwrap().data()[3], 8);
        })
        .unwrap();
    }
}

/// A store with no arena, or no instance slot, cannot take an instance: `BufferTooSmall`
/// for the state (the arena is part of it) and an implementation limit respectively.
#[test]
fn zero_sized_store_arena_and_no_slots() {
    let m = wasm(r#"(module (global (mut i32) (i32.const 0)) (func))"#);
    let (mut state, mut scratch) = (vec![0u64; 256], vec![0u64; 1 << 13]);
    let module = validated(&m, &mut state, &mut scratch);
    let need = Store::instance_arena_bytes(&module, 0);
    assert!(need > 0);
    let mut slots = [InstanceSlot::EMPTY];
    let mut store = Store::new(&mut slots, &mut []);
    let e = store
        .instantiate(&module, None, &mut |_, _, _| None)
        .unwrap_err();
    assert!(
        matches!(
            e.kind(),
            ErrorKind::BufferTooSmall { which: BufferKind::State, got: 0, needed } if needed > 0
        ),
        "{e:?}"
    );
    // A failed instantiation gives its slot back: with room, it succeeds afterwards.
    let mut arena = vec![0u64; need / 8];
    let mut slots = [InstanceSlot::EMPTY];
    let mut store = Store::new(&mut slots, bytes_of(&mut arena));
    store
        .instantiate(&module, None, &mut |_, _, _| None)
        .unwrap();
    assert_eq!(store.arena_used(), need);
    // No slot for a second instance.
    let e = store
        .instantiate(&module, None, &mut |_, _, _| None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ImplementationLimit);
    let mut no_slots: [InstanceSlot; 0] = [];
    let mut arena = vec![0u64; need / 8];
    let mut store = Store::new(&mut no_slots, bytes_of(&mut arena));
    let e = store
        .instantiate(&module, None, &mut |_, _, _| None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ImplementationLimit);
}

// ---------------------------------------------------------------------------------------
// Recursion
// ---------------------------------------------------------------------------------------

/// Endless recursion ends with `CallStackExhausted` (category exhaustion) when the call
/// depth runs out, and also when the value stack does first (a frame of many locals); the
/// same stack then runs the next call normally.
#[test]
fn recursion_until_stack_exhaustion() {
    let m = wasm(
        r#"(module
      (func $forever (export "forever") (call $forever))
      (func $wide (export "wide") (local i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64 i64)
        (call $wide))
      (func (export "ok") (result i32) (i32.const 7)))"#,
    );
    with_instance(&m, &mut [], 0, &mut no_imports, &mut |s, i, st| {
        // 64 frames, 1024 value slots: `forever` runs out of frames...
        let e = call(s, i, st, "forever", &[]).unwrap_err();
        assert_eq!(
            (e.kind(), e.category()),
            (ErrorKind::CallStackExhausted, Category::Exhausted)
        );
        assert_eq!(i32s(call(s, i, st, "ok", &[])), [7]);
        // ...`wide` (32 locals a frame) out of value slots after 32 frames.
        let e = call(s, i, st, "wide", &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CallStackExhausted);
        assert_eq!(i32s(call(s, i, st, "ok", &[])), [7]);
    })
    .unwrap();
}

fn table(elem: ValType, min: u64) -> TableType {
    TableType {
        elem,
        limits: Bounds { min, max: None },
    }
}

// ---------------------------------------------------------------------------------------
// Imports
// ---------------------------------------------------------------------------------------

const IMPORTS: &str = r#"(module
  (import "env" "f" (func (param i32) (result i32)))
  (import "env" "g" (global (mut i64)))
  (import "env" "t" (table 2 funcref))
  (import "host" "memory" (memory 1)))"#;

const I32_TO_I32: FuncType<'static> = FuncType {
    params: &[0x7f],
    results: &[0x7f],
};

/// Defines a host entity in a store, for offering as an import.
type Define = fn(&mut Store<'_, '_>) -> Extern<'static>;

/// Offers each import of [`IMPORTS`] as the right thing, except `wrong`, which is left
/// out (`None`) or replaced by what `bad` defines.
fn offer(
    wrong: &'static str,
    bad: Option<Define>,
) -> impl FnMut(&mut Store<'_, '_>, &str, &str, ExternKind) -> Option<Extern<'static>> {
    move |store, _, name, _| {
        if name == wrong {
            return bad.map(|b| b(store));
        }
        Some(match name {
            "f" => Extern::HostFunc(0, I32_TO_I32),
            "g" => store
                .define_global(
                    GlobalType {
                        ty: ValType::I64,
                        mutable: true,
                    },
                    Value::I64(0),
                )
                .unwrap(),
            "t" => store.define_table(table(ValType::FuncRef, 2), 2).unwrap(),
            _ => unreachable!("{name}"),
        })
    }
}

/// The offset of import `name` in [`IMPORTS`]'s binary: where its entry starts.
fn import_offset(m: &[u8], name: &str) -> usize {
    let entry = [b"\x03env\x01".as_slice(), name.as_bytes()].concat();
    m.windows(entry.len())
        .position(|w| w == entry)
        .expect("import present")
}

#[test]
fn all_imports_provided_instantiate() {
    let m = wasm(IMPORTS);
    with_instance(&m, &mut [], 0, &mut offer("", None), &mut |_, _, _| {}).unwrap();
}

#[test]
fn missing_imports_are_unknown_import() {
    let m = wasm(IMPORTS);
    for name in ["f", "g", "t"] {
        let e = with_instance(&m, &mut [], 0, &mut offer(name, None), &mut |_, _, _| {
            panic!("instantiated without `{name}`")
        })
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.category(), e.offset()),
            (
                ErrorKind::UnknownImport,
                Category::Unlinkable,
                import_offset(&m, name)
            ),
            "{name}"
        );
    }
}

#[test]
fn mistyped_imports_are_incompatible() {
    let m = wasm(IMPORTS);
    let cases: [(&str, Define); 7] = [
        // A function of another signature.
        ("f", |_| {
            Extern::HostFunc(
                0,
                FuncType {
                    params: &[0x7e],
                    results: &[0x7f],
                },
            )
        }),
        // Not a function at all.
        ("f", |s| {
            s.define_global(
                GlobalType {
                    ty: ValType::I32,
                    mutable: false,
                },
                Value::I32(0),
            )
            .unwrap()
        }),
        // A global of the right type but immutable, and one of another type.
        ("g", |s| {
            s.define_global(
                GlobalType {
                    ty: ValType::I64,
                    mutable: false,
                },
                Value::I64(0),
            )
            .unwrap()
        }),
        ("g", |s| {
            s.define_global(
                GlobalType {
                    ty: ValType::I32,
                    mutable: true,
                },
                Value::I32(0),
            )
            .unwrap()
        }),
        // A table too small, and one of the wrong element type.
        ("t", |s| {
            s.define_table(table(ValType::FuncRef, 1), 8).unwrap()
        }),
        ("t", |s| {
            s.define_table(table(ValType::ExternRef, 2), 2).unwrap()
        }),
        // A host function where a table is wanted.
        ("t", |_| Extern::HostFunc(0, I32_TO_I32)),
    ];
    for (name, bad) in cases {
        let e = with_instance(
            &m,
            &mut [],
            0,
            &mut offer(name, Some(bad)),
            &mut |_, _, _| panic!("instantiated with a mistyped `{name}`"),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.category(), e.offset()),
            (
                ErrorKind::IncompatibleImport,
                Category::Unlinkable,
                import_offset(&m, name)
            ),
            "{name}"
        );
    }
}

/// A host that answers with table or global addresses it never got from `define_*`
/// (`Extern::Table(n)` and `Extern::Global(n)` are plain numbers): the runtime checks
/// them against its arena, so each is incompatible, none a panic or a read outside it.
#[test]
fn made_up_table_and_global_addresses_are_incompatible() {
    let m = wasm(IMPORTS);
    let cases: [(&str, Define); 6] = [
        ("t", |_| Extern::Table(u32::MAX)),
        ("t", |_| Extern::Table(1 << 20)),
        // Inside the arena, but its last words: a table's four header words do not fit.
        ("t", |_| Extern::Table((1 << 10) - 2)),
        ("g", |_| Extern::Global(0)),
        ("g", |_| Extern::Global(u32::MAX)),
        ("g", |_| Extern::Global(1 << 20)),
    ];
    for (name, bad) in cases {
        let e = with_instance(
            &m,
            &mut [],
            0,
            &mut offer(name, Some(bad)),
            &mut |_, _, _| panic!("instantiated with a made-up `{name}`"),
        )
        .unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (ErrorKind::IncompatibleImport, import_offset(&m, name)),
            "{name}"
        );
    }
}

/// A memory import asking for more pages than the host memory has is incompatible.
#[test]
fn memory_import_larger_than_provided_is_incompatible() {
    let m = wasm(r#"(module (import "host" "memory" (memory 2)))"#);
    let e = with_instance(&m, &mut [], 0, &mut no_imports, &mut |_, _, _| {
        panic!("instantiated")
    })
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::IncompatibleImport);
}

// ---------------------------------------------------------------------------------------
// The side table and the state buffer
// ---------------------------------------------------------------------------------------

/// A module whose index tables fit the state buffer but whose side table does not gets
/// `BufferTooSmall` for the state, naming the full need (side table included), and then
/// validates in a buffer of exactly that size.
#[test]
fn side_table_that_does_not_fit_the_state_buffer() {
    let m = wasm(
        r#"(module (func (param i32) (result i32)
      (block (result i32)
        (br_if 0 (i32.const 1) (local.get 0))
        (drop)
        (br_table 0 0 0 0 (i32.const 2) (local.get 0)))))"#,
    );
    let (mut state, mut scratch) = (vec![0u64; 1024], vec![0u64; 1 << 13]);
    let module = validated(&m, &mut state, &mut scratch);
    let (full, side) = (
        module.state_bytes(),
        module.facts().side_entries as usize * 8,
    );
    // br_if: 1 entry; br_table with 3 labels and a default: 4.
    assert_eq!(side, 5 * 8);
    let index_tables = full - side;
    for len in [index_tables, full - 8] {
        let e = Module::new(
            &m,
            &mut bytes_of(&mut state)[..len],
            bytes_of(&mut scratch),
            &Limits::DEFAULT,
        )
        .unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::BufferTooSmall {
                which: BufferKind::State,
                needed: full as u32,
                got: len as u32
            }
        );
    }
    Module::new(
        &m,
        &mut bytes_of(&mut state)[..full],
        bytes_of(&mut scratch),
        &Limits::DEFAULT,
    )
    .unwrap();
}
