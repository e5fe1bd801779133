#!/usr/bin/env bash
# Prints the figures docs/architecture.md quotes for the hashbrown decision:
# host lookup timings (ratios in one run) and the Cortex-M33 `.text` each candidate links.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${TMPDIR:-/tmp}/fireball-map-choice}"
cargo run --quiet --release --bin host
for candidate in vec hash; do
    cargo build --quiet --release --target thumbv8m.main-none-eabihf \
        --example thumb_size --features "$candidate"
    elf="$CARGO_TARGET_DIR/thumbv8m.main-none-eabihf/release/examples/thumb_size"
    text=$(size -A "$elf" | awk '$1 == ".text" { print $2 }')
    echo "Cortex-M33, $candidate: .text $text B; QEMU mps2-an505 -icount shift=0:"
    qemu-system-arm -M mps2-an505 -cpu cortex-m33 -icount shift=0 -nographic \
        -semihosting-config enable=on,target=native -kernel "$elf"
done
