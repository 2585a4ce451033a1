#!/usr/bin/env bash
# Builds the release binaries and runs every benchmark once, printing one table (docs/BENCHMARKS.md).
#   bash scripts/bench.sh            short version (a few minutes)
#   bash scripts/bench.sh --long     the targets' sizes (100,000 idle sessions where the fd limit allows)
# Extra arguments go to `imsdk-bench all` (for example --long). The server under test runs as its own
# process; the load generator shares the machine with it. The results are also written as JSON
# (target/bench/results.json) and drawn as SVG by scripts/plot.py (Python's standard library only):
# into docs/img/ for --long (the pictures docs/BENCHMARKS.md shows), else into target/bench/img/.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p imsdk-server -p imsdk-bench
cargo build --release -p imsdk --example bench
command -v python3 >/dev/null 2>&1 || {
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null
}
mkdir -p "$target/bench"
img="$target/bench/img"
for a in "$@"; do [ "$a" = --long ] && img=docs/img; done
status=0
"$target/release/imsdk-bench" all "$@" --json "$target/bench/results.json" || status=$?
python3 scripts/plot.py "$target/bench/results.json" "$img"
exit "$status"
