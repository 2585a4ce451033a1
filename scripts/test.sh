#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine: installs what is missing, then runs
# the Rust, C and C# suites against real servers on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the suites need; installed only when missing.
need_pkgs=()
need() { dpkg -s "$1" >/dev/null 2>&1 || need_pkgs+=("$1"); }
# Library/C: gcc and g++ compile tests/c/*.c and the header (C99 and C++); valgrind runs the C
# story once (tests/c_abi.rs, inside the workspace run below); binutils' nm lists the library's
# exports for the header check. (scripts/check-portable.sh installs the Windows cross toolchain.)
for p in valgrind gcc g++ binutils; do need "$p"; done
# Server cluster tests (server/tests/cluster.rs) start their own redis-server on a free 127.0.0.1 port
# and fail, never skip, when it is missing.
need redis-server
# Web console (console/, docs/CONSOLE.md): its built files are committed (server/console-dist);
# node and npm rebuild them to check they are not stale; Debian's chromium runs its browser test.
command -v npm >/dev/null 2>&1 || { need nodejs; need npm; }
need chromium
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "== installing ${need_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

echo "== lints: rustfmt and clippy (warnings are errors; the library also documents every unsafe block)"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings

echo "== layers: server/src imports point only down, no cycles (docs/ARCHITECTURE.md)"
cargo test -p imsdk-server --test layers

echo "== library layers: imports in src/ only point down (docs/ARCHITECTURE.md)"
bash scripts/check-layers-lib.sh

echo "== web console: committed build (server/console-dist) matches console/ sources"
(cd console && npm ci --no-audit --no-fund)
bash scripts/check-console-dist.sh

echo "== cargo test (workspace)"
# The reconnect storm (server/tests/hostile_storm.rs) holds 10,000 sockets in one process.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
cargo test --workspace

echo "== no-op build: a second cargo command with nothing changed compiles nothing"
bash scripts/check-noop-build.sh

# The Debian package: built, installed with dpkg -i, run as its unit would run it, purged.
echo "== Debian package (scripts/test-deb.sh)"
bash scripts/test-deb.sh

echo "== web console: end to end in headless Chromium against the imsdk-server binary"
cargo build -p imsdk-server
(cd console && CONSOLE_TEST_SERVER_BIN="${CARGO_TARGET_DIR:-$PWD/../target}/debug/imsdk-server" npm run test:browser)

# Faults and hostile input beyond cargo test: valgrind stress run, short fuzzing of every target.
bash scripts/test-faults.sh

# A few seconds: every benchmark at tiny sizes on the debug build, to prove the load generator,
# the baseline server and the library bench still run. Nothing is timed or judged here.
echo "== benchmarks: smoke run (bash scripts/bench.sh for the figures)"
cargo build -p imsdk-server -p imsdk-bench
"${CARGO_TARGET_DIR:-target}/debug/imsdk-bench" all --smoke

echo "== C#: bindings on Mono against imsdk-server, Unity package"
bash scripts/test-csharp.sh

echo "== portability: the library cross-built for Windows (ImSDK.dll), its exports and imports, in the package"
bash scripts/check-portable.sh
