#!/usr/bin/env bash
# npm run bench [outage]: builds, brings up the local stack, runs bench/e2e.ts (or bench/outage.ts).
# With BENCH_STACK_JSON=<stack.json of a stack already running> (e2e and stages) that stack is used as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc -p tsconfig.json
[ -n "${BENCH_STACK_JSON:-}" ] || bash test/helpers/stack.sh up >&2
exec node "dist/bench/${1:-e2e}.js"
