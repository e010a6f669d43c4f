#!/usr/bin/env bash
# The project's own tests (README command 2). Sets up, then runs selftests/.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed" >&2; exit 3; }
python3 -m pytest selftests "$@"
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "selftests: pytest collected no tests (exit 5) - treated as a failure" >&2
  exit 1
fi
exit "$rc"
