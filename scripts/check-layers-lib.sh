#!/usr/bin/env bash
# The library's layers (src/, docs/ARCHITECTURE.md "Library"): a module may name (`crate::NAME`)
# only modules of the layers below its own, never one above nor a sibling of its own layer.
# Fails, listing each upward import, otherwise. (The server's layers: server/tests/layers.rs.)
set -euo pipefail
cd "$(dirname "$0")/.."

# Top to bottom; modules of one layer are separated by spaces.
layers=(
  "ffi"        # the C ABI: exports, argument checks, the panic boundary
  "sdk"        # the process-wide instance: TIMInit .. TIMUninit
  "worker"     # the thread that owns the connection
  "instance"   # what sdk and worker share: commands, the view, the inbox
  "dispatch"   # the callback queue and the thread or manual pump that runs it
  "listeners"  # the host's listener callbacks and user data
  "types config" # the C-visible enums and typedefs; the parsed TIMInit config
)

rank_of() {
  local i
  for i in "${!layers[@]}"; do
    for m in ${layers[$i]}; do
      [ "$m" = "$1" ] && { echo "$i"; return; }
    done
  done
  echo "-1"
}

# Every module of src/ must have a layer (a new module is placed on purpose).
status=0
for f in src/*.rs src/*/; do
  m=$(basename "$f" .rs)
  [ "$m" = lib ] && continue
  if [ "$(rank_of "$m")" = -1 ]; then
    echo "check-layers-lib: src/$m has no layer: add it to $0" >&2
    status=1
  fi
done

for i in "${!layers[@]}"; do
  for m in ${layers[$i]}; do
    files=()
    [ -f "src/$m.rs" ] && files+=("src/$m.rs")
    [ -d "src/$m" ] && while IFS= read -r f; do files+=("$f"); done < <(find "src/$m" -name '*.rs' | sort)
    for f in "${files[@]}"; do
      # Code only: comment lines are left out. `crate::a::b` and `crate::{a, b::c}` both count.
      while IFS=: read -r line text; do
        for used in $(grep -oE 'crate::(\{[^}]*\}|[a-z_]+)' <<<"$text" |
          sed -E 's/^crate:://; s/[{}]//g; s/,/ /g'); do
          used=${used%%::*}
          [ -z "$used" ] || [ "$used" = "$m" ] && continue
          r=$(rank_of "$used")
          if [ "$r" = -1 ] || [ "$r" -le "$i" ]; then
            echo "$f:$line: $m (layer $i) imports crate::$used (layer $r): upward or sideways" >&2
            status=1
          fi
        done
      done < <(grep -nE 'crate::' "$f" | grep -vE '^[0-9]+:\s*//')
    done
  done
done

[ "$status" = 0 ] && echo "check-layers-lib: src/ imports only point down (${#layers[@]} layers)"
exit "$status"
