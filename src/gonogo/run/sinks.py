"""Where a record goes: the JSON gate report, JUnit XML, Allure results, the console. Each sink writes a decided
record and a stopped one (which says undecided, over whatever the last run left); a gate's status reaches JUnit and
Allure through one mapping (gonogo.reporting.outcome), the same one a gate run's pytest items use.

``write_all`` writes the files first and the console last, so a reader that leaves early loses nothing; a write
that fails is said, never the exit code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gonogo.reporting import allure_results, console, json_report, junit, terminal, undecided
from gonogo.reporting.allure_env import write_environment
from gonogo.run.record import Record


class Sink(Protocol):
    def write(self, record: Record) -> None: ...


@dataclass
class GateReport:
    """The JSON gate report (schema gonogo.gate-report/1, docs/gate-report.md)."""

    path: str | Path

    def write(self, record: Record) -> None:
        about = record.about
        if record.verdict is None:
            undecided.gate_report(
                self.path,
                record.reason,
                record.exit_code,
                environment=about.environment,
                base_url=about.base_url,
                gates_file=about.gates_file,
            )
            return
        report = json_report.build(
            record.verdict,
            record.store,
            environment=about.environment,
            base_url=about.base_url,
            gates_file=about.gates_file or "",
            started=about.started,
            run_id=about.run_id,
        )
        if about.target is not None:
            report["target"] = dict(about.target)
        report.update(about.extra)
        json_report.write(self.path, report)


@dataclass
class JUnit:
    """One case per gate and one for the verdict. ``pytests``: the file is pytest's own (a gate run's items wrote
    the cases): a stopped record adds its undecided verdict case to this run's cases instead of replacing them."""

    path: str | Path
    pytests: bool = False

    def write(self, record: Record) -> None:
        if record.verdict is None:
            if not self.pytests:
                Path(self.path).unlink(missing_ok=True)  # its cases are the last run's
            undecided.junit(self.path, record.reason)
            return
        if not self.pytests:
            junit.write(self.path, record.verdict, record.about.title)


@dataclass
class Allure:
    """Allure's environment.properties and, unless allure-pytest writes them (``pytests``: a gate run's items), a
    result per gate and one for the verdict."""

    directory: str | Path
    pytests: bool = False
    parent: str = "Go/No-Go gates"  # where the results sit in Allure's tree: parentSuite / suite
    suite: str = "gates"

    def write(self, record: Record) -> None:
        about = record.about
        AllureEnvironment(self.directory).write(record)
        now = time.time()
        if record.verdict is None:
            undecided.allure(self.directory, record.reason, since_ms=int((about.started or now) * 1000))
        elif not self.pytests:
            allure_results.write(
                self.directory,
                record.verdict,
                parent=self.parent,
                suite=self.suite,
                history=about.history,
                start=about.started or now,
                stop=about.finished or now,
            )


@dataclass
class AllureEnvironment:
    """Only Allure's environment.properties: what the start of a gate run marks undecided (a result written then
    would outlive the run that goes on to decide)."""

    directory: str | Path

    def write(self, record: Record) -> None:
        about = record.about
        write_environment(
            self.directory,
            record.verdict,
            environment=about.environment,
            base_url=about.base_url or "",
            gates_file=Path(about.gates_file or ""),
            run_id=about.run_id or "",
        )


@dataclass
class Console:
    """The verdict table and the verdict line, ``width`` columns wide."""

    width: int
    color: bool = False
    verbose: bool = False
    say: Callable[..., None] = terminal.say

    def write(self, record: Record) -> None:
        if record.verdict is None:
            self.say(f"gonogo: UNDECIDED — {record.reason} [exit {record.exit_code}]")
            return
        table = console.render(record.verdict, self.width, color=self.color, verbose=self.verbose)
        self.say(table, end="", clean=False)  # rendered from cleaned parts: its colour is meant
        self.say(f"gonogo: {record.verdict.headline()} [exit {record.exit_code}]")


def files(
    *,
    gate_report: str | Path | None = None,
    junit: str | Path | None = None,
    alluredir: str | Path | None = None,
    pytests: bool = False,
    tree: tuple[str, str] = ("Go/No-Go gates", "gates"),
) -> list[Sink]:
    """The file outputs a front-end was asked for: a new format is one class above and one line here.
    ``pytests``: a gate run, whose items give pytest's JUnit and allure-pytest each gate's result; ``tree``: where
    the results sit in Allure (parentSuite, suite)."""
    outputs: list[Sink] = []
    if gate_report:
        outputs.append(GateReport(gate_report))
    if junit and not pytests:  # pytest's own junitxml writes a gate run's cases (a stopped run's: its plugin's end)
        outputs.append(JUnit(junit))
    if alluredir:
        outputs.append(Allure(alluredir, pytests=pytests, parent=tree[0], suite=tree[1]))
    return outputs


def write_all(record: Record, sinks: Iterable[Sink]) -> list[str]:
    """Every sink, the console last; what could not be written, one line each."""
    ordered = sorted(sinks, key=lambda sink: isinstance(sink, Console))
    problems = []
    for sink in ordered:
        try:
            sink.write(record)
        except OSError as exc:
            problems.append(f"{exc.filename or type(sink).__name__} could not be written: {exc.strerror or exc}")
    return problems
