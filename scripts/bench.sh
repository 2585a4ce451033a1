#!/usr/bin/env bash
# Builds the release binaries and runs every benchmark once, printing one table (docs/BENCHMARKS.md).
#   bash scripts/bench.sh            short version (about a minute)
#   bash scripts/bench.sh --long     the targets' sizes (100,000 idle sessions where the fd limit allows)
# Extra arguments go to `imsdk-bench all` (for example --long). The server under test runs as its own
# process; the load generator shares the machine with it.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p imsdk-server -p imsdk-bench
cargo build --release -p imsdk --example bench
exec "${CARGO_TARGET_DIR:-target}/release/imsdk-bench" all "$@"
