#!/usr/bin/env bash
# npm run demo: install what is missing, bring up the local Kafka and InfluxDB, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "== installing npm packages"
  npm ci --no-audit --no-fund
fi
echo "== building"
npx tsc -p tsconfig.json
echo "== bringing up Kafka and InfluxDB (first time: downloads Kafka from Maven Central, installs InfluxDB)"
bash test/helpers/stack.sh up
echo "== demo"
exec node dist/bench/demo.js
