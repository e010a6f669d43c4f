"""One checkpoint of a watch (the plan's first hour, its 24 hours): the server-side figures of its window from
Prometheus, every gate that applies to them, the error patterns against the window before, a gate report."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import httpx

from gonogo.config.environments import Environment
from gonogo.config.gates import Gate
from gonogo.core.catalog import WATCH
from gonogo.core.store import MetricsStore
from gonogo.gates.verdict import Verdict
from gonogo.run.record import About, Record, decided
from gonogo.server_metrics.promql import PrometheusSource, matchers
from gonogo.watch.live import PrometheusReader

SERVER_PREFIX = "server."  # the gates a watch can decide: figures the servers give, not a load run's
# ...but for the memory a release keeps per 1,000 requests (a slope needs the load's volume in its window, thousands
# of requests; a watch sees whatever traffic the deployment gets) and the detailed health held against gonogo's own
# probes of the dependencies (the load run's, from the runner; Prometheus says nothing of it)
LOAD_ONLY = ("server.memory_growth", "server.health_honest")


@dataclass
class Checkpoint:
    name: str  # "1h", "24h"
    start: float
    end: float
    record: Record  # of the environment alone: the watch says which run and gates file it is (its About)
    error_patterns: list[dict] = field(default_factory=list)  # route, status, count, count in the window before
    problems: list[str] = field(default_factory=list)  # what Prometheus could not answer

    @property
    def verdict(self) -> Verdict:
        assert self.record.verdict is not None  # a checkpoint is always decided
        return self.record.verdict


def server_gates(gates: list[Gate]) -> list[Gate]:
    return [g for g in gates if g.metric.name.startswith(SERVER_PREFIX) and g.metric.name not in LOAD_ONLY]


def error_patterns(reader: PrometheusReader, labels: dict[str, str], start: float, end: float) -> list[dict]:
    """The 4xx and 5xx answers by route and status over [start, end], each with its count over the window before."""
    errors = matchers(labels, regex={"status": "[45].."})
    window = f"{max(1, round(end - start))}s"
    promql = f"sum by (path, status) (increase(http_requests_total{errors}[{window}]))"

    def by_route(at: float) -> dict[tuple[str, str], float]:
        return {
            (r.labels.get("path", "?"), r.labels.get("status", "?")): r.value
            for r in reader.vector(promql, at) or []
            if math.isfinite(r.value) and r.value >= 0
        }

    now, before = by_route(end), by_route(start)
    rows = [
        {"route": route, "status": status, "count": round(count), "before": round(before.get((route, status), 0))}
        for (route, status), count in now.items()
        if round(count) > 0
    ]
    return sorted(rows, key=lambda r: -r["count"])


def record_triggers(store: MetricsStore, judged: dict[str, list[int]], events: list[dict], start: float, end: float):
    """D3 over the window: one check per rollback trigger, failed when it fired in [start, end] (with what its
    action did: a rollback that failed says so); a trigger never judged in the window (no reading at any evaluation,
    or not readable as configured) is not measured, never a pass."""
    for trigger, (evaluated, read) in judged.items():
        fired = [e for e in events if e["trigger"] == trigger and start <= e["fired_at"] <= end]
        if fired:
            said = "; ".join(f"fired {e['fired_at'] - start:+.0f} s into the window: {e['action']}" for e in fired)
            store.check("server.rollback_triggers", trigger, False, said, trigger=trigger)
        elif read == 0:
            why = "not readable as configured" if evaluated == 0 else f"no reading at any of {evaluated} evaluations"
            store.unmeasured("server.rollback_triggers", f"trigger {trigger} was never judged: {why}", trigger=trigger)
        else:
            detail = f"held at none of {read} evaluations with a reading" + (
                f" ({evaluated - read} of {evaluated} had no data)" if read < evaluated else ""
            )
            store.check("server.rollback_triggers", trigger, True, detail, trigger=trigger)


def measure(
    name: str,
    environment: Environment,
    gates: list[Gate],
    client: httpx.Client,
    start: float,
    end: float,
    triggers: tuple[dict[str, list[int]], list[dict]] = ({}, []),
) -> Checkpoint:
    """The checkpoint's figures and verdict (Go when every server-side gate passes over the window). ``triggers``:
    per rollback trigger (evaluations, evaluations with a reading), and the events of the watch."""
    store = MetricsStore()
    record_triggers(store, triggers[0], triggers[1], start, end)
    source = PrometheusSource(client, environment.prometheus, environment.server_metrics)
    source.record(store, start, end)
    reader = PrometheusReader(client)
    sel = matchers(environment.prometheus.labels)
    five = matchers(environment.prometheus.labels, regex={"status": "5.."})
    window = f"{max(1, round(end - start))}s"
    total = reader.value(f"sum(increase(http_requests_total{sel}[{window}]))", end)
    # no 5xx series is zero errors; a query that failed (or answered nonsense) is not measured
    failed = reader.vector(f"sum(increase(http_requests_total{five}[{window}]))", end)
    errors = failed[0].value if failed else 0.0
    if failed is None:
        store.unmeasured("server.http_errors", f"the 5xx count could not be read: {reader.last_error}")
    elif not (math.isfinite(errors) and errors >= 0):
        store.unmeasured("server.http_errors", f"the 5xx count read {errors:g}: not a possible count")
    elif total:
        store.ratio("server.http_errors", min(round(errors), round(total)), round(total))
    else:
        store.unmeasured("server.http_errors", reader.last_error or "no request was counted in the window")
    chosen = server_gates(gates)
    record = decided(About(environment.name), chosen, store, ["load", WATCH] if chosen else [])
    patterns = error_patterns(reader, environment.prometheus.labels, start, end)
    return Checkpoint(name, start, end, record, patterns, list(source.errors))
