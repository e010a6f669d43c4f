"""The plan's 7-day trend (``trend_analysis.py --period "7 days" --metrics response_time,throughput,error_rate``)
from the environment's Prometheus: range queries over the period, each figure against its gate's limit, and how
the period's first stretch compares with its last.

A figure Prometheus does not answer is said as "no data" (never drawn as zero); a period with no figure answered
decides nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import httpx

from gonogo.config.environments import Environment
from gonogo.config.gates import Gate
from gonogo.server_metrics import answers
from gonogo.server_metrics.promql import highest, queries

POINTS = 300  # readings per figure over the period: one step is period / POINTS (at least Prometheus's step)


@dataclass(frozen=True)
class Figure:
    name: str  # as the plan says it
    series: str  # key of promql.queries
    metric: str | None  # the gonogo metric whose gates give its limit
    unit: str  # "s", "req/s", "fraction"


FIGURES = (
    Figure("response time P95", "latency_p95", "server.http_latency_p95", "s"),
    Figure("throughput", "throughput", None, "req/s"),
    Figure("error rate", "error_rate", "server.http_errors", "fraction"),
    Figure("cache hit rate", "cache_hit_rate", "server.cache_hits", "fraction"),
    Figure("CPU", "cpu", "server.cpu_usage", "fraction"),
    Figure("memory", "memory", "server.memory_usage", "fraction"),
)


@dataclass
class Line:
    figure: Figure
    points: list[tuple[float, float]]  # (epoch seconds, value)
    limit: float | None = None
    limit_text: str = ""
    gate: str = ""
    problem: str = ""  # why there are no points

    def display(self, value: float | None) -> str:
        if value is None:
            return "no data"
        if self.figure.unit == "s":
            return f"{value * 1000:,.0f} ms"
        if self.figure.unit == "fraction":
            return f"{value * 100:.2f} %"
        return f"{value:,.1f} {self.figure.unit}"

    def stretch(self, first: bool, length: float) -> float | None:
        """The mean over the period's first (or last) ``length`` seconds."""
        if not self.points:
            return None
        edge = self.points[0][0] + length if first else self.points[-1][0] - length
        chosen = [v for t, v in self.points if (t <= edge if first else t >= edge)]
        return sum(chosen) / len(chosen) if chosen else None


@dataclass
class PeriodTrend:
    environment: str
    start: float
    end: float
    step: float
    lines: list[Line] = field(default_factory=list)

    @property
    def stretch_s(self) -> float:
        """What the first and last stretches span: a day of a week, a seventh of any period."""
        return (self.end - self.start) / 7

    def answered(self) -> bool:
        return any(line.points for line in self.lines)

    def rows(self) -> list[dict]:
        """Per figure: the first stretch's mean, the last's, the change, the limit."""
        out = []
        for line in self.lines:
            first, last = line.stretch(True, self.stretch_s), line.stretch(False, self.stretch_s)
            change = (last - first) / abs(first) * 100 if first and last is not None else None
            out.append(
                {
                    "figure": line.figure.name,
                    "first": line.display(first),
                    "last": line.display(last),
                    "change_pct": change,
                    "limit": line.limit_text,
                    "gate": line.gate,
                    "readings": len(line.points),
                    "problem": line.problem,
                }
            )
        return out


def _limit(gates: list[Gate], metric: str | None) -> tuple[float | None, str, str]:
    for gate in gates:
        if metric and gate.metric.name == metric and gate.threshold is not None:
            return gate.threshold.value, f"{gate.op} {gate.threshold.text}", gate.id
    return None, "", ""


def read(client: httpx.Client, environment: Environment, gates: list[Gate], start: float, end: float) -> PeriodTrend:
    """Every figure over [start, end] from the Prometheus ``client`` points at."""
    step = max(environment.prometheus.step, (end - start) / POINTS)
    # each reading's rate covers its own step (and at least 4 of the deployment's scrapes): nothing between two
    # readings is left out, nothing counted twice
    window = max(step, 4 * environment.deploy.scrape_interval)
    series = queries(
        environment.prometheus.labels, environment.prometheus.node_labels, window, environment.server_metrics
    )
    trend = PeriodTrend(environment.name, start, end, step)
    for figure in FIGURES:
        limit, text, gate = _limit(gates, figure.metric)
        line = Line(figure, [], limit, text, gate)
        promql = series[figure.series]
        if promql is None:
            line.problem = "server_metrics names no way to read it"
        else:
            line.points, line.problem = _range(client, promql, start, end, step, highest(figure.series))
        trend.lines.append(line)
    return trend


def _range(client: httpx.Client, promql: str, start: float, end: float, step: float, high: float) -> tuple[list, str]:
    try:
        result = answers.query_range(client, promql, start, end, step)
    except answers.NoAnswer as exc:
        return [], str(exc)
    if not result:
        return [], f"no series for {promql}"
    kept = [(t, v) for t, v in result[0].points if math.isfinite(v)]  # NaN: nothing counted in that step
    impossible = [v for _, v in kept if not 0 <= v <= high]
    if impossible:
        return [], f"{answers.where(client)} answered {impossible[0]:g} for {promql}: not a possible reading"
    return kept, ""
