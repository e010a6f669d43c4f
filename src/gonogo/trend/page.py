"""The trend as one self-contained HTML page (inline SVG, no script, no CDN), and as Markdown for chat or mail."""

from __future__ import annotations

import os
from datetime import datetime
from html import escape
from pathlib import Path

from gonogo.core.units import Dimension, format_value
from gonogo.trend.history import History
from gonogo.trend.period import Line, PeriodTrend

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 520, 170, 60, 36, 24
VERDICT_CLASS = {"go": "go", "no-go": "nogo"}  # a class attribute never carries a report's own text
COLOURS = {"pass": "#27ae60", "fail": "#c0392b", "warn": "#e67e22", "inconclusive": "#7f8c8d", "not_run": "#bdc3c7"}


def _value_axis(low: float, high: float, y, shown) -> list[str]:
    """The value axis: its line at the plot's left, and the lowest, middle and highest figures drawn, labelled."""
    plot_bottom = y(low)
    parts = [f'<line x1="{LEFT}" y1="{TOP - 4}" x2="{LEFT}" y2="{plot_bottom:.1f}" stroke="#333"/>']
    for value in dict.fromkeys((low, (low + high) / 2, high)):
        parts.append(
            f'<line x1="{LEFT - 3}" y1="{y(value):.1f}" x2="{LEFT}" y2="{y(value):.1f}" stroke="#333"/>'
            f'<text x="{LEFT - 5}" y="{y(value) + 3:.1f}" text-anchor="end">{escape(shown(value))}</text>'
        )
    return parts


