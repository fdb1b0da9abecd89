//! The Rust guest (`guests/wasm/demo.wasm`, built by rustc with its default wasm features)
//! runs on barewasm and on wasmi, the reference here, with identical results and output.
//!
//! Every exported function is called: those without parameters once, those with one
//! integer parameter with several arguments. Results compare by bits (so NaNs must match
//! exactly too), and so does everything the guest prints through `env.print`.

use std::path::PathBuf;

use barewasm::{Limits, Value};
use barewasm_cli::run::{run, Metering};

fn guest() -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../guests/wasm/demo.wasm");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs export `name` on wasmi; returns results as barewasm values and the printed bytes.
fn wasmi_run(bytes: &[u8], name: &str, args: &[Value]) -> RunResult {
    use wasmi::{Caller, Engine, Extern, Linker, Module, Store, Val};
    let engine = Engine::default();
    let module = Module::new(&engine, bytes).expect("wasmi accepts the guest");
    let mut store = Store::new(&engine, Vec::<u8>::new());
    let mut linker = Linker::new(&engine);
    linker
        .func_wrap(
            "env",
            "print",
            |mut caller: Caller<'_, Vec<u8>>, ptr: i32, len: i32| {
                let mem = caller
                    .get_export("memory")
                    .and_then(Extern::into_memory)
                    .expect("memory");
                let data = mem.data(&caller)[ptr as u32 as usize..][..len as u32 as usize].to_vec();
                caller.data_mut().extend_from_slice(&data);
            },
        )
        .unwrap();
    let instance = match linker.instantiate_and_start(&mut store, &module) {
        Ok(i) => i,
        Err(e) => return (Err(e.to_string()), Vec::new()),
    };
    let f = instance.get_func(&store, name).expect("export");
    let wargs: Vec<Val> = args
        .iter()
        .map(|a| match *a {
            Value::I32(v) => Val::I32(v),
            Value::I64(v) => Val::I64(v),
            Value::F32(b) => Val::F32(f32::from_bits(b).into()),
            Value::F64(b) => Val::F64(f64::from_bits(b).into()),
            _ => unreachable!("integer and float arguments only"),
        })
        .collect();
    let n = f.ty(&store).results().len();
    let mut out = vec![Val::I32(0); n];
    let r = f
        .call(&mut store, &wargs, &mut out)
        .map_err(|e| e.to_string())
        .map(|()| {
            out.iter()
                .map(|v| match v {
                    Val::I32(x) => Value::I32(*x),
                    Val::I64(x) => Value::I64(*x),
                    Val::F32(x) => Value::F32(x.to_bits()),
                    Val::F64(x) => Value::F64(x.to_bits()),
                    other => panic!("unexpected result {other:?}"),
                })
                .collect()
        });
    (r, store.into_data())
}

/// Runs export `name` on barewasm through the CLI's runner.
fn barewasm_run(bytes: &[u8], name: &str, args: &[Value]) -> RunResult {
    let text: Vec<String> = args
        .iter()
        .map(|a| match *a {
            Value::I32(v) => v.to_string(),
            Value::I64(v) => v.to_string(),
            _ => unreachable!("integer arguments only"),
        })
        .collect();
    let mut printed = Vec::new();
    let r = run(
        bytes,
        Some(name),
        &text,
        &Limits::DEFAULT,
        Metering::UNLIMITED,
        &mut printed,
    )
    .map(|ran| ran.results)
    .map_err(|e| format!("{e:?}"));
    (r, printed)
}

type RunResult = (Result<Vec<Value>, String>, Vec<u8>);

fn on_thread(
    stack: usize,
    bytes: &[u8],
    name: &str,
    args: &[Value],
    f: fn(&[u8], &str, &[Value]) -> RunResult,
) -> RunResult {
    let (bytes, name, args) = (bytes.to_vec(), name.to_string(), args.to_vec());
    std::thread::Builder::new()
        .stack_size(stack)
        .spawn(move || f(&bytes, &name, &args))
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn guest_matches_wasmi() {
    let bytes = guest();
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, &bytes[..]).unwrap();
    let mut compared = 0;
    for export in module.exports() {
        let Some(ty) = export.ty().func() else {
            continue;
        };
        let arg_sets: Vec<Vec<Value>> = match ty.params() {
            [] => vec![vec![]],
            [wasmi::ValType::I32] => [0, 1, 2, 7, 20, 100, 1000]
                .iter()
                .map(|&n| vec![Value::I32(n)])
                .collect(),
            [wasmi::ValType::I64] => [0i64, 1, 20].iter().map(|&n| vec![Value::I64(n)]).collect(),
            _ => continue,
        };
        for args in arg_sets {
            // wasmi recurses on the native stack for the guest's recursive fib and needs
            // more than a test thread's 2 MiB; barewasm gets a small native stack on purpose.
            let (want, want_out) = on_thread(64 << 20, &bytes, export.name(), &args, wasmi_run);
            let (got, got_out) = on_thread(256 << 10, &bytes, export.name(), &args, barewasm_run);
            match (&want, &got) {
                (Ok(w), Ok(g)) => assert_eq!(g, w, "{}({args:?})", export.name()),
                // Both trap: the kinds are named differently; that both trap is what counts.
                (Err(_), Err(_)) => {}
                _ => panic!(
                    "{}({args:?}): wasmi {want:?}, barewasm {got:?}",
                    export.name()
                ),
            }
            assert_eq!(
                String::from_utf8_lossy(&got_out),
                String::from_utf8_lossy(&want_out),
                "{}({args:?}) printed differently",
                export.name()
            );
            compared += 1;
        }
    }
    println!("{compared} calls compared");
    assert!(
        compared >= 5,
        "the guest should export several functions, compared {compared}"
    );
}
