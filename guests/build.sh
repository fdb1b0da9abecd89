#!/usr/bin/env bash
# Builds the guest programs and copies each module to guests/wasm/<name>.wasm, the files
# that are committed and used by the tests and the README. Safe to rerun.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target=wasm32-unknown-unknown
guests=(demo bench)

# Each guest's .cargo/config.toml carries its link flags; these variables would
# silently replace them.
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS

mkdir -p "$here/wasm"
for guest in "${guests[@]}"; do
  cd "$here/$guest"
  # Inside the guest directory rustup uses its pinned toolchain (rust-toolchain.toml).
  if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target"
  fi
  cargo build --release --locked --target "$target"
  cp "target/$target/release/$guest.wasm" "$here/wasm/$guest.wasm"
  echo "guests/wasm/$guest.wasm: $(wc -c <"$here/wasm/$guest.wasm") bytes"
done
