#!/usr/bin/env bash
# Makes a fresh clone runnable: installs npm dependencies when they are missing or stale.
# System packages (mariadb-server, mariadb-backup, memcached, iptables, socat) are ensured by the sandbox itself
# (src/sandbox/binaries.ts), the one place that knows which binaries it starts.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.package-lock.json ] \
   || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "replwatch: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund >&2
fi
