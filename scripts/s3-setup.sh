#!/usr/bin/env bash
# Installs moto's S3-compatible server (pinned, from PyPI) into the project-local virtualenv
# .venv-s3/ (not tracked) for the S3 attachment-store tests (tests/api/attachments.rs), which
# start `.venv-s3/bin/moto_server` on a free port themselves.
#
# Idempotent and quiet when the pinned version is already there: safe to run any number of times.
# The tests also find moto_server at FRONTLINE_MOTO_SERVER or on the PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

MOTO_VERSION=5.2.1
VENV=.venv-s3

log() { printf '[s3-setup] %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -x "$VENV/bin/moto_server" ] &&
  [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null || true)" = "$MOTO_VERSION" ]; then
  exit 0
fi
log "installing moto[server] $MOTO_VERSION into $VENV/"
if ! python3 -m venv "$VENV" 2>/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq && as_root apt-get install -y -qq python3-venv >/dev/null
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
[ -x "$VENV/bin/moto_server" ] || { log "moto_server is still missing after pip install"; exit 1; }
log "installed moto $MOTO_VERSION"
