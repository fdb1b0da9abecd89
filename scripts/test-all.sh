#!/usr/bin/env bash
# The whole test suite: what CI runs and what a newcomer runs. Installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step says how long the run has taken so far (CI must stay under 30 minutes).
step() { printf '\n== %s [%d s]\n' "$*" "$SECONDS"; }

step "toolchain: no_std targets, rustfmt, clippy"
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi >/dev/null
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "lock files current (the builds below pass --locked)"
for lock in $(git ls-files '*Cargo.lock'); do
  (cd "$(dirname "$lock")" && cargo metadata --locked --format-version 1 >/dev/null) \
    || { echo "$lock is out of date: run cargo update -w in $(dirname "$lock")" >&2; exit 1; }
done

step "format, lints, docs"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "runtime builds for Cortex-M4F and Cortex-M0 without an allocator"
for target in thumbv7em-none-eabihf thumbv6m-none-eabi; do
  cargo build --quiet -p barewasm --target "$target" --release
  cargo build --quiet -p barewasm --target "$target" --release --no-default-features
done
# The runtime's dependency graph must stay allocation-free: only these crates, and no
# `alloc`-enabling feature on any of them.
deps=$(cargo tree -p barewasm --target thumbv7em-none-eabihf -e normal,build --prefix none \
  | sed 's/ (.*//; s/ v[0-9].*//' | sort -u | tr '\n' ' ')
if [ "$deps" != "barewasm bytemuck " ]; then
  echo "unexpected runtime dependencies: $deps" >&2; exit 1
fi
if cargo tree -p barewasm --target thumbv7em-none-eabihf -e features,normal,build --prefix none | grep -Ei 'feature "(alloc|std|extern_crate_alloc)"'; then
  echo "a runtime dependency enables alloc/std" >&2; exit 1
fi
if grep -rnE 'extern crate alloc|alloc::' crates/barewasm/src; then
  echo "the runtime names the alloc crate" >&2; exit 1
fi

step "tests (unit, spec suite, hostile input, CLI)"
cargo test --workspace

step "tests without the float feature (float instructions rejected, the rest unchanged)"
# The runtime's own tests, and the spec suite, where each module rejected for a float
# instruction is skipped with that reason. Doctests are left out: the guide's examples
# run the demo guest, which computes in floats. The runtime's tests run without `speed`
# and `messages` as well (errors display as codes); the CLI's turn `messages` back on.
cargo clippy --quiet -p barewasm -p barewasm-cli --no-default-features --all-targets -- -D warnings
cargo test --quiet -p barewasm --no-default-features --lib --tests
cargo test --quiet -p barewasm-cli --no-default-features --test spec_exec spec_suite_execution

step "tests without the speed feature (fused sequences run as their instructions, same results and fuel)"
cargo clippy --quiet -p barewasm -p barewasm-cli --no-default-features --features float --all-targets -- -D warnings
cargo test --quiet -p barewasm --no-default-features --features float --lib --tests
cargo test --quiet -p barewasm-cli --no-default-features --features float --test fused --test prepared
cargo test --quiet -p barewasm-cli --no-default-features --features float --test spec_exec spec_suite_prepared

step "benchmarks, quick check: each workload gives the same result on barewasm, wasmi, Wasm3, tinywasm and wasefire"
(cd bench && cargo fmt --check)
./bench/run.sh --quick

step "firmware on an emulated Cortex-M4 (QEMU): programs, MPU enforcement, spec suite"
./scripts/qemu.sh

step "coverage: runtime line coverage above its floor (scripts/coverage.sh)"
./scripts/coverage.sh

# Miri and the fuzz smoke run each keep one core busy, so they run side by side (about
# five minutes less than one after the other on a 2-core machine). The fuzz output is
# held back and printed after Miri's. Nightly is installed first so that the two scripts
# do not both install it at once.
step "Miri: runtime unit tests, hostile execution tests, a spec script (scripts/miri.sh); alongside it, fuzzing: every target for 45 s (scripts/fuzz-smoke.sh)"
rustup toolchain install nightly --profile minimal --component miri,rust-src >/dev/null 2>&1 \
  || rustup toolchain install nightly --profile minimal --component miri,rust-src
fuzz_log=$(mktemp)
./scripts/fuzz-smoke.sh >"$fuzz_log" 2>&1 &
fuzz_pid=$!
trap 'kill "$fuzz_pid" 2>/dev/null || true' EXIT
miri_status=0
./scripts/miri.sh || miri_status=$?
step "Miri finished (exit $miri_status); waiting for the fuzz smoke run"
fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?
trap - EXIT
cat "$fuzz_log"
rm -f "$fuzz_log"
if [ "$miri_status" -ne 0 ]; then echo "Miri failed (exit $miri_status)" >&2; exit 1; fi
if [ "$fuzz_status" -ne 0 ]; then echo "the fuzz smoke run failed (exit $fuzz_status)" >&2; exit 1; fi

step "all passed"
