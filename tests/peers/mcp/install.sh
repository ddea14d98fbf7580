#!/usr/bin/env bash
# Installs the real MCP peers the tests run against (the official reference servers and
# the TypeScript SDK, versions pinned by package-lock.json, and the scripts beside this
# file that use the SDK) into a cache folder, once:
#   ${LLMOS_PEERS:-$HOME/.cache/llmos-peers}/mcp-<hash of lock and scripts>/
# Prints that folder. Used by .ci/run and by the test helper (tests/it/support/mcp_peers.rs).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v npm >/dev/null || { echo "install.sh: npm is not installed (apt-get install nodejs npm)" >&2; exit 1; }
# The servers and the SDK need Node.js 18 or later (their package.json "engines").
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 18 ]; then
  echo "install.sh: Node.js 18 or later is needed, found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi
hash="$(cat "$here/package-lock.json" "$here"/*.mjs | sha256sum | cut -c1-16)"
base="${LLMOS_PEERS:-$HOME/.cache/llmos-peers}"
dir="$base/mcp-$hash"
mkdir -p "$base"
exec 9>"$base/.mcp.lock"
flock 9
if [ ! -f "$dir/.installed" ]; then
  rm -rf "$dir.tmp"
  mkdir -p "$dir.tmp"
  cp "$here/package.json" "$here/package-lock.json" "$here"/*.mjs "$dir.tmp/"
  (cd "$dir.tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
  touch "$dir.tmp/.installed"
  rm -rf "$dir"
  mv "$dir.tmp" "$dir"
fi
echo "$dir"
