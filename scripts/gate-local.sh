#!/usr/bin/env bash
# The main job (README command 1): set up, then decide Go/No-Go against the embedded local stack.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed" >&2; exit 3; }
VENV=${GONOGO_VENV:-.venv}
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
export PATH="$VENV/bin:$PATH"   # gonogo's own commands (the box's switch and rollback) from the same install
exec "$VENV/bin/python" -m pytest --env=local "$@"
