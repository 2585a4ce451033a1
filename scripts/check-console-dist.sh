#!/usr/bin/env bash
# The web console's built files are committed in server/console-dist (embedded by server/build.rs,
# so the server builds with its console without Node). This rebuilds them from console/ into a
# temporary directory and fails when the committed copy differs: run `cd console && npm run build`
# and commit server/console-dist.
set -euo pipefail
cd "$(dirname "$0")/../console"
[ -d node_modules ] || npm ci --no-audit --no-fund
fresh="$(mktemp -d)"
trap 'rm -rf "$fresh"' EXIT
npx tsc --noEmit
npx vite build --logLevel warn --outDir "$fresh" --emptyOutDir
if ! diff -r "$fresh" ../server/console-dist; then
  echo "server/console-dist is stale: run 'cd console && npm run build' and commit it" >&2
  exit 1
fi
echo "server/console-dist matches console/ sources"
