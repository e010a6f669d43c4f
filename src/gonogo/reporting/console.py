"""The verdict table and line: a rich table on a terminal, a plain layout that fits 80 columns elsewhere
(CI logs, `| tee`), where rich would squash the columns and break each cell over several lines."""

from __future__ import annotations

import io
from typing import Literal

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from gonogo.core.redaction import for_terminal
from gonogo.gates.rules import Status
from gonogo.gates.verdict import Verdict

_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.INCONCLUSIVE: "bold magenta",
    Status.NOT_RUN: "dim",
}


def gate_table(verdict: Verdict) -> Table:
    table = Table(title="Go/No-Go gates", title_justify="left", show_lines=False)
    columns: list[tuple[str, Literal["left", "right"]]] = [
        ("gate", "left"),
        ("req", "left"),
        ("measured", "right"),
        ("threshold", "left"),
        ("margin", "right"),
        ("samples", "right"),
        ("status", "left"),
    ]
    for column, justify in columns:
        table.add_column(column, justify=justify, no_wrap=column in ("gate", "status"))
    for r in verdict.results:
        status = _status_text(r)
        threshold = r.threshold_text() + (" *" if r.gate.override_reason or r.out_of_scope else "")
        table.add_row(
            _cell(r.gate.id),
            _cell(r.gate.requirement),
            _cell(r.fmt(r.measured)),
            _cell(threshold),
            _cell(r.margin_text()),
            str(r.samples) if r.status is not Status.NOT_RUN else "—",
            f"[{_STYLE[r.status]}]{status}[/]",
        )
    return table


def _cell(text: str) -> str:
    """A table cell from text a gates file, a report or a server may have supplied: no markup, no control codes."""
    return escape(for_terminal(text))


def notes(verdict: Verdict, evidence_lines: int | None = 1) -> list[str]:
    """Why each non-passing gate is what it is, what a passing gate saw (its first ``evidence_lines`` pieces of
    evidence; None: all), and every environment override in force."""
    lines = []
    for r in verdict.results:
        if r.status in (Status.FAIL, Status.WARN, Status.INCONCLUSIVE):
            lines.append(f"{r.gate.id}: {r.message}")
            lines.extend(_capped(r.details, 10))
    for r in verdict.results:
        if r.status is Status.PASS and r.evidence and evidence_lines != 0:
            lines.append(f"{r.gate.id}: passed on {len(r.evidence)} check{'s' if len(r.evidence) > 1 else ''}")
            lines.extend(_capped(r.evidence, evidence_lines))
    for r in verdict.results:
        if r.gate.override_reason:
            lines.append(f"* {r.gate.id}: overridden for this environment — {r.gate.override_reason}")
        for what in r.out_of_scope:
            lines.append(f"* {r.gate.id}: not covered, out of scope for this environment — {what}")
    return [for_terminal(line) for line in lines]


def _capped(items: list[str], limit: int | None) -> list[str]:
    shown = items if limit is None else items[:limit]
    more = [f"    … {len(items) - len(shown)} more in the gate report"] if len(items) > len(shown) else []
    return [f"    {item}" for item in shown] + more


PLAIN_WIDTH = 80
PLAIN_THRESHOLD = 12  # a longer threshold does not widen the column for every row


def _status_text(r) -> str:
    return r.status.symbol + (f" ({r.excused})" if r.excused else "")


def plain_table(verdict: Verdict) -> list[str]:
    """One line per gate, columns sized to their content: gate, requirement, measured, threshold, status, samples.
    The margin is left to the gate report. A row that would pass 80 columns puts its status on a line of its own,
    under its threshold."""
    rows = []
    for r in verdict.results:
        threshold = r.threshold_text().replace(" window", "") + (
            " *" if r.gate.override_reason or r.out_of_scope else ""
        )
        samples = f"n={r.samples}" if r.status is not Status.NOT_RUN else ""
        row = (r.gate.id, r.gate.requirement, r.fmt(r.measured), threshold, f"{_status_text(r)}  {samples}".strip())
        rows.append(tuple(for_terminal(text) for text in row))
    header = ("gate", "req", "measured", "threshold", "status")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    widths.append(min(PLAIN_THRESHOLD, max(len(row[3]) for row in [header, *rows])))
    lines = ["Go/No-Go gates"]
    for gate, req, measured, threshold, status in [header, *rows]:
        head = f"{gate:<{widths[0]}}  {req:<{widths[1]}}  {measured:>{widths[2]}}  "
        line = f"{head}{threshold:<{widths[3]}}  {status}"
        if len(line) <= PLAIN_WIDTH:
            lines.append(line.rstrip())
        else:
            lines += [f"{head}{threshold}", " " * len(head) + status]
    return lines


def render(
    verdict: Verdict, width: int = 120, color: bool = False, plain: bool = False, evidence_lines: int | None = 1
) -> str:
    """The table and the notes. ``plain``: no terminal (see plain_table); the notes wrap at 80 columns."""
    if plain:
        import textwrap

        out = plain_table(verdict)
        for line in notes(verdict, evidence_lines):
            indent = line[: len(line) - len(line.lstrip())]
            out += textwrap.wrap(
                line, PLAIN_WIDTH, subsequent_indent=indent + "    ", break_long_words=False, break_on_hyphens=False
            ) or [""]
        return "\n".join(out) + "\n"
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        soft_wrap=False,
    )
    console.print(gate_table(verdict))
    for line in notes(verdict, evidence_lines):
        console.print(line, markup=False)
    return buffer.getvalue()
