//! Writes the module a fuzz input stands for, to replay or inspect a finding:
//! `cargo run --example dump -- TARGET INPUT OUT.wasm` (also prints it as text).
//! Inputs that start with the wasm magic are modules already and are copied as they are.

use std::{env, fs, process};

use barewasm_fuzz::targets;

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let [target, input, out] = args.as_slice() else {
        eprintln!("usage: dump TARGET INPUT OUT.wasm");
        process::exit(2);
    };
    let data = fs::read(input).unwrap_or_else(|e| panic!("{input}: {e}"));
    let module = if data.starts_with(b"\0asm") {
        Some(data)
    } else {
        match target.as_str() {
            "validate_oracle" => targets::oracle_module(&data),
            "execute" => targets::execute_module(&data),
            "differential" => targets::differential_module(&data),
            _ => Some(data),
        }
    };
    let Some(module) = module else {
        eprintln!("{input}: wasm-smith makes no module of this input for {target}");
        process::exit(1);
    };
    fs::write(out, &module).unwrap_or_else(|e| panic!("{out}: {e}"));
    eprintln!("{} bytes to {out}", module.len());
    match wasmprinter::print_bytes(&module) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("(not printable: {e})"),
    }
}
