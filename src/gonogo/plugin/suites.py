"""Which suite a test belongs to, and which suites a command line covers."""

from __future__ import annotations

from pathlib import Path

import pytest

from gonogo.core.catalog import SUITES


def suites_dir(config: pytest.Config) -> Path:
    return config.rootpath / config.getini("gonogo_suites_dir")


def suite_of_item(item: pytest.Item, suites_dir: Path) -> str | None:
    marker = item.get_closest_marker("gonogo_suite")
    if marker is not None:
        return str(marker.args[0])
    try:
        parts = item.path.relative_to(suites_dir).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 and parts[0] in SUITES else None


def selected_suites(config: pytest.Config, suites_dir: Path) -> set[str]:
    """Suites whose directory the command line covers (``pytest`` = all of tests/, ``pytest tests/load`` = load).

    A covered suite that produces no figure leaves its gates inconclusive, never not_run:
    an empty or broken suite must not shrink the scope of the verdict.
    """
    selected = set()
    for arg in config.args:
        target = (config.invocation_params.dir / arg.split("::", 1)[0]).resolve()
        for suite in SUITES:
            suite_dir = (suites_dir / suite).resolve()
            if suite_dir.is_dir() and (
                suite_dir == target or target in suite_dir.parents or suite_dir in target.parents
            ):
                selected.add(suite)
    return selected
