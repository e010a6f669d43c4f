"""A deployment drill as an SVG picture for the Allure report: requests per second, stacked by the version that
answered and by failure, with the switch and rollback actions marked."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from html import escape
from typing import Protocol


class Shot(Protocol):
    """What the picture reads of one request of the deployment prober (gonogo.deploy.prober.Shot)."""

    @property
    def sent(self) -> float: ...
    @property
    def ok(self) -> bool: ...
    @property
    def version(self) -> str | None: ...


class ActionRun(Protocol):
    """What the picture reads of a deploy action that ran (gonogo.deploy.actions.ActionRun)."""

    @property
    def name(self) -> str: ...
    @property
    def started(self) -> float: ...
    @property
    def seconds(self) -> float: ...


WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 760, 300, 50, 45, 40
PALETTE = ("#4a90d9", "#27ae60", "#8e44ad", "#16a085")  # versions in the order they first answered
FAILED = "#c0392b"


def render(shots: Sequence[Shot], actions: Sequence[ActionRun], title: str) -> str:
    if not shots:
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="60">'
            f'<text x="10" y="30">{escape(title)}: no requests</text></svg>'
        )
    start = min(s.sent for s in shots)
    seconds = int(max(s.sent for s in shots) - start) + 1
    versions = list(dict.fromkeys(s.version or "?" for s in shots if s.ok))
    per_second: list[Counter] = [Counter() for _ in range(seconds)]
    for shot in shots:
        per_second[int(shot.sent - start)][(shot.version or "?") if shot.ok else FAILED] += 1
    peak = max(sum(c.values()) for c in per_second) or 1
    plot_w, plot_h = WIDTH - LEFT - 20, HEIGHT - BOTTOM - TOP
    bar = plot_w / seconds

    def x(at: float) -> float:
        return LEFT + (at - start) / seconds * plot_w

    failed = sum(1 for s in shots if not s.ok)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" '
        f'font-size="11">',
        f'<text x="{LEFT}" y="16" font-size="13" font-weight="bold">{escape(title)} — {len(shots):,} requests, '
        f"{failed:,} failed</text>",
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - 20}" y2="{HEIGHT - BOTTOM}" stroke="#333"/>',
    ]
    colours = {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(versions)} | {FAILED: FAILED}
    for second, counts in enumerate(per_second):
        y: float = HEIGHT - BOTTOM
        for key in [*versions, FAILED]:
            if not counts[key]:
                continue
            h = counts[key] / peak * plot_h
            y -= h
            label = "failed" if key == FAILED else f"version {key}"
            parts.append(
                f'<rect x="{LEFT + second * bar:.1f}" y="{y:.1f}" width="{max(bar - 1, 1):.1f}" height="{h:.1f}" '
                f'fill="{colours[key]}"><title>+{second} s: {counts[key]} {escape(label)}</title></rect>'
            )
    for action in actions:
        parts.append(
            f'<line x1="{x(action.started):.1f}" y1="{TOP - 6}" x2="{x(action.started):.1f}" y2="{HEIGHT - BOTTOM}" '
            f'stroke="#333" stroke-dasharray="4 3"/><text x="{x(action.started) + 3:.1f}" y="{TOP + 4}">'
            f"{escape(action.name)} ({action.seconds:.1f} s)</text>"
        )
    for index, (key, colour) in enumerate(colours.items()):
        label = "failed" if key == FAILED else f"version {key}"
        parts.append(
            f'<rect x="{LEFT + 130 * index}" y="{HEIGHT - 18}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{LEFT + 14 + 130 * index}" y="{HEIGHT - 9}">{escape(label)}</text>'
        )
    parts.append(f'<text x="{WIDTH - 20}" y="{HEIGHT - BOTTOM + 15}" text-anchor="end">{seconds} s</text></svg>')
    return "\n".join(parts)
