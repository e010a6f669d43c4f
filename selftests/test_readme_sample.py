"""The README's verdict sample is a real run's console as a CI log shows it (scripts/readme_sample.py): within 80
columns, every gate of a gate run listed once, its verdict line counting its own rows. test_main_job.py checks it
against today's run."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import readme_sample

from gonogo.config.environments import Environments
from gonogo.config.gates import GateSet
from gonogo.core.catalog import WATCH

REPO = Path(__file__).resolve().parents[1]


def test_the_sample_fits_80_columns_and_lists_every_gate_of_a_gate_run_once():
    lines = readme_sample.block()
    assert max(len(line) for line in lines[:-1]) <= 80, [line for line in lines if len(line) > 80]
    gates = GateSet.from_path(REPO / "gates.yaml", Environments.from_path(REPO / "environments.yaml").names)
    expected = [g.id for g in gates.for_environment("local") if g.suite != WATCH]
    listed = [readme_sample.ROW.match(line).group(3) for line in lines if readme_sample.ROW.match(line)]
    assert listed == expected, "the README's sample is stale: python scripts/readme_sample.py reports/gate-report.json"


def test_the_samples_verdict_line_counts_its_own_rows():
    lines = readme_sample.block()
    statuses = Counter(s.split()[1].lower() for s in readme_sample.rows(lines).values())
    tally = ", ".join(f"{n} {word}" for word, n in [("pass", statuses["pass"]), ("fail", statuses["fail"]),
                      ("warn", statuses["warn"]), ("inconclusive", statuses["inconclusive"]),
                      ("not run", statuses["not"])] if n)
    assert lines[-1].startswith("gonogo: GO — gates: ") and f"gates: {tally} [exit 0]" in lines[-1], lines[-1]
