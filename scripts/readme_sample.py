"""Write the README's verdict sample from a real run's gate report: the verdict re-decided as `gonogo evaluate` does,
rendered at 80 columns as a CI log shows it.

    python scripts/readme_sample.py [reports/gate-report.json]

The main job's selftest (selftests/test_main_job.py) checks that a fresh run still reads as the sample does, gate by
gate; run this after a change that moves a gate's status on the healthy box.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from gonogo.config.environments import Environments
from gonogo.config.gates import GateSet
from gonogo.gates.verdict import Verdict, decide
from gonogo.reporting import console, json_report

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
BEGIN, END = "<!-- verdict-sample:begin -->", "<!-- verdict-sample:end -->"
WIDTH = 80
HEAD_ROWS = 5  # the first rows shown before the excerpt skips to the rows that are not PASS


def verdict_of(report_path: Path) -> Verdict:
    data, store = json_report.load_store(report_path)
    names = Environments.from_path(REPO / "environments.yaml").names
    gates = GateSet.from_path(REPO / "gates.yaml", names).for_environment(data["environment"])
    return decide(gates, store, data.get("suites_run", []), data.get("failed_tests", 0))


def sample(verdict: Verdict) -> str:
    lines = console.render(verdict, WIDTH).splitlines()
    verdict_line = f"gonogo: {verdict.headline()} [exit {verdict.exit_code}]"
    rows = lines[2 : 2 + len(verdict.results)]
    shown = lines[:2] + rows[:HEAD_ROWS] + ["…"]
    shown += [row for row in rows[HEAD_ROWS:] if not re.match(r"✓ PASS ", row)]
    shown += lines[2 + len(verdict.results) :] + [verdict_line]
    full = lines + [verdict_line]
    return "\n".join(
        [
            "```text",
            *shown,
            "```",
            "",
            "<details><summary>every gate of that run</summary>",
            "",
            "```text",
            *full,
            "```",
            "",
            "</details>",
        ]
    )


def main(argv: list[str]) -> int:
    report = Path(argv[0]) if argv else REPO / "reports" / "gate-report.json"
    text = README.read_text()
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    README.write_text(text[:start] + "\n" + sample(verdict_of(report)) + "\n" + text[end:])
    print(f"README.md: the verdict sample now shows {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
