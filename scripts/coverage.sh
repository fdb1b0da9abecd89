#!/usr/bin/env bash
# Line coverage of the runtime crate (crates/barewasm) under its own tests plus the CLI's
# spec-suite tests (which drive it through every WebAssembly 2.0 script) and its fused-
# opcode tests (the interpreter's fused arms: the spec scripts hold few of the sequences),
# measured with cargo-llvm-cov. Fails below the floor.
#
#   scripts/coverage.sh            # summary and the floor check
#   COVERAGE_HTML=1 scripts/coverage.sh   # also target/llvm-cov/html/index.html
#
# Installs what it needs: llvm-tools-preview and cargo-llvm-cov.
set -euo pipefail
cd "$(dirname "$0")/.."

# The floor, in percent of the runtime crate's lines. README.md states the figure.
floor=${COVERAGE_FLOOR:-93.0}

rustup component add llvm-tools-preview >/dev/null 2>&1 || rustup component add llvm-tools-preview
if ! cargo llvm-cov --version >/dev/null 2>&1; then
  cargo install --locked cargo-llvm-cov
fi

start=$(date +%s)
cargo llvm-cov clean --workspace
cargo llvm-cov --no-report -p barewasm
cargo llvm-cov --no-report -p barewasm-cli --test spec_exec --test spec_validation --test fused
if [ -n "${COVERAGE_HTML:-}" ]; then cargo llvm-cov report --html; fi
report=$(cargo llvm-cov report --summary-only)
# Columns: file, regions, missed, cover, functions, missed, executed, lines, missed, ...
# Paths are relative to crates/, so the runtime's files start with barewasm/src/.
echo "$report" | awk '$1 ~ /^barewasm\/src\// { print $1, $8, $9 }'
summary=$(echo "$report" | awk -v floor="$floor" '
  $1 ~ /^barewasm\/src\// { lines += $8; missed += $9 }
  END {
    if (lines == 0) { print "no runtime files in the report"; exit 2 }
    pct = 100 * (lines - missed) / lines
    printf "runtime line coverage: %.2f%% (%d of %d lines; floor %.1f%%)\n", pct, lines - missed, lines, floor
    exit (pct < floor) ? 1 : 0
  }') && ok=1 || ok=0
echo "$summary"
echo "coverage run: $(( $(date +%s) - start )) s"
if [ "$ok" != 1 ]; then
  echo "runtime line coverage is below the floor of ${floor}%" >&2
  exit 1
fi
