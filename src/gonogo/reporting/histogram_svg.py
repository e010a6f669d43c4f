"""A latency histogram as an SVG picture for the Allure report: response counts per latency bucket
(log-spaced edges), with the percentiles and the gate's limit drawn as vertical lines."""

from __future__ import annotations

import itertools
import math
from html import escape

from gonogo.core.histogram import LatencyHistogram

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 760, 320, 60, 50, 30


def edges(low: float, high: float, per_decade: int = 8) -> list[float]:
    """Log-spaced bucket edges covering [low, high] seconds."""
    start, stop = (
        math.floor(math.log10(max(low, 1e-5)) * per_decade),
        math.ceil(math.log10(max(high, 2e-5)) * per_decade),
    )
    return [10 ** (i / per_decade) for i in range(start, stop + 1)]


def render(histogram: LatencyHistogram, title: str, limit_seconds: float | None = None) -> str:
    low, high = histogram.min_seconds(), histogram.max_seconds()
    if low is None or high is None:  # no responses
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="60">'
            f'<text x="10" y="30">{escape(title)}: no responses</text></svg>'
        )
    bounds = edges(low, high)
    counts = histogram.buckets(bounds)[1 : len(bounds)]  # between consecutive edges
    peak = max(counts) or 1
    plot_w, plot_h = WIDTH - LEFT - 20, HEIGHT - BOTTOM - TOP
    low, high = math.log10(bounds[0]), math.log10(bounds[-1])

    def x(seconds: float) -> float:
        return LEFT + (math.log10(max(seconds, bounds[0])) - low) / (high - low or 1) * plot_w

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
        f'font-size="11">',
        f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{escape(title)} — {histogram.count:,} '
        f"responses</text>",
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - 20}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
    ]
    for (left, right), count in zip(itertools.pairwise(bounds), counts, strict=False):
        h = count / peak * plot_h
        parts.append(
            f'<rect x="{x(left):.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{max(x(right) - x(left) - 1, 1):.1f}" '
            f'height="{h:.1f}" fill="#4a90d9"><title>{left * 1000:.3g}–{right * 1000:.3g} ms: {count}</title></rect>'
        )
    for decade in range(math.ceil(low), math.floor(high) + 1):
        seconds = 10**decade
        parts.append(
            f'<text x="{x(seconds):.1f}" y="{HEIGHT - BOTTOM + 15}" text-anchor="middle">{_ms(seconds)}</text>'
        )
    marks = [(f"p{p:g}", histogram.percentile_seconds(p), "#e67e22") for p in (50, 95, 99)]
    if limit_seconds:
        marks.append(("limit", limit_seconds, "#c0392b"))
    for index, (label, seconds, colour) in enumerate(marks):
        if seconds is None:
            continue
        parts.append(
            f'<line x1="{x(seconds):.1f}" y1="{TOP}" x2="{x(seconds):.1f}" y2="{HEIGHT - BOTTOM}" stroke="{colour}" '
            f'stroke-dasharray="4 3"/><text x="{x(seconds) + 3:.1f}" y="{TOP + 12 + 12 * index}" fill="{colour}">'
            f"{label} {_ms(seconds)}</text>"
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 12}" text-anchor="middle">latency (log scale)</text></svg>'
    )
    return "\n".join(parts)


def _ms(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.3g} ms" if ms < 1000 else f"{seconds:.3g} s"
