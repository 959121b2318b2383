#!/usr/bin/env bash
# npm run bench [outage]: builds, brings up the local stack, runs bench/e2e.ts (or bench/outage.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc -p tsconfig.json
bash test/helpers/stack.sh up >&2
exec node "dist/bench/${1:-e2e}.js"
