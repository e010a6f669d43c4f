"""D3 live, judged from the client side (gonogo.deploy.live_triggers) on synthetic prober shots, and the box's
watchdog's readings (gonogo.local.watchdog) on real Prometheus text."""

from __future__ import annotations

import pytest

from gonogo.deploy.live_triggers import Alerting, Case, back_on, expected_fire, readings
from gonogo.deploy.prober import Shot
from gonogo.deploy.triggers import PLAN_TRIGGERS, compressed, fires_at

BOX = Alerting(evaluation_s=1.0, scrape_s=1.0, health_check_s=1.0)
TRIGGERS = {t.name: t for t in compressed(PLAN_TRIGGERS, 30)}
T0 = 1_000.0


def shots(seconds: float, rate: float = 20, *, start: float = T0, outcome=lambda t: "200", version=lambda t: "1.1.0",
          latency=lambda t: 0.01) -> list[Shot]:
    n = int(seconds * rate)
    out = []
    for i in range(n):
        t = start + i / rate
        code = outcome(t)
        out.append(Shot(t, "keepalive", code, latency(t), version(t) if code == "200" else None))
    return out


def test_an_error_burst_should_fire_the_compressed_error_trigger_its_window_after_the_clients_see_it():
    burst = shots(30, outcome=lambda t: "503" if int(t * 20) % 2 else "200")  # 50 % errors from T0
    assert expected_fire(TRIGGERS["error_rate"], burst, T0, T0 + 30, BOX) == pytest.approx(T0 + 11)  # seen at +1, then 10 s
    points = readings(TRIGGERS["error_rate"], burst, T0, T0 + 30, BOX)
    assert fires_at(TRIGGERS["error_rate"], points, 1.0, start=T0) == pytest.approx(T0 + 11)  # the evaluator agrees
    # a rollback ends the condition: the readings after it say nothing about when the trigger should have fired
    rolled_back = [s for s in burst if s.sent < T0 + 12] + shots(10, start=T0 + 12, version=lambda t: "1.0.0")
    assert expected_fire(TRIGGERS["error_rate"], rolled_back, T0, T0 + 22, BOX) == pytest.approx(T0 + 11)


def test_exactly_five_percent_never_holds_and_a_short_burst_never_fires():
    five = shots(30, outcome=lambda t: "503" if int(round((t - T0) * 20)) % 20 == 0 else "200")
    assert all(v == pytest.approx(0.05) for _, v in readings(TRIGGERS["error_rate"], five, T0 + 2, T0 + 29, BOX))
    assert expected_fire(TRIGGERS["error_rate"], five, T0 + 2, T0 + 29, BOX) is None  # the clients never saw > 5 %
    short = shots(30, outcome=lambda t: "503" if t < T0 + 5 else "200")
    assert fires_at(TRIGGERS["error_rate"], readings(TRIGGERS["error_rate"], short, T0, T0 + 30, BOX), 1.0, start=T0) is None


def test_slow_answers_fire_the_p95_trigger_and_health_fires_on_the_fourth_failed_check():
    slow = shots(20, latency=lambda t: 2.5)
    fired = expected_fire(TRIGGERS["latency_p95"], slow, T0, T0 + 20, BOX)
    assert fired is not None and T0 + 2.5 + 6 <= fired <= T0 + 2.5 + 6 + 2  # answers seen when they end, then 6 s
    unhealthy = shots(10, outcome=lambda t: "503")
    assert expected_fire(TRIGGERS["health_checks"], unhealthy, T0, T0 + 10, BOX) == pytest.approx(T0 + 4)
    # rolled back after the 4th failed check, as the clients saw three: still expected at the 4th
    cut = shots(3.5, outcome=lambda t: "503") + shots(5, start=T0 + 3.5, version=lambda t: "1.0.0")
    assert expected_fire(TRIGGERS["health_checks"], cut, T0, T0 + 8, BOX) == pytest.approx(T0 + 4)


def test_back_on_needs_the_old_version_steadily():
    flips = shots(10, version=lambda t: "1.0.0" if (T0 + 3 < t < T0 + 4) or t > T0 + 6 else "1.1.0")
    assert back_on(flips, "1.0.0", T0, T0 + 10) == pytest.approx(T0 + 6.05, abs=0.06)
    assert back_on(flips, "1.0.0", T0, T0 + 7) is None  # not yet steady for 2 s


