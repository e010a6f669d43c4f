"""The verdict on a console: one line per gate that fits the terminal (80 columns included) and carries its gate id,
what does not block, and right above the verdict line the gates that block Go, failures first.

The same lines on a terminal (the status coloured) and in a CI log or a pipe (plain). Columns a narrow terminal has
no room for are left out, the least needed first (samples, margin, requirement); the gate report keeps them all.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.text import Text

from gonogo.core.redaction import for_terminal
from gonogo.gates.rules import GateResult, Status
from gonogo.gates.verdict import Verdict

_STYLE = {
    Status.PASS: "green",
    Status.FAIL: "bold red",
    Status.WARN: "yellow",
    Status.INCONCLUSIVE: "bold magenta",
    Status.NOT_RUN: "dim",
}

LEGEND = "✓ passed  ✗ blocks Go  ! warns  · does not block  * set for this environment"  # 76 columns


def mark(r: GateResult) -> str:
    """k6's marks: ✓ held, ✗ blocks Go; ! a warning; · undecided or not run without blocking."""
    if r.status is Status.PASS:
        return "✓"
    if r.blocks:
        return "✗"
    return "!" if r.status is Status.WARN else "·"


@dataclass(frozen=True)
class _Column:
    header: str
    cell: Callable[[GateResult], str]
    right: bool = False
    drop_rank: int = 0  # left out first where the width is short: the highest rank; 0 never


def _threshold(r: GateResult) -> str:
    every = f" in every {r.gate.every} window"
    text = r.threshold_text().replace(every, f"/{r.gate.every}") if r.gate.every else r.threshold_text()
    return text + (" *" if r.gate.override_reason or r.out_of_scope else "")


def _status(r: GateResult) -> str:
    return f"{mark(r)} {r.status.symbol}"


def _margin(r: GateResult) -> str:
    if r.excused:
        return r.excused  # an undecided gate has no margin: what it has is the reason it does not block
    return "" if r.margin is None else r.margin_text()


COLUMNS = (
    _Column("  STATUS", _status),
    _Column("GATE", lambda r: r.gate.id),
    _Column("REQ", lambda r: r.gate.requirement, drop_rank=1),
    _Column("MEASURED", lambda r: r.fmt(r.measured), right=True),
    _Column("THRESHOLD", _threshold),
    _Column("MARGIN", _margin, drop_rank=2),
    _Column("N", lambda r: f"{r.samples:,}" if r.status is not Status.NOT_RUN else "", right=True, drop_rank=3),
)


def table(verdict: Verdict, width: int = 80) -> list[tuple[str, GateResult | None]]:
    """The header and one line per gate, each at most ``width`` columns (a line that would still be wider loses its
    end to "…": never its status or gate id, which come first)."""
    rows = [[for_terminal(c.cell(r)) for c in COLUMNS] for r in verdict.results]
    header = [c.header for c in COLUMNS]
    columns = list(range(len(COLUMNS)))
    while True:
        widths = {i: max(len(row[i]) for row in [header, *rows]) for i in columns}
        total = sum(widths.values()) + 2 * (len(columns) - 1)
        droppable = [i for i in columns if COLUMNS[i].drop_rank]
        if total <= width or not droppable:
            break
        columns.remove(max(droppable, key=lambda i: COLUMNS[i].drop_rank))

    def line(cells: list[str]) -> str:
        parts = [cells[i].rjust(widths[i]) if COLUMNS[i].right else cells[i].ljust(widths[i]) for i in columns]
        text = "  ".join(parts).rstrip()
        return text if len(text) <= width else text[: width - 1] + "…"

    return [(line(header), None)] + [(line(row), r) for row, r in zip(rows, verdict.results, strict=True)]


def _reason(r: GateResult) -> str:
    return r.message.removeprefix(f"{r.gate.id} failed: ")  # the line already names the gate


