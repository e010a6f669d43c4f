"""The metrics gonogo's suites produce: name, kind, unit and owning suite.

A gate may only read a metric listed here, so a typo in gates.yaml is a
configuration error, never a silently unmeasured gate. Suites record into the
store by these names; the store refuses names that are not listed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from gonogo.core.units import DEFAULT_DISPLAY, UNITS, Dimension

SUITES = ("smoke", "load", "db", "security", "deploy")  # in run order: the deploy drill switches the target last
# the figures only `gonogo watch` reads (a deployment's own traffic over a checkpoint's window): their gates are
# decided there, and "not run" in a gate run, which sends its own traffic instead
WATCH = "watch"


class Kind(str, Enum):
    HISTOGRAM = "histogram"  # latency samples
    COUNTER = "counter"  # events over a measured window
    GAUGE = "gauge"  # readings over time (CPU, users, RPS per second)
    RATIO = "ratio"  # hits out of a total (error rate, cache hit rate)
    CHECK = "check"  # named pass/fail checks
    FINDINGS = "findings"  # security findings with a severity, per completed scan


#: Aggregations a gate may ask of each kind.
AGGREGATIONS: dict[Kind, tuple[str, ...]] = {
    Kind.HISTOGRAM: ("p50", "p90", "p95", "p99", "p99.9", "avg", "min", "max", "count"),
    Kind.COUNTER: ("count", "rate"),
    Kind.GAUGE: ("value", "avg", "min", "max", "count", "p50", "p90", "p95", "p99"),
    Kind.RATIO: ("rate", "count"),
    Kind.CHECK: ("failed", "count", "rate"),
    Kind.FINDINGS: ("count",),
}


@dataclass(frozen=True)
class MetricDef:
    name: str
    kind: Kind
    suite: str
    description: str
    dimension: Dimension = Dimension.COUNT  # of the readings (histogram, gauge)
    unit: str | None = None  # display unit; None = the dimension's default
    tags: tuple[str, ...] = field(default=())  # tag keys producers attach
    # a ratio counted over everything there is (the suite's own queries, the intended iterations), not a sample of a
    # larger population: its rate is exact, judged without a confidence bound
    census: bool = False
    share: bool = False  # a fraction of a whole (CPU of the host, memory of its limit, a pool in use): 0..100 %
    span: tuple[float, float] | None = None  # the readings that can exist, where the rule below does not fit

    def domain(self) -> tuple[float, float]:
        """The readings that can exist, in canonical units: none is negative; a share is at most 100 %; the rest
        stop at figures no measurement reaches (a billion requests a second, 300 years, 10^15 things)."""
        if self.span is not None:
            return self.span
        if self.dimension is Dimension.FRACTION:
            return 0.0, 1.0 if self.share else 1e6
        return 0.0, _LARGEST.get(self.dimension, 1e15)

    def impossible(self, value: float) -> str | None:
        """Why ``value`` cannot be a reading of this metric, or None."""
        low, high = self.domain()
        if math.isfinite(value) and low <= value <= high:
            return None
        shown = self.unit or DEFAULT_DISPLAY[self.dimension]
        factor = UNITS[shown][1] if shown in UNITS else 1.0
        unit = f" {shown}" if shown else ""
        return f"{value / factor:g}{unit} is outside {self.name}'s domain {low / factor:g}..{high / factor:g}{unit}"

    def result_dimension(self, aggregation: str) -> Dimension:
        """The dimension of ``aggregation`` applied to this metric."""
        if aggregation in ("count", "failed"):
            return Dimension.COUNT
        if aggregation == "rate":
            return Dimension.THROUGHPUT if self.kind is Kind.COUNTER else Dimension.FRACTION
        return self.dimension

    def result_unit(self, aggregation: str) -> str | None:
        dimension = self.result_dimension(aggregation)
        return self.unit if dimension is self.dimension else None


def _m(
    name, kind, suite, description, dimension=Dimension.COUNT, unit=None, tags=(), census=False, share=False, span=None
):
    return MetricDef(name, kind, suite, description, dimension, unit, tuple(tags), census, share, span)


# A certificate's days left: negative once expired; RFC 5280's "no well-defined expiration", 9999-12-31, is about
# 2.9 million days away (trustme's test certificates run to the year 3000).
_CERT_DAYS = (-1e6 * 86400, 3e6 * 86400)


_LARGEST = {Dimension.DURATION: 1e10, Dimension.THROUGHPUT: 1e9, Dimension.BYTES: 1e18}


_D, _F, _T = Dimension.DURATION, Dimension.FRACTION, Dimension.THROUGHPUT

CATALOG: dict[str, MetricDef] = {
    m.name: m
    for m in [
        # smoke: health, journeys, contract conformance
        _m(
            "smoke.http_latency",
            Kind.HISTOGRAM,
            "smoke",
            "latency of every smoke request",
            _D,
            "ms",
            ["endpoint", "status"],
        ),
        _m(
            "smoke.http_errors",
            Kind.RATIO,
            "smoke",
            "smoke requests that failed (5xx, connection error, timeout)",
            tags=["endpoint"],
        ),
        _m(
            "smoke.checks",
            Kind.CHECK,
            "smoke",
            "health, journey and data-agreement checks",
            tags=["check", "requirement"],
        ),
        _m(
            "smoke.conformance",
            Kind.CHECK,
            "smoke",
            "API contract conformance checks (schema, status codes, server errors)",
            tags=["check"],
        ),
        _m(
            "smoke.openapi_drift",
            Kind.CHECK,
            "smoke",
            "the target's own OpenAPI document against the contract, per operation",
            tags=["operation"],
        ),
        # load: client side
        _m(
            "load.http_latency",
            Kind.HISTOGRAM,
            "load",
            "latency of every load request, warm-up excluded",
            _D,
            "ms",
            ["endpoint", "model"],
        ),
        _m(
            "load.http_errors",
            Kind.RATIO,
            "load",
            "load requests that failed (5xx, connection error, timeout, wrong body)",
            tags=["endpoint"],
        ),
        _m(
            "load.availability",
            Kind.RATIO,
            "load",
            "load requests answered without a server-side failure",
            tags=["endpoint"],
        ),
        _m("load.throttled", Kind.RATIO, "load", "load requests answered 429", tags=["endpoint"]),
        _m("load.requests", Kind.COUNTER, "load", "load requests sent in the measured window", tags=["endpoint"]),
        _m("load.throughput", Kind.GAUGE, "load", "requests completed per second, one reading per second", _T, "rps"),
        _m("load.users", Kind.GAUGE, "load", "concurrent virtual users", Dimension.COUNT),
        _m(
            "load.capacity",
            Kind.GAUGE,
            "load",
            "requests per second completed at the highest step of the capacity ramp that held (P95, errors, pace)",
            _T,
            "rps",
        ),
        _m(
            "load.headroom",
            Kind.GAUGE,
            "load",
            "the capacity ramp's highest arrival rate that held, against the fixed profile's",
            _F,
            "%",
        ),
        _m(
            "load.pace",
            Kind.RATIO,
            "load",
            "task iterations begun out of those the profile intended over the measured window (users x user_rps, or "
            "the arrival rate)",
            census=True,
        ),
        _m(
            "load.lateness",
            Kind.HISTOGRAM,
            "load",
            "how late each open-model arrival started against its schedule (the generator's own delay)",
            _D,
            "ms",
        ),
        _m(
            "load.late_arrivals",
            Kind.RATIO,
            "load",
            "open-model arrivals that started more than one inter-arrival gap after their intended time",
            census=True,
        ),
        _m(
            "load.login_latency",
            Kind.HISTOGRAM,
            "load",
            "latency of the virtual users' logins (session set-up, warm-up included; not in load.http_latency)",
            _D,
            "ms",
        ),
        _m(
            "load.generator_cpu",
            Kind.GAUGE,
            "load",
            "CPU usage of each load-generating process (one core = 100 %), one reading per second",
            _F,
            "%",
            ["process"],
        ),
        _m(
            "load.generator_lag",
            Kind.GAUGE,
            "load",
            "event-loop lag of each load-generating process (how late a 1 s timer fires)",
            _D,
            "ms",
            ["process"],
        ),
        # load: server side, scraped from /metrics or Prometheus during the run
        _m(
            "server.cpu_usage",
            Kind.GAUGE,
            "load",
            "server CPU usage (share of the host's cores)",
            _F,
            "%",
            ["instance"],  # not a share: a process may use more cores than the environment states
        ),
        _m(
            "server.memory_usage",
            Kind.GAUGE,
            "load",
            "server memory usage (share of its limit)",
            _F,
            "%",
            ["instance"],
            share=True,
        ),
        _m(
            "server.memory_growth",
            Kind.GAUGE,
            "load",
            "resident memory gained per 1,000 requests served over the measured window (the slope of the process "
            "memory against the requests counter; negative when memory was given back)",
            Dimension.BYTES,
            "MiB",
            ["instance"],
            span=(-1e15, 1e15),
        ),
        _m("server.cache_hits", Kind.RATIO, "load", "cache lookups answered from the cache"),
        _m(
            "server.http_errors",
            Kind.RATIO,
            WATCH,
            "answers the servers counted with a 5xx (http_requests_total), all traffic of a watch's window",
        ),
        _m(
            "server.rollback_triggers",
            Kind.CHECK,
            WATCH,
            "each rollback trigger over a watch's window: a check fails when the trigger fired in it",
            tags=["trigger"],
        ),
        _m(
            "server.http_latency_p95",
            Kind.GAUGE,
            "load",
            "server-side P95 from the duration histogram buckets",
            _D,
            "ms",
        ),
        _m(
            "server.instances",
            Kind.CHECK,
            "load",
            "each API instance behind the load balancer kept answering its health check",
            tags=["instance"],
        ),
        _m(
            "server.health_honest",
            Kind.CHECK,
            "load",
            "each dependency gonogo reached on its own: the detailed health never called it ok while it was down",
            tags=["component"],
        ),
        _m(
            "server.db_pool_usage",
            Kind.GAUGE,
            "load",
            "database connection-pool usage (in use / max)",
            _F,
            "%",
            ["instance"],
            share=True,
        ),
        # db
        _m("db.query_time", Kind.HISTOGRAM, "db", "round-trip time of the canonical queries", _D, "ms", ["query"]),
        _m("db.index_hits", Kind.RATIO, "db", "queries answered from an index", tags=["query", "source"], census=True),
        _m(
            "db.indexes",
            Kind.CHECK,
            "db",
            "required indexes present with the right keys and options",
            tags=["collection", "index"],
        ),
        _m(
            "db.query_plans",
            Kind.CHECK,
            "db",
            "canonical query plans: index scan, no COLLSCAN, no in-memory sort",
            tags=["query"],
        ),
        _m("db.pool_usage", Kind.GAUGE, "db", "database connection-pool usage seen by the server", _F, "%", share=True),
        _m(
            "db.examined_per_returned",
            Kind.GAUGE,
            "db",
            "keys or documents examined per document returned, one reading per explained query",
            tags=["query"],
        ),
        # security
        _m(
            "security.http_latency",
            Kind.HISTOGRAM,
            "security",
            "latency of the security suite's requests",
            _D,
            "ms",
            ["endpoint", "status"],
        ),
        _m(
            "security.http_errors",
            Kind.RATIO,
            "security",
            "security suite requests answered 5xx or not at all",
            tags=["endpoint"],
        ),
        _m(
            "security.findings",
            Kind.FINDINGS,
            "security",
            "findings per completed scan (ZAP, dependencies, image, suite checks)",
            tags=["source"],
        ),
        _m(
            "security.checks",
            Kind.CHECK,
            "security",
            "security rule checks (headers, TLS, auth, rate limits, CORS, network, data tier)",
            tags=["check", "requirement", "source"],
        ),
        _m(
            "security.tls_cert_days_left",
            Kind.GAUGE,
            "security",
            "days until the served certificate expires",
            _D,
            "days",
            span=_CERT_DAYS,
        ),
        # deploy
        _m(
            "deploy.requests_failed",
            Kind.RATIO,
            "deploy",
            "prober requests that failed around a switch or a rollback",
            tags=["action"],
        ),
        _m(
            "deploy.versions_seen",
            Kind.CHECK,
            "deploy",
            "the old and the new version both answered through the switch",
            tags=["action"],
        ),
        _m(
            "deploy.flip_flops",
            Kind.GAUGE,
            "deploy",
            "answers of the old version after the first of the new",
            tags=["action"],
        ),
        _m(
            "deploy.trigger_definitions",
            Kind.CHECK,
            "deploy",
            "the deployment's rollback triggers (alert rules, alarms) compared with the plan's",
            tags=["trigger"],
        ),
        _m(
            "deploy.route_back",
            Kind.GAUGE,
            "deploy",
            "from the rollback action to the last answer of the version rolled back from",
            _D,
            "s",
        ),
        _m(
            "deploy.trigger_fires",
            Kind.CHECK,
            "deploy",
            "a fault on the live new colour rolled the deployment back by itself, not before the trigger's window",
            tags=["trigger"],
        ),
        _m(
            "deploy.short_fault_ignored",
            Kind.CHECK,
            "deploy",
            "a fault shorter than the trigger's window did not roll back",
            tags=["trigger"],
        ),
        _m(
            "deploy.automatic_rollback",
            Kind.GAUGE,
            "deploy",
            "from when the trigger should have fired (on what the clients saw) to the old version steady again",
            _D,
            "s",
            ["trigger"],
        ),
        _m(
            "deploy.old_colour_retention",
            Kind.CHECK,
            "deploy",
            "the colour switched away from kept serving as long as a rollback may need it",
        ),
    ]
}


def suite_metrics(suite: str) -> tuple[str, ...]:
    """Every metric ``suite`` produces (what its gates read when it could not run)."""
    return tuple(name for name, definition in CATALOG.items() if definition.suite == suite)
