#!/usr/bin/env bash
# Executed x86-64 instructions per bench workload on barewasm (valgrind's callgrind):
# exact and repeatable whatever else the machine does, unlike wall time, so it is what
# interpreter tuning is measured by. The Cortex-M4 counts of the same workloads and n come
# from scripts/qemu.sh (the `bench` firmware image, "instructions: bench ...").
#
#   bench/insns.sh            one line per workload: name and instructions
#
# Runs the release CLI (`barewasm run`) at a tenth of the benchmark's n; the counts include
# the CLI's start-up and one validation of the module (about 3 M instructions). Installs
# valgrind with apt if it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v valgrind >/dev/null; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi
cargo build --quiet --release -p barewasm-cli
out=$(mktemp -d)
for w in "sha256 20" "crc32 40" "lzss 4" "json 40" "fft 25" "sort 3" "recursion 40" "coremark 20"; do
  read -r name n <<<"$w"
  valgrind --tool=callgrind --callgrind-out-file="$out/$name.out" \
    target/release/barewasm run guests/wasm/bench.wasm --invoke "$name" "$n" >/dev/null 2>"$out/$name.err"
  echo "$name $(sed -n 's/.*Collected : //p' "$out/$name.err")"
done
rm -rf "$out"
