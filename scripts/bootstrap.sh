#!/usr/bin/env bash
# What `npm start` and `npm test` run first: npm dependencies when missing or stale, then the services
# (scripts/services.sh). The database, migrations and topology are handled by `waggle start` itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

stamp=node_modules/.package-lock.json
if [[ ! -f "$stamp" || package-lock.json -nt "$stamp" ]]; then
  echo "bootstrap: installing npm dependencies" >&2
  if [[ -f package-lock.json ]]; then npm ci --no-audit --no-fund >&2; else npm install --no-audit --no-fund >&2; fi
fi
bash scripts/services.sh
