#!/usr/bin/env bash
# A cargo command with nothing changed must compile nothing: run after a full build of the same
# targets. Fails, naming the units, when cargo rebuilds any of them (a build script watching a path
# that does not exist, an env var that changes between runs, a file a build writes into src ...).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
stale = []
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and not m.get("fresh", True):
        stale.append(m["target"]["name"] + " (" + ",".join(m["target"]["kind"]) + ")")
if stale:
    sys.exit("no-op build recompiled: " + ", ".join(stale))
print("no-op build: every unit fresh")
'
