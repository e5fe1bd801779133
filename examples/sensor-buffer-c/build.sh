#!/bin/sh
# Build the C sensor-buffer guest: examples/sensor-buffer-c/build.sh [OUT.wasm]
# (default: target/fireball/modules/sensor-buffer-c.wasm, next to the Rust modules), then
# run the record codec's host test with the system C compiler.
#
# Needs clang 19 (Debian: apt-get install -y --no-install-recommends clang-19) and the
# wasm-ld that `cargo xtask` uses (lld-22). No libc: -nostdlib, freestanding headers only.
# Like the Rust modules, the memory uses 1-byte custom pages, so it is exactly MEMORY bytes.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CLANG=${CLANG:-clang-19}
WASM_LD=${WASM_LD:-/usr/lib/llvm-22/bin/wasm-ld}
CC=${CC:-cc}
MEMORY=1280 # bytes of linear memory: stack + static data (~0.7 KiB)
STACK=512   # bytes of shadow stack (runs in 384 on the simulator)
out=${1:-$root/target/fireball/modules/sensor-buffer-c.wasm}
obj=$(mktemp -d)
trap 'rm -rf "$obj"' EXIT

for src in record sensor_buffer; do
    "$CLANG" --target=wasm32-unknown-unknown -Os -nostdlib -ffreestanding -mbulk-memory \
        -Wall -Wextra -Werror -c "$here/$src.c" -o "$obj/$src.o"
done
mkdir -p "$(dirname "$out")"
"$WASM_LD" --no-entry --export=fb_main --stack-first -z stack-size=$STACK \
    --page-size=1 --initial-memory=$MEMORY --max-memory=$MEMORY --strip-all --gc-sections \
    -o "$out" "$obj/record.o" "$obj/sensor_buffer.o"
echo "sensor-buffer-c: $(wc -c < "$out") bytes, $MEMORY bytes of memory ($STACK stack) -> $out"

"$CC" -std=c11 -Wall -Wextra -Werror -o "$obj/test_record" "$here/test_record.c" "$here/record.c"
"$obj/test_record"
