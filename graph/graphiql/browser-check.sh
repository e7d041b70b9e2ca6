#!/usr/bin/env bash
# Loads the embedded GraphiQL in headless Chromium, with every host but this
# machine unreachable, and uses it as a person would: waits for it to render
# (not "Loading…"), opens the docs panel, runs a query with an Authorization
# header typed into the header editor, runs a subscription over WebSocket, and
# fails on any off-origin request, JavaScript error or CSP violation. Writes
# three screenshots (default: graph/graphiql/screenshots/, not committed).
#
#   graph/graphiql/browser-check.sh [OUT_DIR]
#
# Installs Chromium (and a CJK font, so Chinese text is legible in the
# screenshots) with apt-get when missing and running as root. Not part of
# `go test`: it takes ~15 s and needs Chromium.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$here/screenshots}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

chromium="${CHROMIUM:-}"
if [[ -z "$chromium" ]]; then
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then chromium="$c"; break; fi
  done
fi
if [[ -z "$chromium" ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
    chromium=chromium
  else
    echo "browser-check.sh: no Chromium; install it (apt-get install chromium) or set CHROMIUM" >&2
    exit 1
  fi
fi
if ! fc-list 2>/dev/null | grep -qiE 'cjk|wqy|han'; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null || true
  fi
fi

cd "$root"
exec go run ./graph/graphiql/internal/browsercheck -chromium "$chromium" -out "$out"
