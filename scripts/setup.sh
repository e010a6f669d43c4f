#!/usr/bin/env bash
# Installs what gonogo needs on a fresh Debian/Ubuntu machine (idempotent):
# redis-server, nginx and prometheus-node-exporter for the local box, and the Python packages. With --selftest also what only the
# project's own tests use: prometheus (the load suite's PromQL source), Java + npm (Allure's command line)
# and chromium (renders the Allure report headless).
# Python packages go into the project's own virtual environment (.venv, GONOGO_VENV to move it): a stock
# Debian 12 / Ubuntu 24.04 Python refuses pip outside one (PEP 668, "externally-managed-environment").
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${GONOGO_VENV:-.venv}
missing=()
[ -x "$VENV/bin/python" ] || "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v nginx >/dev/null 2>&1 || missing+=(nginx)
command -v prometheus-node-exporter >/dev/null 2>&1 || missing+=(prometheus-node-exporter)
if [ "${1:-}" = "--selftest" ]; then
  command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  # Keep Debian from starting system-wide services on install: the box runs its own.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
    trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Its own packages only (no --system-site-packages): pytest, locust and gonogo in its bin/ are the ones it runs.
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
# pinned to the versions CI last passed with (scripts/constraints.txt): a fresh venv otherwise takes whatever is newest
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -c scripts/constraints.txt \
  -e '.[load,db,smoke,stack,security,dev]'
