#!/usr/bin/env bash
# Checks the embedded GraphiQL build (graph/graphiql/dist).
#
#   graph/graphiql/check.sh            the Go tests: every asset index.html
#                                      references is in dist/ and served with
#                                      the right type and caching, nothing in
#                                      dist/ loads from another host, no stale
#                                      files (no Node needed; CI runs these too)
#   graph/graphiql/check.sh --rebuild  also rebuilds dist/ from the lock file
#                                      (npm ci && npm run build) and fails if
#                                      the result differs from what is committed
#
# The browser check (headless Chromium, screenshots) is browser-check.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if [[ "${1:-}" == "--rebuild" ]]; then
  before="$(mktemp -d)"
  trap 'rm -rf "$before"' EXIT
  cp -a "$here/dist/." "$before/"
  (cd "$here/web" && npm ci --no-audit --no-fund && npm run build)
  if ! diff -r "$before" "$here/dist" >/dev/null; then
    diff -r -q "$before" "$here/dist" || true
    echo "check.sh: dist/ differs from a fresh build of web/ — commit the rebuilt dist/" >&2
    exit 1
  fi
  echo "check.sh: a fresh build from package-lock.json is byte-identical to dist/"
fi

cd "$root"
go test -count=1 ./graph/graphiql/...
