"""Server-side figures during a load run, scraped while it runs (K9, K10, K11, K14, K1).

Sampled in a background thread; figures come from samples inside the measured window.
From the target's /metrics (the contract's series): pool = db_pool_connections_in_use / _max,
cache hit rate and server-side P95 from counter and bucket deltas over the window (the plan's
histogram_quantile, computed here). CPU and memory (``server_metrics`` of the environment):
  node     per node-exporter: 1 - rate(node_cpu_seconds_total{mode="idle"}) / rate(all modes),
           1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes
  process  rate(process_cpu_seconds_total) / limits.cpu_cores, process_resident_memory_bytes / limits.memory
A figure that cannot be computed records why, naming the series that was missing and where it looked.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import defaultdict
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

from gonogo.config.settings.server import ServerMetrics
from gonogo.core.store import MetricsStore
from gonogo.server_metrics import growth


def parse(text: str) -> dict[str, list[tuple[dict, float]]]:
    """Samples by name; a family the target declares without a sample yet (a labelled counter never incremented)
    is there with none."""
    samples: dict[str, list[tuple[dict, float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        samples.setdefault(family.name + ("_total" if family.type == "counter" else ""), [])
        for sample in family.samples:
            samples[sample.name].append((sample.labels, sample.value))
    return samples


def total(samples, name: str, **match) -> float | None:
    """The sum of ``name``'s samples whose labels match; None only when the family is absent altogether. A family
    present without the label values asked for counts them as zero (Prometheus semantics: prometheus_client writes
    no series for a label value never incremented, e.g. a cache that never hits)."""
    if name not in samples:
        return None
    return float(sum(v for labels, v in samples[name] if all(labels.get(k) == x for k, x in match.items())))


def buckets(samples) -> dict[float, float]:
    out: dict[float, float] = defaultdict(float)
    for labels, value in samples.get("http_request_duration_seconds_bucket", []):
        out[float(labels["le"])] += value
    return dict(out)


def quantile(q: float, counts: dict[float, float]) -> float | None:
    """histogram_quantile over cumulative bucket counts (linear inside the bucket, as Prometheus does)."""
    edges = sorted(counts)
    if not edges or counts[edges[-1]] <= 0:
        return None
    rank = q * counts[edges[-1]]
    lower_edge, lower_count = 0.0, 0.0
    for edge in edges:
        if counts[edge] >= rank:
            if edge == float("inf"):
                return lower_edge
            inside = counts[edge] - lower_count
            return lower_edge + (edge - lower_edge) * ((rank - lower_count) / inside if inside else 0)
        lower_edge, lower_count = edge, counts[edge]
    return lower_edge


class _Source(threading.Thread):
    """One /metrics endpoint sampled every ``interval`` seconds until stopped."""

    def __init__(self, client: httpx.Client, url: str, interval: float):
        super().__init__(daemon=True, name=f"gonogo-sampler {url}")
        self.client, self.url, self.interval = client, url, interval
        self.samples: list[tuple[float, dict]] = []
        self.errors: list[str] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.take(self.client.get(self.url))
            except (httpx.HTTPError, ValueError, RuntimeError) as exc:  # RuntimeError: the client was closed under us
                self.failed(f"{self.url}: {exc.__class__.__name__}")
            self._halt.wait(self.interval)

    def take(self, resp: httpx.Response) -> None:
        if resp.status_code == 200:
            self.samples.append((time.time(), parse(resp.text)))
        else:
            self.failed(f"{self.url} answered {resp.status_code}")

    def failed(self, why: str) -> None:
        self.errors.append(why)

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=self.interval + 15)

    def window(self, start: float, end: float) -> list[tuple[float, dict]]:
        return [(t, s) for t, s in self.samples if start <= t <= end]


class _HealthCheck(_Source):
    """One API instance's health URL, checked every ``interval`` seconds: (time, answered 2xx, why not)."""

    def take(self, resp: httpx.Response) -> None:
        ok = 200 <= resp.status_code < 300
        self.samples.append((time.time(), {"ok": ok, "why": "" if ok else f"answered {resp.status_code}"}))

    def failed(self, why: str) -> None:
        super().failed(why)
        self.samples.append((time.time(), {"ok": False, "why": why.removeprefix(f"{self.url}: ")}))


def longest_failure_run(checks: list[bool]) -> int:
    longest = run = 0
    for ok in checks:
        run = 0 if ok else run + 1
        longest = max(longest, run)
    return longest


#: D3 rolls a release back after more than 3 consecutive failed health checks of an instance
MAX_FAILED_CHECKS = 3


