"""Configuration errors that name the file, the place, the bad value and the fix."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gonogo.core.redaction import mask_userinfo, redact
from gonogo.core.units import Dimension, UnitError, parse_quantity

__all__ = ["ConfigError", "Problem", "mask_userinfo"]  # mask_userinfo: where config messages have always found it


@dataclass(frozen=True)
class Problem:
    place: str  # "gate 'load.latency' (gates[3]).threshold"
    message: str
    line: int | None = None  # 1-based


class ConfigError(Exception):
    """One or more problems in one configuration file. Every problem is listed."""

    def __init__(self, source: str | Path, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("", problems)]
        self.source = str(source)
        self.problems = problems
        super().__init__(self.render())

    def render(self) -> str:
        lines = [f"Error in {self.source}:"]
        for p in self.problems:
            where = (f"{p.place} (line {p.line})" if p.place else f"line {p.line}") if p.line else p.place
            lines.append(f"  - {where}: {p.message}" if where else f"  - {p.message}")
        return redact("\n".join(lines))


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` or an empty string."""
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""


def one_of(choices: Iterable[str]) -> str:
    return ", ".join(f"'{c}'" for c in choices)


def duration_option(text: str, option: str, *, least: float = 1.0, most: float = 366 * 86400.0) -> float:
    """A command-line duration (``--for 24h``, ``--period 7d``) in seconds, from ``least`` to ``most`` (a second
    to a year unless the option says otherwise), or the error naming the option."""
    try:
        value = parse_quantity(text.strip(), Dimension.DURATION).value
    except UnitError as exc:
        raise ConfigError(option, f"'{text}' is not a duration ({exc}); e.g. 90s, 5m, 1h, 24h, 7d") from None
    if not (math.isfinite(value) and least <= value <= most):
        raise ConfigError(
            option, f"'{text}' must be from {_seconds(least)} to {_seconds(most)}; e.g. 90s, 5m, 1h, 24h, 7d"
        )
    return value


def _seconds(value: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if value >= size and value % size == 0:
            return f"{value / size:g} {unit}"
    return f"{value:g} s"
