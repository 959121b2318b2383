#!/usr/bin/env bash
# Prints the path of a Chromium for the browser tests: $CHROMIUM, or Debian's chromium package,
# installed with apt-get when missing (as root; otherwise it says what to install).
set -euo pipefail
if [ -n "${CHROMIUM:-}" ]; then echo "$CHROMIUM"; exit 0; fi
for c in chromium chromium-browser; do
  if command -v "$c" >/dev/null; then command -v "$c"; exit 0; fi
done
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "chromium.sh: no Chromium found: install Debian's chromium package (apt-get install chromium), or set CHROMIUM to a Chromium binary" >&2
  exit 1
fi
echo "[chromium] installing Debian's chromium package (first run only)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq chromium >&2
command -v chromium
