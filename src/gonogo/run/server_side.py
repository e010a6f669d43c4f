"""The server side of a standalone load run (`locust -f tests/load`, then `gonogo evaluate FIGURES --env E`): its
figures file holds the client side and the measured window; the servers' figures come from the environment's
Prometheus over that window."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gonogo.config.environments import Environment
from gonogo.config.settings.base import masked_url
from gonogo.core.store import MetricsStore
from gonogo.run.target import monitored
from gonogo.server_metrics.promql import record_window
from gonogo.target.client import ssl_context


def server_side(environment: Environment, figures: dict[str, Any], store: MetricsStore, root: Path) -> str:
    """A standalone Locust run sampled no server: its server-side figures (K9-K11, K14, server P95, D3's instances)
    from the environment's Prometheus over the run's own measured window."""
    start, end = figures.get("measure_from"), figures.get("stopped_at")
    if not isinstance(start, int | float) or not isinstance(end, int | float) or end <= start:
        return f"the figures name no measured window (measure_from {start}, stopped_at {end}): not asked"
    environment, url, none = monitored(environment, root)
    if url is None:
        return f"{none}: the server.* gates decide nothing"
    readings, problems = record_window(
        url,
        environment.prometheus,
        environment.server_metrics,
        store,
        start,
        end,
        verify=ssl_context(environment),
    )
    window = f"{time.strftime('%H:%M:%S', time.localtime(start))}-{time.strftime('%H:%M:%S', time.localtime(end))}"
    said = f"; problems: {'; '.join(problems[:3])}" if problems else ""
    where = f"Prometheus {masked_url(url)} over the run's window {window} ({end - start:.0f} s)"
    return f"{readings} readings from {where}{said}"
