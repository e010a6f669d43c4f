#!/usr/bin/env bash
# The main job (README command 1): set up, then decide Go/No-Go against the embedded local stack.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed" >&2; exit 3; }
exec python3 -m pytest --env=local "$@"
