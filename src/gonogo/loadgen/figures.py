"""The figures file a Locust master (or the only process) writes at the end: a gonogo metrics snapshot and its
window."""

from __future__ import annotations

import json
from pathlib import Path

from gonogo.core.snapshot import LOAD_FIGURES_SCHEMA as SCHEMA
from gonogo.core.store import MetricsStore


def write(
    path: Path,
    store: MetricsStore,
    *,
    measure_from: float,
    stopped_at: float | None,
    aborted: str | None,
    model: str,
    workers: int,
    ramp: dict | None = None,
) -> None:
    path.write_text(
        json.dumps(
            {
                "schema": SCHEMA,
                "measure_from": measure_from,
                "stopped_at": stopped_at,
                "aborted": aborted,
                "model": model,
                "workers": workers,
                "ramp": ramp,  # a capacity ramp's steps and capacity (gonogo.loadgen.ramp.Capacity), else None
                "store": store.to_dict(),
            }
        )
    )
