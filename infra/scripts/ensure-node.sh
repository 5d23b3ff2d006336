#!/usr/bin/env bash
# Make Node.js >= 22 available for Reflex. Uses the system node when it is new enough,
# otherwise installs the npm registry package node@22 into .tools/node (project-local).
# Prints the directory to put first on PATH (empty when the system node is fine).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
local_bin="$here/.tools/node/node_modules/node/bin"
major() { "$1" --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/'; }
if [ -x "$local_bin/node" ] && [ "$(major "$local_bin/node")" -ge 22 ]; then
  echo "$local_bin"; exit 0
fi
if command -v node >/dev/null 2>&1 && [ "$(major node)" -ge 22 ]; then
  echo ""; exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "npm is needed to install Node.js 22 (apt-get install -y npm)" >&2; exit 1; }
mkdir -p "$here/.tools/node"
npm install --prefix "$here/.tools/node" --no-save --no-audit --no-fund --loglevel=error node@22 >&2
"$local_bin/node" --version >&2
echo "$local_bin"
