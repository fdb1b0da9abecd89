#!/usr/bin/env bash
# barewasm on an emulated Cortex-M4 (QEMU mps2-an386) with 96 KiB of RAM enforced by the MPU:
# builds the firmware images, the spec blobs and the instruction-count plugin, runs every
# image under QEMU with a timeout, and fails on any failure. Prints the figures the README
# quotes. Installs qemu-system-arm (apt) and a C compiler if they are missing.
#
#   scripts/qemu.sh          everything
#   QEMU_TIMEOUT=600 ...     seconds per QEMU run (default 300)
set -euo pipefail
cd "$(dirname "$0")/../firmware"

step() { printf '\n== %s [%d s]\n' "$*" "$SECONDS"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
timeout_s=${QEMU_TIMEOUT:-300}
target=thumbv7em-none-eabihf
images=target/$target/release
out=target/qemu
failures=0

step "tools: qemu-system-arm, a C compiler, the Cortex-M targets"
missing=()
command -v qemu-system-arm >/dev/null || missing+=(qemu-system-arm)
command -v cc >/dev/null || missing+=(gcc)
command -v llvm-objdump >/dev/null && command -v llvm-addr2line >/dev/null || missing+=(llvm)
if [ ${#missing[@]} -gt 0 ]; then
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
qemu-system-arm --version | head -n1
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi >/dev/null
rustup component add rustfmt clippy >/dev/null 2>&1 || true
mkdir -p "$out"

step "format and lints (firmware, spec-pack)"
cargo fmt --check
(cd spec-pack && cargo fmt --check && cargo clippy --quiet --release -- -D warnings)

step "instruction-count plugin"
cc -O2 -shared -fPIC -o "$out/libinsncount.so" qemu-insncount/insncount.c

step "spec blobs (spec-pack)"
(cd spec-pack && cargo run --quiet --release -- pack "../$out/spec") | tee "$out/spec-pack.log"
blobs=("$out"/spec/spec-*.bin)

step "build: every image for Cortex-M4F, and for Cortex-M0 (built, not run)"
# The `spec` image embeds the blob named by BAREWASM_SPEC_BLOB; the first one is built with
# the rest of the images, any further ones one by one below.
export BAREWASM_SPEC_BLOB=$PWD/${blobs[0]}
cargo clippy --quiet --release -- -D warnings
cargo build --quiet --release
cp "$images/spec" "$out/spec-1.elf"
for ((i = 1; i < ${#blobs[@]}; i++)); do
  BAREWASM_SPEC_BLOB=$PWD/${blobs[$i]} cargo build --quiet --release --bin spec
  cp "$images/spec" "$out/spec-$((i + 1)).elf"
done
cargo clippy --quiet --release --target thumbv6m-none-eabi -- -D warnings
cargo build --quiet --release --target thumbv6m-none-eabi
# The minimal image on a runtime without float instructions, on one without the `speed`
# feature, and on the smallest (none of `float`, `speed`, `messages`), all run below; and
# the flash figures at opt-level "z" as well as the release profile's "s": default
# features, without `float`, without `speed`, the smallest, and (at "z") without `messages`.
nofloat=target/nofloat/$target/release
nospeed=target/nospeed/$target/release
smallest=target/smallest/$target/release
cargo clippy --quiet --release --no-default-features --features speed,messages --bin minimal --target-dir target/nofloat -- -D warnings
cargo build --quiet --release --no-default-features --features speed,messages --bin minimal --bin baseline --target-dir target/nofloat
cargo clippy --quiet --release --no-default-features --features float,messages --bin minimal --bin bench --target-dir target/nospeed -- -D warnings
cargo build --quiet --release --no-default-features --features float,messages --bin minimal --bin baseline --bin bench --target-dir target/nospeed
cargo clippy --quiet --release --no-default-features --bin minimal --bin programs --target-dir target/smallest -- -D warnings
cargo build --quiet --release --no-default-features --bin minimal --bin baseline --bin programs --target-dir target/smallest
export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
cargo build --quiet --release --bin minimal --bin baseline --target-dir target/flash-z
cargo build --quiet --release --no-default-features --features speed,messages --bin minimal --bin baseline \
  --target-dir target/flash-z-nofloat
cargo build --quiet --release --no-default-features --features float,messages --bin minimal --bin baseline \
  --target-dir target/flash-z-nospeed
cargo build --quiet --release --no-default-features --features float,speed --bin minimal --bin baseline \
  --target-dir target/flash-z-nomessages
cargo build --quiet --release --no-default-features --bin minimal --bin baseline \
  --target-dir target/flash-z-smallest
unset CARGO_PROFILE_RELEASE_OPT_LEVEL

step "build: the minimal image's module on wasmi, tinywasm and wasefire (flash comparison)"
# firmware/peers/: the same board support and host functions, each peer with the heap it
# needs; their flash is measured against `alloc-baseline` (the baseline plus that heap).
peers=peers/target
(
  cd peers
  cargo fmt --check
  cargo clippy --quiet --release -- -D warnings
  cargo build --quiet --release
  cargo build --quiet --release --no-default-features --bin wasefire --bin alloc-baseline \
    --target-dir target/nofloat
  export CARGO_PROFILE_RELEASE_OPT_LEVEL=z
  cargo build --quiet --release --target-dir target/z
  cargo build --quiet --release --no-default-features --bin wasefire --bin alloc-baseline \
    --target-dir target/z-nofloat
)

# qemu ELF EXPECTED_EXIT NAME [ARGS...]: runs an image, prints its output and the executed
# instruction count (last line "insns: N"), and records a failure on any other exit code.
qemu() {
  local elf=$1 want=$2 name=$3 args=arg=$3
  shift 3
  for a in "$@"; do args+=",arg=$a"; done
  local log="$out/$name${1:+-$1}.log" rc=0
  timeout "$timeout_s" qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
    -monitor none -serial none -semihosting-config "enable=on,target=native,$args" \
    -plugin "$out/libinsncount.so" -d plugin -kernel "$elf" >"$log" 2>&1 || rc=$?
  sed 's/^/  | /' "$log" | grep -v '^  | insns:' || true
  if [ "$rc" -eq 124 ]; then
    echo "FAILED: $name $*: timed out after ${timeout_s}s (a hang or an unhandled fault)"
    failures=$((failures + 1))
  elif [ "$rc" -ne "$want" ]; then
    echo "FAILED: $name $*: exit code $rc, expected $want"
    failures=$((failures + 1))
  fi
}
insns() { sed -n 's/^insns: //p' "$out/$1.log"; }

step "baseline and minimal images"
qemu "$images/baseline" 0 baseline
qemu "$images/minimal" 0 minimal
qemu "$nofloat/minimal" 0 minimal nofloat
qemu "$nospeed/minimal" 0 minimal nospeed
qemu "$smallest/minimal" 0 minimal smallest
for p in alloc-baseline wasmi tinywasm wasefire; do
  qemu "$peers/$target/release/$p" 0 "peer-$p"
done
qemu "$peers/nofloat/$target/release/wasefire" 0 peer-wasefire nofloat

step "programs: compute kernel, Rust guest, host calls, traps (one QEMU run each)"
# The programs without floats on the smallest runtime first (their logs are overwritten
# by the runs below, whose counts the figures take); `traps` prints its errors as codes.
for p in host traps; do
  qemu "$smallest/programs" 0 programs "$p"
done
qemu "$images/programs" 0 programs none
for p in kernel guest host traps; do
  qemu "$images/programs" 0 programs "$p"
done

step "time slicing: an endless loop and the Rust guest share the core in fuel slices"
qemu "$images/timeslice" 0 timeslice

step "benchmark workloads (guests/wasm/bench.wasm), plain and prepared, results checked against the host CLI"
# The host benchmark's n over 10 (bench/src/main.rs); the image runs one per QEMU run, and
# `load` only validates and instantiates, for the instruction-count baseline. Named
# `bench-prepared`, it runs the module `barewasm prepare` writes (sequences fused).
bench_workloads=("sha256 20" "crc32 40" "lzss 4" "json 40" "fft 25" "sort 3" "recursion 40" "coremark 20")
# bench_run IMAGE NAME WORKLOAD N: runs a workload (NAME bench or bench-prepared) and checks
# its result against the host CLI's.
bench_run() {
  qemu "$1" 0 "$2" "$3" "$4"
  local want got
  want=$(cd .. && cargo run --quiet -p barewasm-cli -- run guests/wasm/bench.wasm --invoke "$3" "$4")
  got=$(sed -n "s/^bench: $3($4) = //p" "$out/$2-$3.log")
  if [ "$got" != "$want" ]; then
    echo "FAILED: $1 $2 $3($4): '$got' on the target, '$want' on the host"
    failures=$((failures + 1))
  fi
}
# First the prepared module on the image without `speed`, whose interpreter runs each fused
# sequence as its instructions (logs overwritten by the runs below once checked).
bench_run "$nospeed/bench" bench-prepared sha256 20
bench_run "$nospeed/bench" bench-prepared coremark 20
for b in bench bench-prepared; do
  qemu "$images/bench" 0 "$b" load
  for w in "${bench_workloads[@]}"; do
    read -r name n <<<"$w"
    bench_run "$images/bench" "$b" "$name" "$n"
  done
done

step "f64 and 64-bit division on the integer unit (wat/f64ops.wat): each operation's loop, checked against the host CLI"
# Each loop runs with n = 1 and n = 1001: the difference is 1,000 iterations (figures).
f64_ops=(nop add mul div sqrt conv cmp floor trunc promote i64div i64div17 i64div10)
for op in "${f64_ops[@]}"; do
  for n in 1 1001; do
    qemu "$images/f64ops" 0 "f64ops-$n" "$op" "$n"
  done
  want=$(cd .. && cargo run --quiet -p barewasm-cli -- run firmware/wat/f64ops.wat --invoke "$op" 1001)
  got=$(sed -n "s/^f64ops: $op(1001) = //p" "$out/f64ops-1001-$op.log")
  if [ "$got" != "$want" ]; then
    echo "FAILED: f64ops $op(1001): '$got' on the target, '$want' on the host"
    failures=$((failures + 1))
  fi
done

step "MPU: each access outside the 96 KiB must fault"
# A HardFault handler reports the violation and exits 3. Overflowing the native stack
# leaves the core no stack to take the fault on: it locks up, which QEMU reports
# ("Lockup") by aborting (134). A normal return exits 1 and fails.
for mode in read-above write-above write-flash exec-ram; do
  qemu "$images/mpu-violation" 3 mpu-violation "$mode"
done
qemu "$images/mpu-violation" 134 mpu-violation stack-overflow
if ! grep -q 'Lockup' "$out/mpu-violation-stack-overflow.log"; then
  echo "FAILED: mpu-violation stack-overflow: QEMU did not report a lockup"
  failures=$((failures + 1))
fi

step "spec scripts on the target"
for ((i = 1; i <= ${#blobs[@]}; i++)); do
  qemu "$out/spec-$i.elf" 0 "spec-$i"
done

step "panic sites: none in the runtime's code but the one marked PANIC-SITE"
# scripts/panic-sites.py: every call to a core panic entry point, by the source line of
# its check; fails if one is the runtime's and not marked.
for image in "$images/minimal" "target/flash-z/$target/release/minimal" "$images/programs" \
  "$nospeed/minimal" "$smallest/minimal" "target/flash-z-smallest/$target/release/minimal"; do
  python3 ../scripts/panic-sites.py "$image" || failures=$((failures + 1))
done

step "figures"
size() { (cd spec-pack && cargo run --quiet --release -- size "../$1") | cut -d' ' -f1; }
hello=$(find "$images/build" -name hello.wasm -path '*barewasm-firmware-*' -printf '%s\n' | head -n1)
base_flash=$(size "$images/baseline")
min_flash=$(size "$images/minimal")
echo "flash: baseline image $base_flash B, minimal image $min_flash B (its module: $hello B)"
echo "flash: runtime (minimal - baseline - module) $((min_flash - base_flash - hello)) B"
runtime() { echo $(($(size "$1/minimal") - $(size "$1/baseline") - hello)); }
echo "flash: runtime without float $(runtime "$nofloat") B, without speed $(runtime "$nospeed") B," \
  "smallest (without float, speed and messages) $(runtime "$smallest") B"
echo "flash: runtime at opt-level z $(runtime "target/flash-z/$target/release") B," \
  "without float $(runtime "target/flash-z-nofloat/$target/release") B," \
  "without speed $(runtime "target/flash-z-nospeed/$target/release") B," \
  "without messages $(runtime "target/flash-z-nomessages/$target/release") B," \
  "smallest $(runtime "target/flash-z-smallest/$target/release") B"
# A peer's runtime: its image - alloc-baseline - its module (wasefire's has its side table).
peer_module() { find "$peers/$target/release/build" -name "$1" -path '*barewasm-peer-firmware-*' -printf '%s\n' | head -n1; }
peer() { echo $(($(size "$1/$2") - $(size "$1/alloc-baseline") - $(peer_module "$3"))); }
echo "flash: alloc-baseline (baseline + heap allocator) $(size "$peers/$target/release/alloc-baseline") B at s"
for p in wasmi tinywasm wasefire; do
  m=hello.wasm; [ "$p" = wasefire ] && m=hello.wasefire.wasm
  echo "flash: peer $p $(peer "$peers/$target/release" "$p" "$m") B at s, $(peer "$peers/z/$target/release" "$p" "$m") B at z"
done
echo "flash: peer wasefire without float $(peer "$peers/nofloat/$target/release" wasefire hello.wasefire.wasm) B at s," \
  "$(peer "$peers/z-nofloat/$target/release" wasefire hello.wasefire.wasm) B at z"
echo "flash: programs image $(size "$images/programs") B, spec image $(size "$out/spec-1.elf") B"
# Where the runtime's flash at opt-level z goes, by layer (the module's bytes are in .rodata).
python3 ../scripts/flash-breakdown.py "target/flash-z/$target/release/minimal" \
  "target/flash-z/$target/release/baseline" | sed 's/^/flash breakdown at z: /'

boot=$(insns programs-none)
for p in kernel guest host traps; do
  grep '^FIGURES' "$out/programs-$p.log" || true
  echo "instructions: $p $(($(insns "programs-$p") - boot)) (run minus boot-only run, $boot)"
done
for b in bench bench-prepared; do
  load=$(insns "$b-load")
  for w in "${bench_workloads[@]}"; do
    read -r name n <<<"$w"
    echo "instructions: $b $name($n) $(($(insns "$b-$name") - load)) (run minus load-only run, $load)"
  done
done
for op in "${f64_ops[@]}"; do
  echo "instructions: f64ops $op $((($(insns "f64ops-1001-$op") - $(insns "f64ops-1-$op")) / 1000)) per iteration"
done
grep '^timeslice:' "$out/timeslice.log" || true
echo "instructions: timeslice $(($(insns timeslice) - boot)) (run minus boot-only run)"
for ((i = 1; i <= ${#blobs[@]}; i++)); do
  grep '^spec:\|^FIGURES' "$out/spec-$i.log" || true
  echo "instructions: spec-$i $(insns "spec-$i")"
done
grep '^excluded' "$out/spec-pack.log" || true

if [ "$failures" -ne 0 ]; then
  printf '\n%s QEMU run(s) FAILED\n' "$failures"
  exit 1
fi
printf '\nall QEMU runs passed\n'
