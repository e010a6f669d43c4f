"""The capacity ramp's curve as an SVG picture for the Allure report: each step's P95 against its arrival rate, the
requests per second it completed and its errors beside the point, the P95 limit and the capacity drawn as lines."""

from __future__ import annotations

from html import escape

from gonogo.loadgen.ramp import Capacity, Limits

WIDTH, HEIGHT, LEFT, RIGHT, BOTTOM, TOP = 760, 340, 70, 30, 50, 40
COLOURS = {"held": "#27ae60", "broke": "#c0392b", "throttled": "#7f8c8d", "generator": "#7f8c8d"}


def render(capacity: Capacity, limits: Limits, title: str = "load: capacity ramp") -> str:
    steps = [s for s in capacity.steps if s.p95_ms is not None]
    if not steps:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="60">'
            f'<text x="10" y="30">{escape(title)}: no step finished</text></svg>'
        )
    limit_ms = limits.p95_s * 1000
    top_ms = max(limit_ms * 1.2, *(s.p95_ms or 0 for s in steps))
    top_rate = max(s.rate for s in steps) * 1.08
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - BOTTOM - TOP

    def x(rate: float) -> float:
        return LEFT + rate / top_rate * plot_w

    def y(ms: float) -> float:
        return HEIGHT - BOTTOM - min(ms, top_ms) / top_ms * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
        f'font-size="11">',
        f'<text x="{LEFT}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
        f'<text x="{LEFT}" y="32">{escape(capacity.summary()[:120])}</text>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{y(limit_ms):.1f}" x2="{WIDTH - RIGHT}" y2="{y(limit_ms):.1f}" stroke="#c0392b" '
        f'stroke-dasharray="4 3"/><text x="{WIDTH - RIGHT - 4}" y="{y(limit_ms) - 4:.1f}" text-anchor="end" '
        f'fill="#c0392b">P95 limit {limit_ms:,.0f} ms</text>',
    ]
    for tick in range(5):
        ms = top_ms * tick / 4
        parts.append(f'<text x="{LEFT - 6}" y="{y(ms) + 4:.1f}" text-anchor="end">{ms:,.0f} ms</text>')
    if capacity.rate is not None:
        parts.append(
            f'<line x1="{x(capacity.rate):.1f}" y1="{TOP}" x2="{x(capacity.rate):.1f}" y2="{HEIGHT - BOTTOM}" '
            f'stroke="#27ae60" stroke-dasharray="2 2"/><text x="{x(capacity.rate) + 4:.1f}" y="{TOP + 10}" '
            f'fill="#27ae60">capacity {capacity.rps:,.0f} req/s{" (at least)" if capacity.bound else ""}</text>'
        )
    points = " ".join(f"{x(s.rate):.1f},{y(s.p95_ms or 0):.1f}" for s in steps)
    parts.append(f'<polyline points="{points}" fill="none" stroke="#4a90d9"/>')
    for s in steps:
        colour = COLOURS.get(s.outcome, "#333")
        parts.append(
            f'<circle cx="{x(s.rate):.1f}" cy="{y(s.p95_ms or 0):.1f}" r="4" fill="{colour}"><title>'
            f"{s.rate:g} arrivals/s: {s.rps:,.0f} req/s, P50 {s.p50_ms} ms, P95 {s.p95_ms} ms, errors {s.errors:.2%}, "
            f"pace {s.pace:.0%}: {escape(s.outcome)}{escape(' — ' + s.why) if s.why else ''}</title></circle>"
            f'<text x="{x(s.rate):.1f}" y="{HEIGHT - BOTTOM + 14}" text-anchor="middle">{s.rate:g}</text>'
            f'<text x="{x(s.rate) + 5:.1f}" y="{y(s.p95_ms or 0) - 6:.1f}" fill="{colour}">{s.rps:,.0f}/s'
            f"{f' {s.errors:.1%} err' if s.errors else ''}</text>"
        )
    parts.append(
        f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 14}" text-anchor="middle">arrivals per second asked (each '
        f"point: P95 of the step; beside it, requests completed per second)</text></svg>"
    )
    return "\n".join(parts)
