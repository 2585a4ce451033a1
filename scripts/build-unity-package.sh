#!/usr/bin/env bash
# Assembles the Unity package into unity/build/<name>/ from unity/, csharp-bindings/ and built libraries.
#   bash scripts/build-unity-package.sh [--lib target/release/libImSDK.so[:PLATFORM]]... [--out DIR]
# Without --lib it takes target/release/libImSDK.so, else target/debug/libImSDK.so. The package checker
# rejects a library over 4 MiB: ship the stripped build (scripts/build-dist-lib.sh or --release).
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
if [[ " $* " != *" --lib "* ]]; then
  lib=target/release/libImSDK.so
  [ -f "$lib" ] || lib=target/debug/libImSDK.so
  args+=(--lib "$lib")
fi
exec python3 scripts/unity_package.py build "${args[@]}"
