#!/usr/bin/env bash
# The library is portable C-ABI Rust: no Linux-only call outside cfg(unix). Proven here by building it
# for Windows (x86_64-pc-windows-gnu, with Debian's mingw-w64) from Linux and looking at the result:
# ImSDK.dll exports every function the Linux library exports and imports only system DLLs. It is not
# run (no Windows here). Installs the rustup target and the cross compiler when missing.
#   bash scripts/check-portable.sh      -> $CARGO_TARGET_DIR/x86_64-pc-windows-gnu/release/ImSDK.dll
set -euo pipefail
cd "$(dirname "$0")/.."
target=x86_64-pc-windows-gnu
rustup target list --installed | grep -qx "$target" || rustup target add "$target"
if ! command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gcc-mingw-w64-x86-64 >/dev/null
fi
dir="${CARGO_TARGET_DIR:-$(pwd)/target}"
cargo build -q --release -p imsdk --target "$target"
dll="$dir/$target/release/ImSDK.dll"
objdump=x86_64-w64-mingw32-objdump
exports=$("$objdump" -p "$dll" | awk '/\[Ordinal\/Name Pointer\] Table/{t=1;next} t&&/^[ \t]*\[/{print $NF} t&&/^$/{t=0}' | sort -u)
imports=$("$objdump" -p "$dll" | awk '/DLL Name:/{print $3}' | sort -u)
# Every export of the Linux build (cargo build -p imsdk) is exported by the DLL too.
linux="$dir/release/libImSDK.so"
cargo build -q --release -p imsdk
missing=$(comm -23 <(nm -D --defined-only "$linux" | awk '$2=="T"{print $3}' | sort -u) <(echo "$exports"))
if [ -n "$missing" ]; then echo "ImSDK.dll lacks exports: $missing" >&2; exit 1; fi
# Only Windows system DLLs (no mingw runtime DLL to ship beside it).
for d in $imports; do
  case "${d,,}" in
    kernel32.dll|ntdll.dll|ws2_32.dll|advapi32.dll|bcrypt.dll|bcryptprimitives.dll|userenv.dll|msvcrt.dll|api-ms-win-*|crypt32.dll|secur32.dll|ucrtbase.dll) ;;
    *) echo "ImSDK.dll imports $d (not a Windows system DLL)" >&2; exit 1 ;;
  esac
done
echo "portable: $dll ($(stat -c %s "$dll") bytes, $(echo "$exports" | wc -l) exports; imports: $(echo $imports))"
# The package takes it as its Windows plugin (enabled for Win64 and the Windows Editor only, size budget).
pkg=$(mktemp -d)
trap 'rm -rf "$pkg"' EXIT
python3 scripts/unity_package.py build --lib "$linux" --lib "$dll" --out "$pkg" >/dev/null
python3 scripts/unity_package.py check "$pkg/com.imsdk.userstatus"
