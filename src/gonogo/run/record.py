"""A run's record: what it is of, its one decision, and the figures behind it. Every output is written from it
(gonogo.run.sinks), so the JSON report, JUnit, Allure and the console cannot disagree.

``decided`` is the only call of the gates' ``decide`` in gonogo (selftests/test_run_record.py holds it to that).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from gonogo.config.gates import Gate
from gonogo.core.store import MetricsStore
from gonogo.gates.verdict import Verdict, decide


@dataclass(frozen=True)
class About:
    """What a record is of. ``title``/``history``: where its results sit in JUnit and Allure ("gonogo", "gonogo
    watch 1h") and the stable prefix of their Allure historyId; ``extra``: what a front-end adds to the gate report
    (a watch's checkpoint, error patterns, alerts)."""

    environment: str
    base_url: str | None = None  # the display form: never credentials
    gates_file: str | None = None
    run_id: str | None = None
    started: float | None = None
    finished: float | None = None
    target: Mapping[str, Any] | None = None  # {"embedded_box": bool, "faults": [...]}; None: not a gate run
    title: str = "gonogo"
    history: str = "gonogo"
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class Record:
    """``verdict`` None: the run stopped before its decision (interrupted, bad input, a crash) -- ``reason`` says
    why and every output says undecided."""

    about: About
    verdict: Verdict | None
    store: MetricsStore
    exit_code: int
    reason: str = ""

    @property
    def stopped(self) -> bool:
        return self.verdict is None


def decided(
    about: About,
    gates: Sequence[Gate],
    store: MetricsStore,
    suites_run: Collection[str],
    *,
    failed_tests: int = 0,
    baseline: MetricsStore | None = None,
    blocker: str | None = None,
) -> Record:
    """The decision. ``blocker``: a run-wide reason for No-Go found outside the gates (the target did not answer)."""
    verdict = decide(gates, store, suites_run, failed_tests, baseline)
    if blocker:
        verdict.block(blocker)
    return Record(about, verdict, store, verdict.exit_code)


def stopped(about: About, reason: str, exit_code: int) -> Record:
    return Record(about, None, MetricsStore(), exit_code, reason)
