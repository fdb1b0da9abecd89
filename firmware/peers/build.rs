//! Build script: the linker script, and the `minimal` image's module (`../wat/hello.wat`)
//! for the peers.
//!
//! The peers do not implement the custom-page-sizes proposal, so the module's 256-byte
//! memory (`(pagesize 1)`) becomes one 64 KiB page; nothing else changes. wasefire's side
//! table is computed here, on the host, as the bench does.

use std::path::PathBuf;
use std::{env, fs};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir"));
    fs::copy(manifest.join("../memory.x"), out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=../memory.x");

    let wat_path = manifest.join("../wat/hello.wat");
    println!("cargo:rerun-if-changed={}", wat_path.display());
    let text = fs::read_to_string(&wat_path).expect("read hello.wat");
    let small = r#"(memory (export "memory") 256 256 (pagesize 1))"#;
    assert!(text.contains(small), "hello.wat no longer declares {small}");
    let text = text.replace(small, r#"(memory (export "memory") 1 1)"#);
    let wasm = wat::parse_str(&text).expect("hello.wat parses");
    fs::write(out.join("hello.wasm"), &wasm).expect("write hello.wasm");
    let prepared = wasefire_interpreter::prepare(&wasm).expect("wasefire prepares hello.wasm");
    fs::write(out.join("hello.wasefire.wasm"), prepared).expect("write prepared module");
}
