#!/usr/bin/env bash
# npm run bench: builds, brings up the local stack, runs the end-to-end benchmark (bench/e2e.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
npx tsc -p tsconfig.json
bash test/helpers/stack.sh up >&2
exec node dist/bench/e2e.js
