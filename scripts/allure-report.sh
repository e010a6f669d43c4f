#!/usr/bin/env bash
# Builds the Allure HTML report with Allure's own command line (npm allure-commandline, runs on Java 11+).
#   scripts/allure-report.sh [RESULTS_DIR] [HTML_DIR] [HISTORY_DIR]
#     defaults: reports/allure-results reports/allure-report HTML_DIR/history
# The previous report's history/ (HISTORY_DIR: in CI, the last build's allure-report/history artifact) is copied
# into the results first, so Allure's Trend panel and each test's history carry on from run to run.
# Open it through a web server (the report loads its data with fetch): python3 -m http.server -d HTML_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS=${1:-reports/allure-results}
OUT=${2:-reports/allure-report}
HISTORY=${3:-$OUT/history}
TOOLS=.gonogo/tools
ALLURE_VERSION=2.46.1
command -v java >/dev/null 2>&1 || { echo "Allure needs Java: apt-get install default-jre-headless" >&2; exit 3; }
if [ ! -x "$TOOLS/node_modules/.bin/allure" ]; then
  mkdir -p "$TOOLS"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS" "allure-commandline@$ALLURE_VERSION" >/dev/null
fi
# The report's title carries the verdict (from the environment properties gonogo writes into the results).
prop() { sed -n "s/^$1=//p" "$RESULTS/environment.properties" 2>/dev/null | head -1; }
VERDICT=$(prop gonogo.verdict | tr '[:lower:]' '[:upper:]'); ENV_NAME=$(prop gonogo.environment)
NAME="gonogo ${ENV_NAME:-?}: ${VERDICT:-UNDECIDED}"
if [ -d "$HISTORY" ]; then
  rm -rf "$RESULTS/history" && cp -r "$HISTORY" "$RESULTS/history"
fi
"$TOOLS/node_modules/.bin/allure" generate "$RESULTS" -o "$OUT" --clean --report-name "$NAME"
