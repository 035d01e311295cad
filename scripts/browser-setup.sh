#!/usr/bin/env bash
# Installs Debian's Chromium (when missing) for the headless browser tests (tests/api/browser.rs).
#
# Idempotent and quiet when Chromium is already there: safe to run any number of times, as root
# or as a user with sudo. The tests find the browser on PATH (`chromium`, or `chromium-browser`)
# or at FRONTLINE_CHROMIUM.
set -euo pipefail

log() { printf '[browser-setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ -n "${FRONTLINE_CHROMIUM:-}" ] && [ -x "${FRONTLINE_CHROMIUM}" ]; then
  exit 0
fi
if command -v chromium >/dev/null || command -v chromium-browser >/dev/null; then
  exit 0
fi
log "installing chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
as_root apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
command -v chromium >/dev/null || { log "chromium is still missing after apt-get install"; exit 1; }
log "installed $(chromium --version 2>/dev/null || echo chromium)"
