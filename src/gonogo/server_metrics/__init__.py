"""Server-side figures (pool, cache, server P95, CPU, memory, instances) over a load run's measured window.

Two sources keep one interface (``ServerSource``): ``scrape.ServerSampler`` reads /metrics, node-exporter and each
instance's /health during the run; ``promql.PrometheusSource`` asks a Prometheus afterwards. A figure a source
cannot compute is recorded unmeasured, naming the series that was missing and where it looked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gonogo.core.store import MetricsStore


class ServerSource(Protocol):
    @property
    def errors(self) -> list[str]:  # what could not be read, one line each
        ...

    def record(self, store: MetricsStore, start: float, end: float) -> int:
        """Record the server figures of [start, end] into ``store``; how many readings they came from."""
        ...
