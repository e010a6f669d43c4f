"""server.memory_growth (K10): the resident memory a target gains per 1,000 requests it serves over the measured
window. ``server.memory_usage`` is a share of the host: a leak that takes hours to fill it passes a one-minute run;
its slope does not. Least squares of the process's resident memory against its own requests counter, per process
(Prometheus's ``deriv`` over ``rate`` where the readings come from a Prometheus)."""

from __future__ import annotations

import statistics
from collections import defaultdict
from itertools import pairwise

PER = 1000  # requests: the figure is bytes per this many
MIN_POINTS = 3  # readings of one process
# requests between a process's first and last reading: a healthy box's memory moves a few MiB over a minute (the
# logins' hashing memory given back read -3.8 MiB per 1,000 over 11,000 requests), so fewer requests make noise a slope
MIN_SERVED = 2000


def slope(points: list[tuple[float, float]]) -> float | None:
    """The least-squares slope of y on x; None when x does not vary."""
    try:
        return statistics.linear_regression([x for x, _ in points], [y for _, y in points]).slope
    except statistics.StatisticsError:
        return None


def from_samples(window, total) -> tuple[dict[str, float], str]:
    """({process: bytes per PER requests}, why nothing was measured) from scraped samples ``(t, families)`` in time
    order; ``total(families, name)`` sums a family. A process is told apart by ``process_start_time_seconds`` (every
    Prometheus client's process collector); without it the samples are taken as one process, and a requests counter
    that goes down shows that they were not (several instances behind a balancer)."""
    readings: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for _, families in window:
        rss, served = total(families, "process_resident_memory_bytes"), total(families, "http_requests_total")
        if rss is None or served is None:
            continue
        started = total(families, "process_start_time_seconds")
        readings["target" if started is None else f"process started {started:.0f}"].append((served, rss))
    if not readings:
        return {}, "no sample held both process_resident_memory_bytes and http_requests_total"
    growth: dict[str, float] = {}
    why = ""
    for process, points in readings.items():
        if any(b[0] < a[0] for a, b in pairwise(points)):
            why = (
                f"the requests counter of {process} went down between readings: the samples come from several "
                "processes (instances behind a balancer) and none names its own (process_start_time_seconds); "
                "give a prometheus_url, or expose the process collector's start time"
            )
            continue
        if len(points) < MIN_POINTS or points[-1][0] - points[0][0] < MIN_SERVED:
            why = why or (
                f"{process}: {len(points)} readings over {points[-1][0] - points[0][0]:.0f} requests "
                f"(needs {MIN_POINTS} over {MIN_SERVED:,})"
            )
            continue
        per_request = slope(points)
        if per_request is not None:
            growth[process] = per_request * PER
    return growth, why or "no process served requests between its readings"


def from_rates(derivs: dict[str, float], rates: dict[str, float], seconds: float) -> tuple[dict[str, float], str]:
    """Per instance, resident bytes a second (``deriv``) over requests a second (``rate``): bytes per PER requests,
    where the instance served at least MIN_SERVED requests in the ``seconds`` of the window; and why none did."""
    served = {i: rates.get(i, 0.0) * seconds for i in derivs}
    grown = {i: derivs[i] / rates[i] * PER for i in derivs if served[i] >= MIN_SERVED}
    most = max(served.values(), default=0.0)
    return grown, f"the busiest instance served {most:,.0f} requests over the window (needs {MIN_SERVED:,})"
