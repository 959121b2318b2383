#!/usr/bin/env bash
# Installs the reference persister, monasca-persister 9.0.0 from PyPI, into a virtualenv cached under
# .stack/cache/reference-venv, once (a marker file records a finished install), and prints the path
# of its `monasca-persister` entry point on stdout. Progress goes to stderr.
#
#   REFERENCE_PERSISTER=$(bash bench/reference.sh) npm run bench
#
# What it needs at run time besides its own requirements, found by trying:
#   - influxdb (the Python InfluxDB 1.x client): its [repositories] default drivers are the InfluxDB
#     ones (monasca_persister.repositories.influxdb...), which import `influxdb`, but the package
#     declares that only as the `influxdb` extra, so a plain `pip install monasca-persister` cannot
#     write anywhere;
#   - nothing for Kafka: with the default `legacy_kafka_client_enabled = false` it consumes with
#     confluent-kafka (via monasca-common), a hard requirement of monasca-common, whose wheel bundles
#     librdkafka.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV="$PWD/.stack/cache/reference-venv"
MARKER="$VENV/.installed-monasca-persister-9.0.0"
if [ ! -f "$MARKER" ]; then
  PYTHON=${PYTHON:-python3}
  echo "installing monasca-persister 9.0.0 into $VENV" >&2
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'monasca-persister[influxdb]==9.0.0' >&2
  # the reference itself must import, with the drivers it is configured with
  "$VENV/bin/python" -c 'import monasca_persister.persister, monasca_persister.repositories.influxdb.metrics_repository, confluent_kafka, influxdb' >&2
  "$VENV/bin/pip" freeze >"$MARKER"
fi
echo "$VENV/bin/monasca-persister"
