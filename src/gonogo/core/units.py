"""Quantities with units: parsing thresholds like ``500 ms`` and formatting figures.

Every figure is compared in its dimension's canonical unit (seconds, fraction,
per second, bytes, plain count) and shown in the metric's display unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum


class Dimension(str, Enum):
    DURATION = "duration"  # canonical: seconds
    FRACTION = "fraction"  # canonical: 0..1, shown as %
    THROUGHPUT = "throughput"  # canonical: per second
    BYTES = "bytes"  # canonical: bytes
    COUNT = "count"  # canonical: 1


# unit spelling -> (dimension, factor to canonical)
UNITS: dict[str, tuple[Dimension, float]] = {
    "ns": (Dimension.DURATION, 1e-9),
    "us": (Dimension.DURATION, 1e-6),
    "µs": (Dimension.DURATION, 1e-6),
    "ms": (Dimension.DURATION, 1e-3),
    "s": (Dimension.DURATION, 1.0),
    "m": (Dimension.DURATION, 60.0),
    "min": (Dimension.DURATION, 60.0),
    "h": (Dimension.DURATION, 3600.0),
    "d": (Dimension.DURATION, 86400.0),
    "days": (Dimension.DURATION, 86400.0),
    "%": (Dimension.FRACTION, 0.01),
    "rps": (Dimension.THROUGHPUT, 1.0),
    "/s": (Dimension.THROUGHPUT, 1.0),
    "rpm": (Dimension.THROUGHPUT, 1 / 60),
    "B": (Dimension.BYTES, 1.0),
    "KB": (Dimension.BYTES, 1e3),
    "MB": (Dimension.BYTES, 1e6),
    "GB": (Dimension.BYTES, 1e9),
    "KiB": (Dimension.BYTES, 1024.0),
    "MiB": (Dimension.BYTES, 1024.0**2),
    "GiB": (Dimension.BYTES, 1024.0**3),
    "": (Dimension.COUNT, 1.0),
}

#: How each dimension is shown when the metric names no display unit.
DEFAULT_DISPLAY = {
    Dimension.DURATION: "ms",
    Dimension.FRACTION: "%",
    Dimension.THROUGHPUT: "rps",
    Dimension.BYTES: "MiB",
    Dimension.COUNT: "",
}

_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*(\S*)\s*$")


class UnitError(ValueError):
    """A quantity that cannot be read, or whose unit has the wrong dimension."""


@dataclass(frozen=True)
class Quantity:
    value: float  # canonical unit of `dimension`
    dimension: Dimension
    text: str  # as written, for messages

    def __str__(self) -> str:
        return self.text


def units_of(dimension: Dimension) -> list[str]:
    return [u for u, (d, _) in UNITS.items() if d is dimension and u]


def parse_quantity(text: str | int | float, expected: Dimension | None = None) -> Quantity:
    """Read ``"500 ms"``, ``"0.1 %"``, ``"1000 rps"`` or a bare count.

    With ``expected`` the unit must belong to that dimension; a bare number is
    only accepted for counts, so ``500`` never silently means 500 seconds.
    """
    raw = str(text)
    match = _QUANTITY.match(raw)
    if not match:
        raise UnitError(f"'{raw}' is not a number with a unit (examples: '500 ms', '0.1 %', '1000 rps')")
    number, unit = float(match.group(1)), match.group(2)
    if unit not in UNITS:
        known = ", ".join(u for u in UNITS if u)
        raise UnitError(f"unknown unit '{unit}' in '{raw}'; known units: {known}")
    dimension, factor = UNITS[unit]
    if expected is not None and dimension is not expected:
        if dimension is Dimension.COUNT:
            hint = ", ".join(units_of(expected))
            raise UnitError(f"'{raw}' needs a unit of {expected.value} ({hint})")
        wanted = ", ".join(units_of(expected)) or "a plain number"
        raise UnitError(f"'{raw}' is a {dimension.value}, but this figure is a {expected.value} ({wanted})")
    return Quantity(number * factor, dimension, raw.strip())


def format_value(value: float | None, dimension: Dimension, unit: str | None = None) -> str:
    """Show a canonical value in ``unit`` (or the dimension's default unit)."""
    if value is None:
        return "—"
    unit = DEFAULT_DISPLAY[dimension] if unit is None else unit
    factor = UNITS[unit][1]
    shown = value / factor
    if dimension is Dimension.COUNT and float(shown).is_integer():
        return f"{int(shown)}"
    text = _significant(shown)
    return f"{text} {unit}" if unit else text


def _significant(x: float) -> str:
    magnitude = abs(x)
    if magnitude >= 1000 or magnitude == 0 or float(x).is_integer():
        return f"{x:,.0f}" if magnitude >= 1000 else f"{x:g}"
    if magnitude >= 100:
        return f"{x:.1f}"
    if magnitude >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"