def test_a_case_is_judged_early_late_and_short():
    trig = TRIGGERS["error_rate"]
    on_time = Case(trig, "errors", T0, 86, back_at=T0 + 12.5, expected_at=T0 + 11, watched_until=T0 + 15)
    assert on_time.judge(BOX) == (True, "errors for 86 s: rolled back 12.5 s after it began (window 10 s)")
    assert on_time.automatic_rollback_s() == pytest.approx(1.5)
    early = Case(trig, "errors", T0, 86, back_at=T0 + 2.0, expected_at=T0 + 11, watched_until=T0 + 5)
    assert early.judge(BOX)[0] is False and "before the trigger's 10 s window" in early.judge(BOX)[1]
    never = Case(trig, "errors", T0, 86, expected_at=T0 + 11, watched_until=T0 + 80)
    assert never.judge(BOX) == (False, "errors for 86 s: no rollback in 80 s; the trigger should have fired 11.0 s after it began")
    assert never.automatic_rollback_s() is None
    short = Case(trig, "errors", T0, 5, short=True, watched_until=T0 + 17)
    assert short.judge(BOX) == (True, "errors for 5 s (shorter than the 10 s window): no rollback in 17 s")
    short.back_at = T0 + 3
    assert short.judge(BOX)[0] is False
    assert Case(TRIGGERS["health_checks"], "unhealthy", T0, 80).window_s(BOX) == 4.0  # the 4th failed check


METRICS = """# TYPE http_requests_total counter
http_requests_total{method="GET",path="/api/models",status="200"} 90.0
http_requests_total{method="GET",path="/api/models",status="503"} 10.0
http_requests_total{method="GET",path="/health",status="503"} 50.0
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.5",method="GET",path="/api/models",status="200"} 80.0
http_request_duration_seconds_bucket{le="2.5",method="GET",path="/api/models",status="200"} 95.0
http_request_duration_seconds_bucket{le="+Inf",method="GET",path="/api/models",status="200"} 100.0
http_request_duration_seconds_count{method="GET",path="/api/models",status="200"} 100.0
http_request_duration_seconds_sum{method="GET",path="/api/models",status="200"} 30.0
"""


def test_the_watchdog_reads_the_contract_metrics_without_the_balancer_checks():
    pytest.importorskip("reference_api")
    from gonogo.local.watchdog import quantile, totals

    requests, errors, buckets = totals(METRICS)
    assert (requests, errors) == (100.0, 10.0)  # /health's 503s are the balancer's checks, not the clients'
    assert buckets == {0.5: 80.0, 2.5: 95.0, float("inf"): 100.0}
    assert quantile(0.95, buckets) == pytest.approx(2.5)
    assert quantile(0.5, buckets) == pytest.approx(0.3125)
    assert quantile(0.99, buckets) == 2.5  # in the +Inf bucket: its lower edge, as histogram_quantile says
    assert quantile(0.95, {}) is None


def test_a_case_cut_short_clears_its_fault_and_restores_the_old_version(monkeypatch):
    """Ctrl-C (or a failing read) while a fault is injected: the chaos is cleared and the old version routed back
    before the interruption goes on, so the new colour is not left faulted and live."""
    import time
    from types import SimpleNamespace

    from gonogo.deploy import rollback_drill

    done: list[tuple[str, str]] = []

    def ran(name: str, what: str):
        done.append((name, what))
        return SimpleNamespace(started=time.time(), finished=time.time(), detail="")

    monkeypatch.setattr(rollback_drill.actions, "run", lambda action, name, to: ran(name, to))
    monkeypatch.setattr(rollback_drill, "_inject", lambda action, fault, seconds, to: ran("inject", fault))

    class Prober:
        reads = 0

        def answered_since(self, since):
            self.reads += 1
            if self.reads == 2:  # the first read while the fault is on
                raise KeyboardInterrupt
            return [Shot(time.time(), "keepalive", "200", 0.01, "1.1.0")]

    settings = SimpleNamespace(switch=None, inject=None, rollback=None, confirm_within=0.2)
    drill = rollback_drill.RollbackDrill("1.0.0", BOX, 30)
    with pytest.raises(KeyboardInterrupt):
        rollback_drill._case(drill, settings, Prober(), TRIGGERS["error_rate"], False, "blue", say=lambda _: None)
    assert done == [("switch", "green"), ("inject", "errors"), ("inject", "none"), ("rollback", "blue")]
