#!/usr/bin/env bash
# Executed x86-64 instructions per bench workload on barewasm (valgrind's callgrind):
# exact and repeatable whatever else the machine does, unlike wall time, so it is what
# interpreter tuning is measured by. The Cortex-M4 counts of the same workloads and n come
# from scripts/qemu.sh (the `bench` firmware image, "instructions: bench ...").
#
#   bench/insns.sh            one line per workload: name and instructions
#   bench/insns.sh --peers    the same workloads on barewasm (plain and prepared: side table
#                             stored, sequences fused), wasmi, Wasm3 and tinywasm through
#                             the bench binary (`--once`), each a run minus a run with n = 0
#                             (so load and translation drop out), with ratios to wasmi.
#                             About a minute. wasefire is left out: at 60-90x wasmi's time
#                             it would take most of an hour under callgrind.
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
WORKLOADS=("sha256 20" "crc32 40" "lzss 4" "json 40" "fft 25" "sort 3" "recursion 40" "coremark 20")
# Instructions callgrind counts for one command (its stderr summary line).
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'; }

if [ "${1:-}" = --peers ]; then
  (cd bench && cargo build --quiet --release --locked)
  bin=bench/target/release/barewasm-bench
  out=$(mktemp)
  for rt in wasmi barewasm "barewasm prepared" wasm3 tinywasm; do
    for w in "${WORKLOADS[@]}"; do
      read -r name n <<<"$w"
      # The two runs of a pair in parallel: this machine has two cores.
      full=$(mktemp); count "$bin" --once "$rt" "$name" "$n" >"$full" &
      zero=$(count "$bin" --once "$rt" "$name" 0); wait
      echo "${rt// /-} $name $(( $(cat "$full") - zero ))" | tee -a "$out" >&2
      rm -f "$full"
    done
  done
  python3 - "$out" <<'PY'
import math, sys
counts = {}
for line in open(sys.argv[1]):
    rt, w, c = line.split()
    counts[(rt, w)] = int(c)
workloads = list(dict.fromkeys(w for _, w in counts))
runtimes = list(dict.fromkeys(rt for rt, _ in counts))
print("| runtime | " + " | ".join(workloads) + " | geomean |")
print("|---|" + "--:|" * (len(workloads) + 1))
for rt in runtimes:
    ratios = [counts[(rt, w)] / counts[("wasmi", w)] for w in workloads]
    geo = math.exp(sum(map(math.log, ratios)) / len(ratios))
    cells = [f"{counts[(rt, w)] / 1e6:.1f} M ({r:.2f}x)" for w, r in zip(workloads, ratios)]
    print(f"| {rt} | " + " | ".join(cells) + f" | {geo:.2f}x |")
PY
  rm -f "$out"
  exit 0
fi

cargo build --quiet --release -p barewasm-cli
out=$(mktemp -d)
for w in "${WORKLOADS[@]}"; do
  read -r name n <<<"$w"
  valgrind --tool=callgrind --callgrind-out-file="$out/$name.out" \
    target/release/barewasm run guests/wasm/bench.wasm --invoke "$name" "$n" >/dev/null 2>"$out/$name.err"
  echo "$name $(sed -n 's/.*Collected : //p' "$out/$name.err")"
done
rm -rf "$out"
