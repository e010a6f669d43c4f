"""The metrics gonogo's suites produce, assembled from each suite's declaration (one module per suite here: its name,
its place in a gate run, its metrics).

A gate may only read a metric listed here, so a typo in gates.yaml is a configuration error, never a silently
unmeasured gate. Suites record into the store by these names; the store refuses names that are not listed. A suite
of gonogo's is one module here and one entry in ``BUILT_IN``; a suite of its own package declares itself through an
entry point of the group ``gonogo.suites`` (docs/architecture.md, "Where a change goes").
"""

from __future__ import annotations

from importlib.metadata import entry_points

from gonogo.core.catalog import db, deploy, load, security, smoke, watch
from gonogo.core.catalog.metric import AGGREGATIONS, WATCH, Kind, MetricDef, Suite

__all__ = [
    "AGGREGATIONS",
    "BROKEN",
    "BUILT_IN",
    "CATALOG",
    "DECLARED",
    "SUITES",
    "WATCH",
    "Kind",
    "MetricDef",
    "Suite",
    "installed",
    "suite_metrics",
]

BUILT_IN: tuple[Suite, ...] = (smoke.SUITE, load.SUITE, db.SUITE, security.SUITE, deploy.SUITE, watch.SUITE)
ENTRY_POINTS = "gonogo.suites"


def installed() -> tuple[tuple[Suite, ...], list[str]]:
    """The suites other packages declare (each entry point of the group ``gonogo.suites`` names a ``Suite``), and
    why each one that could not be read was not: a broken package is bad input, said where the gates are read."""
    found, broken = [], []
    for point in sorted(entry_points(group=ENTRY_POINTS), key=lambda p: p.name):
        where = f"entry point {point.name} = {point.value} (group {ENTRY_POINTS})"
        try:
            suite = point.load()
        except Exception as exc:  # a package that does not import: named, never a traceback at import time
            broken.append(f"{where} could not be loaded: {exc.__class__.__name__}: {exc}")
            continue
        if not isinstance(suite, Suite) or suite.name != point.name:
            broken.append(f"{where} must name a gonogo.core.catalog.Suite called {point.name!r}, not {suite!r:.80}")
        elif suite.name in {s.name for s in BUILT_IN}:
            broken.append(f"{where}: gonogo has a suite {suite.name!r} of its own")
        else:
            found.append(suite)
    return tuple(found), broken


def suites(declared: tuple[Suite, ...]) -> tuple[str, ...]:
    """The suites of a gate run, in run order (the database suite reads the server's counters over the load run; the
    deploy drill switches the target last)."""
    return tuple(s.name for s in sorted((s for s in declared if s.order is not None), key=lambda s: s.order or 0))


def catalog(declared: tuple[Suite, ...]) -> dict[str, MetricDef]:
    """Every declared metric by name; a metric declared twice, or by a suite it does not name, is a bug here."""
    found: dict[str, MetricDef] = {}
    for suite in declared:
        for definition in suite.metrics:
            assert definition.name not in found, f"{definition.name} is declared twice"
            assert definition.suite == suite.name, f"{definition.name} names suite {definition.suite}, not {suite.name}"
            found[definition.name] = definition
    return found


_INSTALLED, BROKEN = installed()
DECLARED: tuple[Suite, ...] = BUILT_IN + _INSTALLED
SUITES = suites(DECLARED)
CATALOG = catalog(DECLARED)


def suite_metrics(suite: str) -> tuple[str, ...]:
    """Every metric ``suite`` produces (what its gates read when it could not run)."""
    return tuple(name for name, definition in CATALOG.items() if definition.suite == suite)
