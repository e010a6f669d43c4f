"""server.memory_growth (K10): the slope of resident memory against requests served, per process, and when the
samples cannot give it."""

from __future__ import annotations

import pytest

from gonogo.server_metrics import growth
from gonogo.server_metrics.scrape import total

MIB = 1024**2


def sample(served: float, rss: float, started: float | None = None) -> dict:
    families = {
        "http_requests_total": [({"method": "GET", "path": "/api/models", "status": "200"}, served * 0.9),
                                ({"method": "POST", "path": "/api/evaluations", "status": "201"}, served * 0.1)],
        "process_resident_memory_bytes": [({}, rss)],
    }
    if started is not None:
        families["process_start_time_seconds"] = [({}, started)]
    return families


def test_a_leak_is_its_slope_per_thousand_requests():
    leaking = [(t, sample(1000 * t, 200 * MIB + 64 * 1024 * 1000 * t)) for t in range(10)]  # 64 KiB a request
    grown, _ = growth.from_samples(leaking, total)
    assert grown == {"target": pytest.approx(64 * 1024 * 1000)}  # 62.5 MiB per 1,000
    noisy = [(t, sample(1000 * t, 200 * MIB + (3 * MIB if t % 2 else 0))) for t in range(10)]  # a GC's ups and downs
    grown, _ = growth.from_samples(noisy, total)
    assert abs(grown["target"]) < 0.5 * MIB


def test_processes_are_told_apart_by_their_start_time():
    # two instances behind a balancer, answering in turn: one leaks, the other does not
    window = []
    for t in range(12):
        leaky = t % 2 == 0
        served = 500 * t + (0 if leaky else 37)
        window.append((t, sample(served, (100 + (0.032 * served if leaky else 0)) * MIB, 1000.0 if leaky else 2000.0)))
    grown, _ = growth.from_samples(window, total)
    assert grown["process started 1000"] == pytest.approx(32 * MIB)
    assert grown["process started 2000"] == pytest.approx(0.0)


def test_samples_of_several_processes_without_a_name_are_not_a_slope():
    # the same two instances without process_start_time_seconds: their counters interleave, going down and up
    window = [(t, sample(500 * t + (300 if t % 2 else 0), (100 if t % 2 else 140) * MIB)) for t in range(12)]
    window[3] = (3, sample(100, 100 * MIB))  # the counter of the second instance lags: it goes down
    grown, why = growth.from_samples(window, total)
    assert grown == {} and "went down between readings" in why and "prometheus_url" in why


def test_too_few_readings_or_requests_decide_nothing():
    assert growth.from_samples([(0, sample(0, MIB)), (1, sample(1000, 2 * MIB))], total) == ({}, pytest.approx(
        "target: 2 readings over 1000 requests (needs 3 over 2,000)"))
    grown, why = growth.from_samples([(t, sample(10 * t, MIB * t)) for t in range(5)], total)
    assert grown == {} and "over 40 requests" in why and "2,000" in why
    grown, why = growth.from_samples([(t, {"process_resident_memory_bytes": [({}, MIB)]}) for t in range(5)], total)
    assert grown == {} and "http_requests_total" in why


def test_prometheus_readings_are_the_derivative_over_the_rate():
    # deriv(process_resident_memory_bytes[w]) per instance over sum by (instance) (rate(http_requests_total[w]))
    grown, _ = growth.from_rates({"api-1:8000": 65536.0 * 100, "api-2:8000": 0.0, "api-3:8000": 5.0},
                                 {"api-1:8000": 100.0, "api-2:8000": 90.0}, 60)
    assert grown == {"api-1:8000": 64 * 1024 * 1000, "api-2:8000": 0.0}  # api-3 served nothing
    # a light window: 10 requests a second for 60 s is 600 requests, where a few MiB of noise reads as a leak
    grown, why = growth.from_rates({"api-1:8000": 50_000.0}, {"api-1:8000": 10.0}, 60)
    assert grown == {} and "served 600 requests over the window (needs 2,000)" in why
