"""How a deployment's servers are read: Prometheus queries, the limits it states, the sources of its server figures."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    Field,
)

from gonogo.config.settings.base import Seconds, Strict, UrlList, to_bytes


class PrometheusQuery(Strict):
    """How to find the target's series in the Prometheus at ``prometheus_url`` (load suite, server side)."""

    labels: dict[str, str] = {}  # label matchers for the target's series, e.g. {job: ai-model-api}
    node_labels: dict[str, str] = {"job": "node-exporter"}  # the backend hosts' node-exporter series (the plan's job)
    rate_window: Seconds = (
        60.0  # range of rate() for CPU readings; at least 2 scrape intervals (the plan's RPS uses 1m)
    )
    step: Seconds = 15.0  # one reading per step (the plan scrapes every 15 s)


class ServerLimits(Strict):
    """What the backends may use, as the deployment states it (container limits): the process source's denominators."""

    cpu_cores: float | None = Field(None, gt=0)
    memory: Annotated[float, BeforeValidator(to_bytes)] | None = None  # e.g. "4 GiB"


class ServerMetrics(Strict):
    """Where the server-side CPU and memory figures (K9, K10) come from.

    node: node-exporter on each backend host (node_cpu_seconds_total, node_memory_MemAvailable_bytes / MemTotal_bytes),
    scraped from ``node_exporters`` or, with a ``prometheus_url``, asked of Prometheus (``prometheus.node_labels``).
    process: the contract's process collector on the target's /metrics (process_cpu_seconds_total,
    process_resident_memory_bytes) against ``limits`` -- for backends that do not own their host.
    """

    node_exporters: UrlList = []  # http://host:9100/metrics of each backend host
    # each API instance's own health URL (http://10.0.1.5:8000/health), checked directly during the load; where the
    # runner cannot reach the instances (S6), Prometheus's `up` series of the target's job says the same
    instances: UrlList = []
    cpu: Literal["node", "process"] = "node"
    memory: Literal["node", "process"] = "node"
    limits: ServerLimits = ServerLimits()
    reason: str | None = None  # why this environment uses the process source (shown in the report)
