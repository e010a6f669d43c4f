#!/usr/bin/env bash
# The project's own tests (README command 2). Sets up, then runs selftests/.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --selftest || { echo "setup failed" >&2; exit 3; }
GONOGO_REQUIRE_ALLURE=1 python3 -m pytest selftests "$@"   # the Allure HTML check may not skip here
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "selftests: pytest collected no tests (exit 5) - treated as a failure" >&2
  exit 1
fi
exit "$rc"
