#!/usr/bin/env bash
# Faults and hostile input, the parts that need more than `cargo test` (docs/RELIABILITY.md):
#  1. the 32-thread stress test of the C ABI (tests/faults_stress.rs) once more under valgrind
#     memcheck: no invalid access, no definite leak;
#  2. a short libFuzzer run of every cargo-fuzz target (fuzz/), seeded from fuzz/seeds/.
# IMSDK_LONG_TESTS=1 runs the long variants (10 s stress, 60 s per fuzz target);
# FUZZ_SECONDS overrides the time per target.
set -euo pipefail
cd "$(dirname "$0")/.."
long=${IMSDK_LONG_TESTS:-0}

echo "== faults: stress test of every export under valgrind"
exe=$(cargo test -p imsdk --test faults_stress --no-run 2>&1 | sed -n 's/.*(\(.*faults_stress-[0-9a-f]*\)).*/\1/p' | tail -1)
[ -x "$exe" ] || { echo "faults_stress test binary not found" >&2; exit 1; }
IMSDK_STRESS_SECS=$([ "$long" = 1 ] && echo 10 || echo 2) \
  valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
  --show-leak-kinds=definite "$exe" --nocapture

echo "== fuzz: every cargo-fuzz target, briefly"
# cargo-fuzz comes from crates.io; its -Z flags run on the stable toolchain with RUSTC_BOOTSTRAP
# (no nightly needed). ASan + libFuzzer, dev profile (quick to build; overflow checks on).
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --version 0.13.2
export RUSTC_BOOTSTRAP=1
secs=${FUZZ_SECONDS:-$([ "$long" = 1 ] && echo 60 || echo 4)}
targets=$(cargo fuzz list)
cargo fuzz build --dev
log=$(mktemp)
for t in $targets; do
  mkdir -p "fuzz/corpus/$t"
  echo "-- $t (${secs} s)"
  if ! cargo fuzz run --dev "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
      -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log" >&2
    echo "fuzz target $t failed; the input is in fuzz/artifacts/$t" >&2
    exit 1
  fi
  grep -E '^(stat::number_of_executed_units|Done )' "$log" || true
  echo "   corpus: $(ls "fuzz/corpus/$t" | wc -l) inputs"
done
rm -f "$log"
echo "fuzz: $(echo $targets | wc -w) passed, 0 failed"
