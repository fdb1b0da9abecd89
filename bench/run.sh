#!/usr/bin/env bash
# Benchmarks barewasm against wasmi, wasm3, tinywasm and wasefire on guests/wasm/bench.wasm.
#
#   bench/run.sh            full run: regenerates bench/results.md, bench/results.svg and
#                           the tables in README.md (between its bench markers)
#   bench/run.sh --quick    tiny iteration counts: only checks every runtime agrees (CI)
#
# wasm3's Rust bindings are generated with bindgen at build time, which needs libclang:
# installed with apt if missing (as qemu.sh does for QEMU), along with a C compiler.
set -euo pipefail
cd "$(dirname "$0")"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
missing=()
command -v cc >/dev/null || missing+=(gcc)
if ! ls /usr/lib/llvm-*/lib/libclang.so* /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1; then
  missing+=(libclang-dev)
fi
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Timings want an optimized build; the quick check only compares results and builds faster
# unoptimized (profile `quick` in Cargo.toml).
profile=release
for arg in "$@"; do
  if [ "$arg" = --quick ]; then profile=quick; fi
done
exec cargo run --profile "$profile" --locked --quiet -- "$@"
