#!/usr/bin/env bash
# GraphQL-over-HTTP conformance: builds the binary, serves a fresh data
# directory and runs graphql-http's server audits against /query. Needs Node
# and the npm registry (not part of go test).
set -euo pipefail
cd "$(dirname "$0")"
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
go build -o "$dir/catalogue" ../../cmd/catalogue
"$dir/catalogue" serve --data "$dir/data" --addr 127.0.0.1:18181 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do curl -fs http://127.0.0.1:18181/healthz >/dev/null && break; sleep 0.1; done
npm install --no-audit --no-fund --silent
node audit.mjs http://127.0.0.1:18181/query
