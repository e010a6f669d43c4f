#!/usr/bin/env bash
# The project's own tests (README command 2). Sets up, then runs selftests/ (docs/testing.md):
#   scripts/selftest.sh          every tier (CI): unit, box, slow; prints the 25 slowest and the time per tier
#   scripts/selftest.sh --fast   the unit tier only (no box, no load run), a few minutes
set -uo pipefail
cd "$(dirname "$0")/.."
tier=()
if [ "${1:-}" = "--fast" ]; then
  shift
  tier=(-m unit)
fi
bash scripts/setup.sh --selftest || { echo "setup failed" >&2; exit 3; }
GONOGO_REQUIRE_ALLURE=1 python3 -m pytest selftests --durations=25 "${tier[@]}" "$@"   # the Allure HTML check may not skip here
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "selftests: pytest collected no tests (exit 5) - treated as a failure" >&2
  exit 1
fi
exit "$rc"
