"""The verdict table and line, rendered with rich for a terminal or plain text."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from ..gates.rules import Status
from ..gates.verdict import Verdict

_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.INCONCLUSIVE: "bold magenta",
    Status.NOT_RUN: "dim",
}


def gate_table(verdict: Verdict) -> Table:
    table = Table(title="Go/No-Go gates", title_justify="left", show_lines=False)
    for column, justify in [("gate", "left"), ("req", "left"), ("measured", "right"), ("threshold", "left"),
                            ("margin", "right"), ("samples", "right"), ("status", "left")]:
        table.add_column(column, justify=justify, no_wrap=column in ("gate", "status"))
    for r in verdict.results:
        status = r.status.symbol + ("" if not (r.status is Status.INCONCLUSIVE and r.gate.optional) else " (optional)")
        threshold = r.threshold_text() + (" *" if r.gate.override_reason else "")
        table.add_row(r.gate.id, r.gate.requirement, r.fmt(r.measured), threshold, r.margin_text(),
                      str(r.samples) if r.status is not Status.NOT_RUN else "—", f"[{_STYLE[r.status]}]{status}[/]")
    return table


def notes(verdict: Verdict) -> list[str]:
    """Why each non-passing gate is what it is, and every environment override in force."""
    lines = []
    for r in verdict.results:
        if r.status in (Status.FAIL, Status.WARN, Status.INCONCLUSIVE):
            lines.append(f"{r.gate.id}: {r.message}")
            lines.extend(f"    {d}" for d in r.details[:10])
            if len(r.details) > 10:
                lines.append(f"    … {len(r.details) - 10} more in the gate report")
    for r in verdict.results:
        if r.gate.override_reason:
            lines.append(f"* {r.gate.id}: overridden for this environment — {r.gate.override_reason}")
    return lines


def render(verdict: Verdict, width: int = 120, color: bool = False) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=color, color_system="standard" if color else None,
                      highlight=False, soft_wrap=False)
    console.print(gate_table(verdict))
    for line in notes(verdict):
        console.print(line, markup=False)
    return buffer.getvalue()
