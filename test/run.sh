#!/usr/bin/env bash
# npm test: installs what is missing, brings up the local Kafka and InfluxDB (test/helpers/stack.sh),
# type-checks and builds, then runs every test with node's test runner.
# Give directories or files of dist/test/ as arguments to run only those (e.g. dist/test/unit).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm packages" >&2
  npm ci --no-audit --no-fund >&2
fi

echo "== type-checking and building" >&2
rm -rf dist
npx tsc -p tsconfig.json

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(dist/test/unit dist/test/integration)
  [ -d dist/test/fault ] && targets+=(dist/test/fault)
fi
for t in "${targets[@]}"; do
  case "$t" in
    *unit*) ;;
    *) echo "== bringing up Kafka and InfluxDB" >&2; bash test/helpers/stack.sh up >&2; break ;;
  esac
done
# The browser test (test/fault/inspector.test.ts) drives Debian's Chromium; installed when missing.
for t in "${targets[@]}"; do
  case "$t" in
    *fault*) echo "== Chromium for the browser test: $(bash test/helpers/chromium.sh)" >&2; break ;;
  esac
done

echo "== running tests: ${targets[*]}" >&2
exec node --test --test-concurrency=1 "${targets[@]}"
