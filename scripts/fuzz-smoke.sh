#!/usr/bin/env bash
# Smoke run of every fuzz target (fuzz/, cargo-fuzz on nightly): the committed seeds and
# regressions replay first, then libFuzzer explores for FUZZ_SECONDS (default 45) each.
# A finding fails the script and leaves the input in fuzz/artifacts/TARGET/.
#
#   FUZZ_SECONDS=600 scripts/fuzz-smoke.sh              # longer
#   FUZZ_TARGETS="differential" scripts/fuzz-smoke.sh   # one target
#   FUZZ_SEED=7 scripts/fuzz-smoke.sh                   # other mutations (default seed 1)
#
# The seed is fixed so that a run, and any finding it makes, can be repeated: with the
# same binary and corpus libFuzzer mutates in the same order, and the time limit only
# decides how far along that sequence a run gets.
#
# Installs what it needs: the nightly toolchain and cargo-fuzz.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${FUZZ_SECONDS:-45}
seed=${FUZZ_SEED:-1}
targets=${FUZZ_TARGETS:-"decode_validate validate_oracle execute differential"}

rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install --locked cargo-fuzz
fi

# No sanitizer: the runtime's only `unsafe` reads (exec::unchecked) each carry a
# debug assertion of their bounds, which this build keeps on, so AddressSanitizer would
# watch nothing more, and without it builds and runs are several times faster. Panics,
# debug assertions and overflow checks (on in fuzz/Cargo.toml's release profile) abort.
flags=(--sanitizer none --release)
start=$(date +%s)
cargo +nightly fuzz build "${flags[@]}"
echo "fuzz build: $(( $(date +%s) - start )) s"

for t in $targets; do
  work=$(mktemp -d)
  inputs=(corpus/"$t")
  if [ -d regressions/"$t" ]; then inputs+=(regressions/"$t"); fi
  echo "== $t: ${seconds} s"
  # New inputs go to the scratch directory `work`; the committed seeds stay as they are.
  log="$work.log"
  status=0
  cargo +nightly fuzz run "${flags[@]}" "$t" "$work" "${inputs[@]}" -- \
    -seed="$seed" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1 || status=$?
  grep -aE '^(stat::number_of_executed_units|stat::average_exec_per_sec|Done )' "$log" || true
  # Disagreements the differential target's tie-breaker settled as wasmi 2 bugs.
  settled=$(grep -ac '^differential: wasmi 2 bug' "$log" || true)
  if [ "${settled:-0}" -gt 0 ]; then echo "wasmi 2 bugs settled by the tie-breaker: $settled"; fi
  if [ "$status" -ne 0 ]; then tail -n 60 "$log" >&2; fi
  rm -f "$log"
  rm -rf "$work"
  if [ "$status" -ne 0 ]; then
    echo "fuzz target $t found a crash (exit $status): see fuzz/artifacts/$t/" >&2
    exit 1
  fi
done
echo "fuzz smoke run: $(( $(date +%s) - start )) s"
