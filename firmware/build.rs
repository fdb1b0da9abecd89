//! Build script: the linker script, the wasm programs and the spec-test blob.
//!
//! - `memory.x` goes where cortex-m-rt's `link.x` includes it from.
//! - Every `wat/*.wat` is converted to `$OUT_DIR/<name>.wasm`; the images `include_bytes!`
//!   them, so they stay in flash (.rodata) and are executed in place.
//! - `../guests/wasm/demo.wasm` (the Rust-compiled guest) and `bench.wasm` (the benchmark
//!   workloads) are copied to `$OUT_DIR`; if one does not exist yet, an empty file is
//!   written and the image using it reports it missing. `bench.prepared.wasm` is
//!   `bench.wasm` as `barewasm prepare` writes it.
//! - `BAREWASM_SPEC_BLOB` names a blob made by `spec-pack`; the `spec` image embeds it (an
//!   empty blob without it).

use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("manifest dir"));

    // The Cortex-M0 build leaves out what ARMv6-M lacks (fault status registers).
    println!("cargo::rustc-check-cfg=cfg(armv6m)");
    if env::var("TARGET").is_ok_and(|t| t.starts_with("thumbv6m")) {
        println!("cargo::rustc-cfg=armv6m");
    }

    fs::copy(manifest.join("memory.x"), out.join("memory.x")).expect("copy memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");

    println!("cargo:rerun-if-changed=wat");
    for entry in fs::read_dir(manifest.join("wat")).expect("wat/ directory") {
        let path = entry.expect("wat entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("wat") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let wasm = wat::parse_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let name = path.file_stem().expect("file name");
        fs::write(out.join(name).with_extension("wasm"), wasm).expect("write wasm");
    }

    for guest in ["demo", "bench"] {
        let wasm = manifest.join(format!("../guests/wasm/{guest}.wasm"));
        println!("cargo:rerun-if-changed={}", wasm.display());
        copy_or_empty(&wasm, &out.join(format!("{guest}.wasm")));
    }
    // The bench workloads also as `barewasm prepare` writes them (side table in flash,
    // sequences fused). The bytes do not depend on the limits, and the default ones are
    // wider than the image's, which its own validation applies.
    let bench = fs::read(out.join("bench.wasm")).expect("bench.wasm");
    let prepared = match bench.is_empty() {
        true => Vec::new(),
        false => barewasm_cli::prepare::prepare(&bench, &barewasm::Limits::DEFAULT)
            .unwrap_or_else(|e| panic!("preparing bench.wasm: {e}")),
    };
    fs::write(out.join("bench.prepared.wasm"), prepared).expect("write bench.prepared.wasm");

    println!("cargo:rerun-if-env-changed=BAREWASM_SPEC_BLOB");
    match env::var_os("BAREWASM_SPEC_BLOB") {
        Some(blob) => {
            let blob = PathBuf::from(blob);
            println!("cargo:rerun-if-changed={}", blob.display());
            fs::copy(&blob, out.join("spec.bin"))
                .unwrap_or_else(|e| panic!("BAREWASM_SPEC_BLOB={}: {e}", blob.display()));
        }
        None => fs::write(out.join("spec.bin"), b"").expect("write empty blob"),
    }
}

fn copy_or_empty(from: &Path, to: &Path) {
    match fs::read(from) {
        Ok(bytes) => fs::write(to, bytes).expect("copy"),
        Err(_) => fs::write(to, b"").expect("write empty file"),
    }
}