def _wrapped(text: str, width: int, indent: str = "    ") -> list[str]:
    return textwrap.wrap(
        for_terminal(text), width, subsequent_indent=indent, break_long_words=True, break_on_hyphens=False
    ) or [""]


def notes(verdict: Verdict, width: int = 80, verbose: bool = False) -> list[str]:
    """Below the table: what does not block (warnings, optional gates left undecided), the environment's settings
    folded into one line (all of them with ``verbose``), each passing gate's evidence with ``verbose``, and last the
    gates that block Go, failures first, each with its reason."""
    lines: list[str] = []
    quiet = [r for r in verdict.results if r.status in (Status.WARN, Status.INCONCLUSIVE) and not r.blocks]
    if quiet:
        lines.append(f"Does not block Go ({len(quiet)}):")
        for r in quiet:
            why = f" ({r.excused})" if r.excused else ""
            lines += _wrapped(f"{mark(r)} {r.gate.id} {r.status.symbol}{why}: {_reason(r)}", width)
    settings = [
        f"* {r.gate.id}: overridden for this environment — {r.gate.override_reason}"
        for r in verdict.results
        if r.gate.override_reason
    ] + [
        f"* {r.gate.id}: not covered, out of scope for this environment — {what}"
        for r in verdict.results
        for what in r.out_of_scope
    ]
    if settings and verbose:
        for line in settings:
            lines += _wrapped(line, width)
    elif settings:
        gates = len({r.gate.id for r in verdict.results if r.gate.override_reason or r.out_of_scope})
        lines += _wrapped(
            f"* {gates} gates are set for this environment (overrides, parts out of scope): -v or the gate report"
            " says why",
            width,
        )
    proven = [r for r in verdict.results if r.status is Status.PASS and r.evidence]
    if proven and verbose:
        for r in proven:
            lines.append(f"✓ {r.gate.id}: passed on {len(r.evidence)} check{'s' if len(r.evidence) > 1 else ''}")
            for item in r.evidence:
                lines += _wrapped(f"    {item}", width, indent="        ")
    elif proven:
        proof = f"{len(proven)} passing gate{'s' if len(proven) > 1 else ''}"
        lines += _wrapped(f"✓ {proof} kept what their checks saw: -v or the gate report", width)
    blocking = verdict.blocking
    if blocking:
        lines.append(f"Blocks Go ({len(blocking)}):")
        for r in blocking:
            lines += _wrapped(f"✗ {r.gate.id} {r.status.symbol}: {_reason(r)}", width)
            for detail in r.details[:10]:
                lines += _wrapped(f"    {detail}", width, indent="        ")
            if len(r.details) > 10:
                lines.append(f"    … {len(r.details) - 10} more in the gate report")
    return lines


def render(verdict: Verdict, width: int = 80, color: bool = False, verbose: bool = False) -> str:
    """The table, the notes and the blocking gates, every line at most ``width`` columns; ``color``: the marks and
    statuses styled for a terminal."""
    width = max(width, 40)
    rows = table(verdict, width)
    title = [f"Go/No-Go gates ({len(verdict.results)})"]
    legend = _wrapped(LEGEND, width, indent="  ")
    if not color:
        out = title + [text for text, _ in rows] + legend + notes(verdict, width, verbose)
        return "\n".join(out) + "\n"
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=width, force_terminal=True, color_system="standard", highlight=False, soft_wrap=True
    )
    console.print(title[0], markup=False, style="bold")
    for text, r in rows:
        styled = Text(text, style="bold" if r is None else "")
        if r is not None:
            styled.stylize(_STYLE[r.status], 0, 2 + len(r.status.symbol))
        console.print(styled)
    for line in legend:
        console.print(line, markup=False, style="dim")
    for line in notes(verdict, width, verbose):
        styled = Text(line)
        if line.startswith("✗") or line.startswith("Blocks Go"):
            styled.stylize("bold red")
        console.print(styled)
    return buffer.getvalue()
