#!/usr/bin/env bash
# Builds the library to ship, with its symbols kept aside for crash symbolication:
#   bash scripts/build-dist-lib.sh [OUT_DIR]      (default: $CARGO_TARGET_DIR/dist/ship)
# The `dist` profile (Cargo.toml) is the release build with debug info; objcopy then splits it into
#   OUT_DIR/libImSDK.so        stripped (what the Unity package ships), with a .gnu_debuglink to
#   OUT_DIR/libImSDK.so.debug  the symbols and DWARF (keep it per release; never ship it).
# gdb, lldb, eu-addr2line and `addr2line -e libImSDK.so.debug` read a crash address against it.
# Linux and Android ELF only; for macOS/iOS (dsymutil) and Windows (.pdb) see docs/PLATFORMS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-$(pwd)/target}"
out="${1:-$target/dist/ship}"
cargo build -q -p imsdk --profile dist
mkdir -p "$out"
built="$target/dist/libImSDK.so"
objcopy --only-keep-debug "$built" "$out/libImSDK.so.debug"
objcopy --strip-all --add-gnu-debuglink="$out/libImSDK.so.debug" "$built" "$out/libImSDK.so"
# The split must have worked: symbols and DWARF in the .debug file, none in the shipped library.
readelf -S "$out/libImSDK.so.debug" | grep -q '\.debug_info' || { echo "no .debug_info in libImSDK.so.debug" >&2; exit 1; }
readelf -S "$out/libImSDK.so" | grep -q '\.gnu_debuglink' || { echo "no .gnu_debuglink in libImSDK.so" >&2; exit 1; }
if readelf -S "$out/libImSDK.so" | grep -q -e '\.debug_info' -e '\.symtab'; then
  echo "libImSDK.so still carries debug info or a symbol table" >&2; exit 1
fi
echo "dist: $out/libImSDK.so ($(stat -c %s "$out/libImSDK.so") bytes) + libImSDK.so.debug ($(stat -c %s "$out/libImSDK.so.debug") bytes)"
