"""Saved gate reports as a history: per gate, its figure, limit and status in each run, and which gates moved."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from gonogo.core import shift
from gonogo.core.snapshot import finite_number
from gonogo.core.store import MetricsStore
from gonogo.gates.rules import Status
from gonogo.reporting import json_report

LATENCY = "load.http_latency"  # the distribution compared between the last two runs (significance)


@dataclass
class Run:
    path: Path
    at: datetime
    verdict: str
    environment: str
    gates: dict[str, dict]  # gate id: its entry in the report
    store: MetricsStore
    allure: Path | None = None  # this run's Allure report (its index.html), when one beside it is of this run
    identity: str = ""  # the run id, else its figures: two reports of one run are one point of the trend
    copies: list[Path] = field(default_factory=list)  # other reports of this same run, shown once

    @property
    def label(self) -> str:
        return self.at.strftime("%m-%d %H:%M")


@dataclass
class Movement:
    gate: str
    first: float | None
    last: float | None
    change_pct: float | None  # last against first
    status_first: str
    status_last: str
    display_first: str = ""
    display_last: str = ""
    measured_in: int = 2  # the runs that measured it: 1 has nothing to compare
    first_label: str = ""  # the run that first measured it
    new: bool = False  # first measured in the last run

    def change_text(self) -> str:
        if self.new:
            return "new"
        if self.measured_in < 2:
            return f"measured once ({self.first_label})"
        return "" if self.change_pct is None else f"{self.change_pct:+.1f} %"

    def status_text(self, arrow: str = "->") -> str:
        return self.status_last if self.measured_in < 2 else f"{self.status_first} {arrow} {self.status_last}"


@dataclass
class History:
    runs: list[Run]
    problems: list[str] = field(default_factory=list)  # reports that could not be read, with why

    def gate_ids(self) -> list[str]:
        return list(dict.fromkeys(g for run in self.runs for g in run.gates))

    def series(self, gate: str) -> list[tuple[Run, dict]]:
        return [(run, run.gates[gate]) for run in self.runs if gate in run.gates]

    def movements(self) -> list[Movement]:
        """Each gate's first and last figure; the ones that moved most (or changed status) first."""
        rows = []
        for gate in self.gate_ids():
            points = [(run, entry) for run, entry in self.series(gate) if entry.get("measured") is not None]
            if not points:
                continue
            (first_run, first), (_, last) = points[0], points[-1]
            a, b = first["measured"], last["measured"]
            change = (b - a) / abs(a) * 100 if a and len(points) > 1 else None
            rows.append(
                Movement(
                    gate,
                    a,
                    b,
                    change,
                    first["status"],
                    last["status"],
                    first.get("display", {}).get("measured", ""),
                    last.get("display", {}).get("measured", ""),
                    len(points),
                    first_run.label,
                    new=len(points) == 1 and first_run is self.runs[-1] and len(self.runs) > 1,
                )
            )
        return sorted(rows, key=lambda m: (m.status_first == m.status_last, -abs(m.change_pct or 0)))

    def latency_shift(self) -> shift.Shift | None:
        """Is the last run's latency distribution significantly slower than the one before it?"""
        if len(self.runs) < 2:
            return None
        before, last = (run.store.select(LATENCY) for run in self.runs[-2:])
        return None if before is None or last is None else shift.slower(last, before)


ALLURE_REPORT = "allure-report"  # scripts/allure-report.sh's output, beside the gate report (reports/)


def allure_report(report: Path, run_id: object) -> Path | None:
    """The Allure report generated from this run's results: the one beside the gate report whose environment
    widget names the same gonogo.run_id (a later run's report in the same place is not this run's)."""
    if not isinstance(run_id, str) or not run_id:
        return None
    index = report.parent / ALLURE_REPORT / "index.html"
    try:
        widget = json.loads((index.parent / "widgets" / "environment.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    names = {e.get("name"): e.get("values") for e in widget if isinstance(widget, list) and isinstance(e, dict)}
    return index if run_id in (names.get("gonogo.run_id") or []) and index.is_file() else None


VERDICTS = ("go", "no-go")  # a run that decided something; an undecided one has no figures to draw
STATUSES = {s.value for s in Status}


def load(paths: list[Path]) -> History:
    """The decided gate reports among ``paths``; each one that cannot be read is left out with one line saying why."""
    runs: dict[str, Run] = {}
    problems = []
    for path in paths:
        try:
            run = _run(path)
        except json_report.ReportError as exc:
            problems.append(str(exc))
            continue
        if run.identity in runs:  # a copy of a run already read: one point, the copy named beside it
            runs[run.identity].copies.append(path)
        else:
            runs[run.identity] = run
    return History(sorted(runs.values(), key=lambda r: r.at), problems)


def _run(path: Path) -> Run:
    data, store = json_report.load_store(path)
    if data["schema"] != json_report.SCHEMA:
        raise json_report.ReportError(f"{path}: the figures of a load run, not a gate report: not a run of the trend")
    verdict = data.get("verdict")
    if verdict not in VERDICTS:
        why = "it decided nothing" if verdict == "undecided" else f"its verdict {verdict!r} is not go or no-go"
        raise json_report.ReportError(f"{path}: {why}: not a run of the trend")
    stamp = data.get("finished_at") or data.get("started_at")
    try:
        at = datetime.fromisoformat(stamp) if stamp else datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except (TypeError, ValueError):
        raise json_report.ReportError(f"{path}: finished_at {stamp!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise json_report.ReportError(f"{path}: finished_at {stamp!r} names no time zone (write e.g. +00:00)")
    gates = {}
    for entry in data.get("gates") or []:
        problem = _gate_problem(entry)
        if problem:
            raise json_report.ReportError(f"{path}: {problem}: not a report gonogo wrote")
        gates[entry["id"]] = entry
    run = Run(path, at, verdict, str(data.get("environment", "")), gates, store)
    run.allure = allure_report(path, data.get("run_id"))
    run_id = data.get("run_id")
    run.identity = f"run id {run_id}" if isinstance(run_id, str) and run_id else _figures_digest(data)
    return run


def _figures_digest(data: dict) -> str:
    """The same figures are the same run, whatever decided them since (a copy, a report `gonogo evaluate` wrote)."""
    figures = json.dumps(data.get("metrics"), sort_keys=True, separators=(",", ":"))
    return "figures " + hashlib.sha256(figures.encode()).hexdigest()[:16]


def _number_or_none(value: object) -> bool:
    return value is None or finite_number(value)


def _gate_problem(entry: object) -> str | None:
    """What makes a report's gate entry unusable for the trend (its figure is drawn and compared)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
        return "a gate entry without an id"
    measured = entry.get("measured")
    if measured is not None and (
        isinstance(measured, bool) or not isinstance(measured, int | float) or not math.isfinite(measured)
    ):
        return f"gate {entry['id']}: measured {measured!r} is not a number"
    if entry.get("status") not in STATUSES:
        return f"gate {entry['id']}: status {entry.get('status')!r} is not one of {', '.join(sorted(STATUSES))}"
    limit = (entry.get("threshold") or {}).get("value") if isinstance(entry.get("threshold"), dict | None) else "?"
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, int | float) or not math.isfinite(limit)
    ):
        return f"gate {entry['id']}: threshold value {limit!r} is not a number"
    return None