def gate_svg(history: History, gate: str) -> str:
    """The gate's figure in each run (a dot coloured by its status), its limit as a dashed line."""
    points = history.series(gate)
    values = [e["measured"] for _, e in points if e.get("measured") is not None]
    limits = [e["threshold"]["value"] for _, e in points if (e.get("threshold") or {}).get("value") is not None]
    title = f"{gate}: {points[-1][1].get('display', {}).get('measured', '?')} in the last run" if points else gate
    if not values:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="40"><text x="4" y="24">'
            f"{escape(gate)}: never measured</text></svg>"
        )
    least, most = min(values + limits), max(values + limits)
    span = (most - least) or abs(most) or 1.0
    low, high = least - span * 0.1, most + span * 0.1
    plot_w, plot_h = WIDTH - LEFT - 12, HEIGHT - BOTTOM - TOP
    step = plot_w / max(1, len(points) - 1)
    dimension = _dimension(points[-1][1])

    def y(value: float) -> float:
        return TOP + plot_h - (value - low) / (high - low) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
        f'font-size="10"><title>{escape(title)}</title>',
        f'<text x="{LEFT}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 12}" y2="{TOP + plot_h}" stroke="#333"/>',
        *_value_axis(least, most, y, lambda v: format_value(v, dimension)),
    ]
    if limits:
        limit_text = (points[-1][1].get("threshold") or {}).get("text") or "limit"
        parts.append(
            f'<line x1="{LEFT}" y1="{y(limits[-1]):.1f}" x2="{WIDTH - 12}" y2="{y(limits[-1]):.1f}" '
            f'stroke="#c0392b" stroke-dasharray="5 3"><title>limit</title></line>'
            f'<text x="{WIDTH - 14}" y="{y(limits[-1]) - 3:.1f}" text-anchor="end" fill="#c0392b">'
            f"limit {escape(limit_text)}</text>"
        )
    line = []
    for index, (run, entry) in enumerate(points):
        x = LEFT + index * step
        if entry.get("measured") is None:
            continue
        line.append(f"{x:.1f},{y(entry['measured']):.1f}")
        colour = COLOURS.get(entry.get("status", ""), "#333")
        shown = entry.get("display", {}).get("measured", "")
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y(entry["measured"]):.1f}" r="3.5" fill="{colour}">'
            f"<title>{escape(run.label)}: {escape(shown)} ({escape(entry.get('status', ''))})</title></circle>"
        )
    parts.insert(3, f'<polyline points="{" ".join(line)}" fill="none" stroke="#4a90d9" stroke-width="1.5"/>')
    parts.append(  # the time axis: each run a point, in the order they ran
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 2}" text-anchor="middle" fill="#555">'
        f"runs, oldest to newest ({len(points)})</text>"
    )
    for index, anchor in ((0, "start"), (len(points) - 1, "end")):
        parts.append(
            f'<text x="{LEFT + index * step:.1f}" y="{HEIGHT - 12}" text-anchor="{anchor}">'
            f"{escape(points[index][0].label)}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _dimension(entry: dict) -> Dimension:
    try:
        return Dimension(entry.get("unit"))
    except ValueError:
        return Dimension.COUNT


def line_svg(line: Line, trend: PeriodTrend) -> str:
    """One figure over the period (a line; its gate's limit dashed), or why there is none."""
    name = line.figure.name
    if not line.points:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="40"><text x="4" y="24">'
            f"{escape(name)}: no data ({escape(line.problem)})</text></svg>"
        )
    values = [v for _, v in line.points] + ([line.limit] if line.limit is not None else [])
    least, most = min(values), max(values)
    span = (most - least) or abs(most) or 1.0
    low, high = least - span * 0.1, most + span * 0.1
    plot_w, plot_h = WIDTH - LEFT - 12, HEIGHT - BOTTOM - TOP
    width = (trend.end - trend.start) or 1.0

    def x(at: float) -> float:
        return LEFT + (at - trend.start) / width * plot_w

    def y(value: float) -> float:
        return TOP + plot_h - (value - low) / (high - low) * plot_h

    title = f"{name}: {line.display(line.points[-1][1])} at the end"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
        f'font-size="10"><title>{escape(title)}</title>',
        f'<text x="{LEFT}" y="14" font-size="12" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 12}" y2="{TOP + plot_h}" stroke="#333"/>',
        *_value_axis(least, most, y, line.display),
        '<polyline fill="none" stroke="#4a90d9" stroke-width="1.2" points="'
        + " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in line.points)
        + '"/>',
    ]
    if line.limit is not None:
        parts.append(
            f'<line x1="{LEFT}" y1="{y(line.limit):.1f}" x2="{WIDTH - 12}" y2="{y(line.limit):.1f}" '
            f'stroke="#c0392b" stroke-dasharray="5 3"><title>limit ({escape(line.gate)})</title></line>'
            f'<text x="{WIDTH - 14}" y="{y(line.limit) - 3:.1f}" text-anchor="end" fill="#c0392b">'
            f"{escape(line.limit_text)}</text>"
        )
    for at, anchor in ((trend.start, "start"), (trend.end, "end")):
        parts.append(
            f'<text x="{x(at):.1f}" y="{HEIGHT - 12}" text-anchor="{anchor}">'
            f"{escape(datetime.fromtimestamp(at).strftime('%m-%d %H:%M'))}</text>"
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _change(pct: float | None) -> str:
    return "" if pct is None else f"{pct:+.1f} %"


def period_html(trend: PeriodTrend) -> str:
    rows = "".join(
        f"<tr><td>{escape(r['figure'])}</td><td>{escape(r['first'])}</td><td>{escape(r['last'])}</td>"
        f"<td>{_change(r['change_pct'])}</td><td>{escape(r['limit'])}</td></tr>"
        for r in trend.rows()
    )
    pictures = "\n".join(f"<div class='plot'>{line_svg(line, trend)}</div>" for line in trend.lines)
    return (
        f"<h2>Over the period, from Prometheus ({escape(trend.environment)})</h2>"
        f"<p>{escape(_when(trend.start))} to {escape(_when(trend.end))}, one reading every {trend.step:,.0f} s; "
        f"first and last {_span(trend.stretch_s)} compared.</p>"
        "<table><tr><th>figure</th><th>first</th><th>last</th><th>change</th><th>limit</th></tr>"
        f"{rows}</table>\n{pictures}"
    )


def _span(seconds: float) -> str:
    return f"{seconds / 3600:,.1f} h" if seconds >= 3600 else f"{seconds / 60:,.1f} min"


def _when(at: float) -> str:
    return datetime.fromtimestamp(at).strftime("%Y-%m-%d %H:%M")


def _copies(run, out: Path) -> str:
    """The other reports of the same run: one point of the trend, said beside it."""
    if not run.copies:
        return ""
    names = ", ".join(escape(os.path.relpath(p, out.parent)) for p in run.copies)
    return f"<br><small>the same run ({escape(run.identity)}) also in: {names}: shown once</small>"


def runs_html(history: History, out: Path) -> str:
    shift = history.latency_shift()

    def allure(run) -> str:
        if run.allure is None:
            return ""
        return f"<a href='{escape(os.path.relpath(run.allure, out.parent))}'>Allure</a>"

    rows = "".join(
        f"<tr><td>{escape(run.label)}</td><td class='{VERDICT_CLASS.get(run.verdict, '')}'>{escape(run.verdict)}</td>"
        f"<td>{escape(run.environment)}</td><td><a href='{escape(os.path.relpath(run.path, out.parent))}'>"
        f"{escape(run.path.name)}</a>{_copies(run, out)}</td><td>{allure(run)}</td></tr>"
        for run in history.runs
    )
    moved = "".join(
        f"<tr><td>{escape(m.gate)}</td><td>{escape(m.display_first)}</td><td>{escape(m.display_last)}</td>"
        f"<td>{escape(m.change_text())}</td><td>{escape(m.status_text('→'))}</td></tr>"
        for m in history.movements()
    )
    pictures = "\n".join(f"<div class='plot'>{gate_svg(history, g)}</div>" for g in history.gate_ids())
    significance = (
        "<p>Latency, last run against the one before: "
        + escape(
            ("significantly slower: " if shift.p_value < 0.01 else "not significantly slower: ") + shift.describe()
        )
        + "</p>"
        if shift is not None
        else ""
    )
    return f"""<p>{len(history.runs)} runs, {escape(history.runs[0].label)} to {escape(history.runs[-1].label)}.</p>
{significance}
<h2>Runs</h2><table><tr><th>run</th><th>verdict</th><th>environment</th><th>report</th><th>Allure</th></tr>{rows}
</table>
<h2>Which gates moved</h2><table><tr><th>gate</th><th>first</th><th>last</th><th>change</th><th>status</th></tr>{moved}
</table>
<h2>Each gate over time</h2>
{pictures}"""


def html(history: History, title: str, out: Path, period: PeriodTrend | None = None) -> str:
    problems = "".join(f"<li>{escape(p)}</li>" for p in history.problems)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse}} td,th{{border:1px solid #ccc;
padding:2px 8px}} .go{{color:#27ae60}} .nogo{{color:#c0392b}} .plot{{display:inline-block;margin:4px}}</style></head>
<body><h1>{escape(title)}</h1>
{period_html(period) if period is not None else ""}
{runs_html(history, out) if history.runs else ""}
{f"<h2>Reports not read</h2><ul>{problems}</ul>" if problems else ""}
</body></html>
"""


def markdown(history: History, title: str, period: PeriodTrend | None = None) -> str:
    lines = [f"# {title}", ""]
    if period is not None:
        lines += [
            f"Over {_when(period.start)} to {_when(period.end)} ({period.environment}, Prometheus): "
            f"first and last {_span(period.stretch_s)}",
            "",
            "| figure | first | last | change | limit |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {r['figure']} | {r['first']} | {r['last']} | {_change(r['change_pct'])} | {r['limit']} |"
            + (f" {r['problem']}" if r["problem"] else "")
            for r in period.rows()
        ]
        lines.append("")
    if history.runs:
        lines += [
            f"{len(history.runs)} runs; verdicts: " + ", ".join(f"{r.label} {r.verdict}" for r in history.runs),
            "",
        ]
        lines += [
            f"- the same run ({r.identity}) also in: {', '.join(map(str, r.copies))}: shown once"
            for r in history.runs
            if r.copies
        ]
        shift = history.latency_shift()
        if shift is not None:
            lines += [f"Latency, last run against the one before: {shift.describe()}", ""]
        lines += ["| gate | first | last | change | status |", "|---|---|---|---|---|"]
        for m in history.movements():
            lines.append(f"| {m.gate} | {m.display_first} | {m.display_last} | {m.change_text()} | {m.status_text()} |")
    lines += [f"- not read: {p}" for p in history.problems]
    return "\n".join(lines) + "\n"