def record_instance(
    store: MetricsStore, instance: str, checks: list[bool], why: str = "", every_s: float | None = None
) -> None:
    """One ``server.instances`` check per API instance: at most MAX_FAILED_CHECKS failed health checks in a row."""
    longest = longest_failure_run(checks)
    failed = checks.count(False)
    detail = (
        ""
        if longest <= MAX_FAILED_CHECKS
        else (
            f"{instance} failed {longest} consecutive health checks"
            + (f" (~{longest * every_s:.0f} s)" if every_s else "")
            + f", {failed} of {len(checks)} in the window"
            + (f"; last: {why}" if why else "")
            + " (D3: more than 3 rolls back)"
        )
    )
    store.check("server.instances", instance, longest <= MAX_FAILED_CHECKS, detail, instance=instance)


NO_INSTANCES = (
    "no API instance to check: list each instance's health URL in server_metrics.instances, or give a "
    "prometheus_url (its up series of the target's job); a backend that dies behind the load balancer is "
    "otherwise hidden by the ones that answer"
)


def _host_of(url: str) -> str:
    return urlsplit(url).netloc or url


class ServerSampler:
    """The target's /metrics and each configured node-exporter, sampled during the run."""

    def __init__(
        self,
        client: httpx.Client,
        settings: ServerMetrics | None = None,
        interval: float = 2.0,
        exporter_client: httpx.Client | None = None,
    ):
        self.settings = settings or ServerMetrics()
        self.target = _Source(client, "/metrics", interval)
        self.target_url = f"{str(client.base_url).rstrip('/')}/metrics"
        self.nodes = [_Source(exporter_client or client, url, interval) for url in self.settings.node_exporters]
        self.instances = [_HealthCheck(exporter_client or client, url, interval) for url in self.settings.instances]

    @property
    def errors(self) -> list[str]:
        return [e for source in (self.target, *self.nodes) for e in source.errors]

    @property
    def sources(self) -> list[_Source]:
        return [self.target, *self.nodes, *self.instances]

    def start(self) -> None:
        for source in self.sources:
            source.start()

    def is_alive(self) -> bool:
        return any(source.is_alive() for source in self.sources)

    def stop(self) -> None:
        for source in self.sources:
            source.stop()

    def record_instances(self, store: MetricsStore, start: float, end: float) -> None:
        """Each API instance's health checks over [start, end] (``server.instances``)."""
        if not self.instances:
            store.unmeasured("server.instances", NO_INSTANCES)
        for source in self.instances:
            window = source.window(start, end)
            if not window:
                store.unmeasured(
                    "server.instances",
                    f"no health check of {source.url} fell inside the measured window",
                    instance=_host_of(source.url),
                )
                continue
            last_failure = next((s["why"] for _, s in reversed(window) if not s["ok"]), "")
            record_instance(store, _host_of(source.url), [s["ok"] for _, s in window], last_failure, source.interval)

    def record(self, store: MetricsStore, start: float, end: float) -> int:
        """Figures over [start, end] into the store; returns how many target samples fell in the window."""
        window = self.target.window(start, end)
        self._record_cpu(store, window, start, end)
        self.record_instances(store, start, end)
        self._record_memory(store, window, start, end)
        grown, why = growth.from_samples(window, total)
        for process, value in grown.items():
            store.gauge("server.memory_growth", value, at=window[-1][0], instance=process)
        if not grown:
            store.unmeasured("server.memory_growth", f"{self.target_url}: {why}")
        for t, s in window:
            in_use, size = total(s, "db_pool_connections_in_use"), total(s, "db_pool_connections_max")
            if in_use is not None and size:
                store.gauge("server.db_pool_usage", in_use / size, at=t)
        if len(window) >= 2:
            first, last = window[0][1], window[-1][1]
            hit0, hit1 = (total(x, "cache_requests_total", result="hit") for x in (first, last))
            miss0, miss1 = (total(x, "cache_requests_total", result="miss") for x in (first, last))
            if hit0 is not None and hit1 is not None and miss0 is not None and miss1 is not None:
                delta_hits, delta_total = int(hit1 - hit0), int(hit1 - hit0 + miss1 - miss0)
                if delta_total > 0:
                    store.ratio("server.cache_hits", delta_hits, delta_total)
            before, after = buckets(first), buckets(last)
            p95 = quantile(0.95, {le: after[le] - before.get(le, 0.0) for le in after})
            if p95 is not None:
                store.gauge("server.http_latency_p95", p95, at=window[-1][0])
        for metric, series in (
            ("server.db_pool_usage", "db_pool_connections_in_use / db_pool_connections_max"),
            ("server.cache_hits", 'cache_requests_total{result="hit"|"miss"}'),
            ("server.http_latency_p95", "http_request_duration_seconds_bucket"),
        ):
            if store.select(metric) is None:
                store.unmeasured(metric, _missing(series, self.target_url, window, self.target.errors))
        return len(window)

    def _record_cpu(self, store, window, start, end) -> None:
        if self.settings.cpu == "process":
            cores = self._stated(store, "server.cpu_usage", "cpu", "cpu_cores", "the backends' CPU seconds")
            if cores:
                for (t0, a), (t1, b) in itertools.pairwise(window):
                    cpu0, cpu1 = total(a, "process_cpu_seconds_total"), total(b, "process_cpu_seconds_total")
                    if cpu0 is not None and cpu1 is not None and t1 > t0:
                        store.gauge("server.cpu_usage", (cpu1 - cpu0) / (t1 - t0) / cores, at=t1, instance="target")
                self._from_target(store, "server.cpu_usage", "process_cpu_seconds_total", window)
            return

        def busy(node, samples) -> int:
            readings = 0
            for (_, a), (t1, b) in itertools.pairwise(samples):
                idle0, idle1 = (
                    total(a, "node_cpu_seconds_total", mode="idle"),
                    total(b, "node_cpu_seconds_total", mode="idle"),
                )
                all0, all1 = total(a, "node_cpu_seconds_total"), total(b, "node_cpu_seconds_total")
                if idle0 is not None and idle1 is not None and all0 is not None and all1 is not None and all1 > all0:
                    store.gauge(
                        "server.cpu_usage", 1 - (idle1 - idle0) / (all1 - all0), at=t1, instance=_host_of(node.url)
                    )
                    readings += 1
            return readings

        self._per_node(store, "server.cpu_usage", 'node_cpu_seconds_total{mode="idle"}', start, end, busy)

    def _record_memory(self, store, window, start, end) -> None:
        if self.settings.memory == "process":
            limit = self._stated(store, "server.memory_usage", "memory", "memory", "the backends' resident memory")
            if limit:
                for t, s in window:
                    rss = total(s, "process_resident_memory_bytes")
                    if rss is not None:
                        store.gauge("server.memory_usage", rss / limit, at=t, instance="target")
                self._from_target(store, "server.memory_usage", "process_resident_memory_bytes", window)
            return

        def used(node, samples) -> int:
            readings = 0
            for t, s in samples:
                available, size = total(s, "node_memory_MemAvailable_bytes"), total(s, "node_memory_MemTotal_bytes")
                if available is not None and size:
                    store.gauge("server.memory_usage", 1 - available / size, at=t, instance=_host_of(node.url))
                    readings += 1
            return readings

        self._per_node(
            store,
            "server.memory_usage",
            "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes",
            start,
            end,
            used,
        )

    def _stated(self, store, metric: str, source: str, limit: str, what: str) -> float | None:
        value = getattr(self.settings.limits, limit)
        if not value:
            store.unmeasured(
                metric,
                f"server_metrics.{source} is 'process' but server_metrics.limits.{limit} is not set: "
                f"{what} have nothing to be a share of",
            )
        return value

    def _from_target(self, store, metric: str, series: str, window) -> None:
        if store.select(metric) is None:
            store.unmeasured(metric, _missing(series, self.target_url, window, self.target.errors))

    def _per_node(self, store, metric: str, series: str, start: float, end: float, read) -> None:
        """``read(node, samples)`` records each node's readings; a node without any leaves the figure partly
        measured (its gate inconclusive, naming the node), none at all leaves it unmeasured."""
        if not self.nodes:
            store.unmeasured(metric, _no_exporter(series.split(" ")[0].split("{")[0]))
            return
        missing = []
        for node in self.nodes:
            samples = node.window(start, end)
            if not read(node, samples):
                missing.append(_missing(series, node.url, samples, node.errors))
        for reason in missing:
            store.unmeasured(metric, reason)
        if missing and store.select(metric) is not None:
            store.unreliable(
                metric, f"partly measured ({len(missing)} of {len(self.nodes)} node-exporters): " + "; ".join(missing)
            )


def _missing(series: str, where: str, samples: list, errors: list[str]) -> str:
    if not samples:
        why = f"; errors: {', '.join(dict.fromkeys(errors[:3]))}" if errors else ""
        return f"no sample of {where} fell inside the measured window{why}"
    return f"series {series} missing from {where} ({len(samples)} samples in the window)"


def _no_exporter(series: str) -> str:
    return (
        f"{series} (node-exporter) not available: the environment names no server_metrics.node_exporters and no "
        "prometheus_url; add the backend hosts' node-exporter URLs, or set server_metrics.cpu/memory: process "
        "with server_metrics.limits (the backends' CPU cores and memory)"
    )
