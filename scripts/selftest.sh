#!/usr/bin/env bash
# The project's own tests (README command 2). Sets up, then runs selftests/ (docs/testing.md):
#   scripts/selftest.sh          every tier (CI), in two runs: first every test that may share the machine, side by side
#                                (pytest-xdist, SELFTEST_WORKERS, default 3); then the `alone` tests (a load or latency
#                                that is judged, a fixed port) one at a time. Each prints its 25 slowest and time per tier.
#   scripts/selftest.sh --fast   the unit tier only (no box, no load run), side by side, a few minutes
set -uo pipefail
cd "$(dirname "$0")/.."
workers=${SELFTEST_WORKERS:-3}
fast=0
if [ "${1:-}" = "--fast" ]; then
  shift
  fast=1
fi
bash scripts/setup.sh --selftest || { echo "setup failed" >&2; exit 3; }
VENV=${GONOGO_VENV:-.venv}
case "$VENV" in /*) ;; *) VENV="$PWD/$VENV" ;; esac
export PATH="$VENV/bin:$PATH"   # python3, gonogo and locust of the project's own environment
export GONOGO_REQUIRE_ALLURE=1   # the Allure HTML check may not skip here
# pytest-benchmark switches itself off beside xdist and says so; no selftest uses its fixture
side_by_side=(-n "$workers" --dist loadgroup -p no:benchmark)

run() {  # $1: a label; the rest: pytest's arguments. Exit 5 (nothing selected) is not a failure of one run
  local label=$1
  shift
  echo "== selftests: $label"
  python3 -m pytest selftests --durations=25 "$@"
}

if [ "$fast" = 1 ]; then
  run "unit tier, side by side ($workers workers)" -m unit "${side_by_side[@]}" "$@"
  codes=($?)
else
  run "everything that may share the machine, side by side ($workers workers)" -m "not alone" "${side_by_side[@]}" "$@"
  codes=($?)
  run "the alone tests, one at a time" -m alone "$@"
  codes+=($?)
fi
rc=0
ran=0
for code in "${codes[@]}"; do
  [ "$code" -eq 5 ] && continue
  ran=1
  [ "$code" -ne 0 ] && [ "$rc" -eq 0 ] && rc=$code
done
if [ "$ran" = 0 ]; then
  echo "selftests: pytest collected no tests (exit 5) - treated as a failure" >&2
  exit 1
fi
exit "$rc"
