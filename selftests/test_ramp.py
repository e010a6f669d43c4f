"""The capacity ramp (issue 32, K6): its steps, how each is judged, the capacity and its lower bounds, and how the
load.capacity and load.headroom gates decide on them (a lower bound passes over the threshold, never fails under it;
a knee of the target's own under it fails)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gonogo.config.environments import Environments
from gonogo.config.errors import ConfigError
from gonogo.config.gates import GateSet
from gonogo.core.store import MetricsStore
from gonogo.gates.rules import Status, evaluate
from gonogo.loadgen import knee, ramp
from gonogo.loadgen.ramp import Capacity, Limits, Ramp, Step
from gonogo.loadgen.recorder import Recorder
from gonogo.reporting import curve_svg

REPO = Path(__file__).resolve().parents[1]
LIMITS = Limits(p95_s=0.5, error_rate=0.001)
ENVS = ["local", "staging", "production"]


def gates_for(env: str) -> dict:
    return {g.id: g for g in GateSet.from_path(REPO / "gates.yaml", ENVS).for_environment(env)}


def step_store(
    *, requests: int, p95_ms: float, errors: int = 0, throttled: int = 0, late: int = 0, arrivals: int = 0
) -> MetricsStore:
    """One step's slice as the recorder leaves it: ``requests`` latencies (95 % at 10 ms, the rest at p95_ms)."""
    store = MetricsStore()
    fast = int(requests * 0.94)
    for i in range(requests):
        store.record_latency("load.http_latency", 0.010 if i < fast else p95_ms / 1000, endpoint="GET /api/models")
    store.ratio("load.http_errors", errors, requests, endpoint="GET /api/models")
    store.ratio("load.throttled", throttled, requests, endpoint="GET /api/models")
    store.count("load.requests", requests, endpoint="GET /api/models")
    for i in range(arrivals):
        store.record_latency("load.lateness", 0.05 if i < late else 0.0)
        store.ratio("load.late_arrivals", i < late)
    return store


def test_the_steps_rise_by_the_factor_one_of_them_at_the_profiles_rate_and_none_past_the_cap():
    steps = Ramp.plan(240, start=0.5, factor=1.25, steps=9, step_s=5)
    assert steps.rates[3] == 240 and steps.rates[0] == pytest.approx(240 / 1.25**3, abs=0.1)
    assert [round(b / a, 2) for a, b in zip(steps.rates, steps.rates[1:], strict=False)] == [1.25] * 8
    capped = Ramp.plan(240, start=0.5, factor=1.25, steps=9, step_s=5, max_rate=400)
    assert capped.rates[-1] == 400 and all(r <= 400 for r in capped.rates) and len(capped.rates) == 7
    assert steps.duration == 45
    assert steps.rate_at(None) == steps.rate_at(-3) == steps.rates[0]  # the warm-up asks the first step's rate
    assert steps.rate_at(7.5) == steps.rates[1] and steps.rate_at(1e6) == steps.rates[-1]
    assert Ramp.from_env(steps.to_env(), 5) == steps


def test_a_step_holds_or_breaks_on_latency_errors_or_pace_and_says_why():
    held = ramp.judge(100, 10, step_store(requests=1100, p95_ms=80), iterations=1000, finished=995, limits=LIMITS)
    assert held.held and held.rps == 110 and held.p95_ms == pytest.approx(80, rel=0.01) and held.pace == 1.0
    slow = ramp.judge(100, 10, step_store(requests=1100, p95_ms=900), 1000, 1000, LIMITS)
    assert slow.outcome == "broke" and "P95 900 ms (limit 500 ms)" in slow.why
    erring = ramp.judge(100, 10, step_store(requests=1000, p95_ms=80, errors=5), 1000, 1000, LIMITS)
    assert erring.outcome == "broke" and "errors 0.50%" in erring.why
    behind = ramp.judge(100, 10, step_store(requests=900, p95_ms=80), 900, 900, LIMITS)
    assert behind.outcome == "broke" and "began 90% of the iterations asked" in behind.why
    # every iteration begun, but the target finished its ceiling, not the offer: the rest queue
    capped = ramp.judge(100, 10, step_store(requests=1000, p95_ms=80), 1000, 920, LIMITS)
    assert capped.outcome == "broke" and "finished 92% of the iterations asked (needs 97%)" in capped.why
    assert ramp.judge(100, 10, step_store(requests=1000, p95_ms=80), 1000, 975, LIMITS).held


def test_429s_and_a_late_generator_say_nothing_of_the_target():
    throttled = ramp.judge(100, 10, step_store(requests=1000, p95_ms=80, throttled=50), 1000, 1000, LIMITS)
    assert throttled.outcome == "throttled" and "429" in throttled.why
    late_and_slow = step_store(requests=1000, p95_ms=530, arrivals=1000, late=400)  # 50 ms late: could be all of it
    assert ramp.judge(100, 10, late_and_slow, 1000, 1000, LIMITS).outcome == "generator"
    late_behind = step_store(requests=900, p95_ms=80, arrivals=900, late=400)  # fewer begun: maybe its own doing
    assert ramp.judge(100, 10, late_behind, 900, 900, LIMITS).outcome == "generator"
    # a P95 over the limit by more than the generator's delay could add is the target's, however late the generator
    late_but_far_over = step_store(requests=1000, p95_ms=900, arrivals=1000, late=400)
    assert ramp.judge(100, 10, late_but_far_over, 1000, 1000, LIMITS).outcome == "broke"
    # a late generator only adds to the latencies and sends less: a step that held in spite of it held
    late_but_held = step_store(requests=1000, p95_ms=80, arrivals=1000, late=400)
    assert ramp.judge(100, 10, late_but_held, 1000, 1000, LIMITS).held
    # errors are the target's, however late the generator
    late_and_erring = step_store(requests=1000, p95_ms=80, errors=20, arrivals=1000, late=400)
    assert ramp.judge(100, 10, late_and_erring, 1000, 1000, LIMITS).outcome == "broke"


def steps_of(*outcomes: str, rates=(100, 125, 156, 195, 244)) -> list[Step]:
    return [Step(r, r * 1.1, 10.0, 20.0 + 10 * i, 0.0, 0.0, 1.0, 1.0, o, "" if o == "held" else f"{o} here")
            for i, (r, o) in enumerate(zip(rates, outcomes, strict=False))]


def test_the_capacity_is_the_highest_step_before_the_knee_and_a_bound_when_the_target_did_not_break():
    knee_found = ramp.capacity(steps_of("held", "held", "held", "broke"))
    assert (knee_found.rate, knee_found.rps, knee_found.bound) == (156, pytest.approx(171.6), None)
    assert "the knee: 195 arrivals/s broke here" in knee_found.summary()
    generator = ramp.capacity(steps_of("held", "held", "generator"))
    assert generator.rate == 125 and "generator here" in generator.bound
    ended = ramp.capacity(steps_of("held", "held"), ended="the last step held")
    assert ended.rate == 125 and ended.bound == "the last step held"
    nothing = ramp.capacity(steps_of("broke"))
    assert nothing.rps is None and nothing.bound is None and "no step held" in nothing.summary()
    assert ramp.capacity(steps_of("throttled")).bound == "throttled here"


def test_a_p95_many_times_the_low_load_one_at_the_profiles_rate_is_said_even_under_the_limit():
    steps = steps_of("held", "held", "held", "held")
    assert ramp.slowdown(steps, offered=156) is None  # 40 ms against 20 ms
    steps[2].p95_ms = 75.0
    said = ramp.slowdown(steps, offered=156)
    assert said and "P95 75 ms at 156 arrivals/s" in said and "3.8x the 20 ms at 100" in said


def test_the_recorder_slices_a_ramp_into_its_steps_and_judges_only_finished_ones():
    recorder = Recorder(slice_seconds=5)
    recorder.reset(1000.0)
    steps = Ramp((10.0, 20.0, 40.0), 5)
    for second, count in ((0, 50), (1, 50), (5, 100), (9, 100), (10, 5)):
        for _ in range(count):
            recorder.record_iteration(1000.0 + second + 0.5)
            recorder.record_finished(1000.0 + second + 0.6)
    recorder.settle()
    judged = ramp.steps_from(recorder.slices, recorder.iterations, recorder.finished, steps, LIMITS, upto=10.0)
    assert [s.pace for s in judged] == [s.served for s in judged] == [1.0, 1.0] and len(judged) == 2  # 3rd: not over
    later = ramp.steps_from(recorder.slices, recorder.iterations, recorder.finished, steps, LIMITS, upto=10.0, first=1)
    assert [s.rate for s in later] == [20.0]  # a step judged already is not judged again (it held the loop)


def record(capacity: Capacity, offered: float = 240) -> MetricsStore:
    store = MetricsStore()
    knee.record(store, knee.KneeOutcome(Ramp((1.0,), 5), capacity, offered, outcome=None))  # type: ignore[arg-type]
    return store


@pytest.mark.parametrize(
    ("capacity", "staging", "headroom"),
    [
        (Capacity(steps_of("held"), 1200, 1100, None), Status.PASS, Status.PASS),
        (Capacity(steps_of("held"), 800, 700, None), Status.FAIL, Status.PASS),  # the target broke over 700
        (Capacity(steps_of("held"), 250, 250, None), Status.FAIL, Status.FAIL),  # the lock: just over 240
        (Capacity(steps_of("held"), 1200, 1100, "the generator fell behind"), Status.PASS, Status.PASS),
        (Capacity(steps_of("held"), 250, 250, "the generator fell behind"), Status.INCONCLUSIVE, Status.INCONCLUSIVE),
        (Capacity(steps_of("throttled"), None, None, "429s"), Status.INCONCLUSIVE, Status.INCONCLUSIVE),
        (Capacity(steps_of("broke"), None, None, None), Status.FAIL, Status.FAIL),
    ],
)
def test_the_gates_pass_on_a_lower_bound_over_the_threshold_and_never_fail_on_one(capacity, staging, headroom):
    store, gates = record(capacity), gates_for("staging")
    assert evaluate(gates["load.capacity"], store, {"load"}).status is staging
    assert evaluate(gates["load.headroom"], store, {"load"}).status is headroom


def test_on_the_box_the_capacity_figure_only_warns_and_a_bounded_headroom_is_optional():
    local = gates_for("local")
    box = record(Capacity(steps_of("held"), 180, 170, None))
    assert evaluate(local["load.capacity"], box, {"load"}).status is Status.WARN
    assert evaluate(local["load.headroom"], box, {"load"}).status is Status.FAIL  # the box's own knee
    bounded = record(Capacity(steps_of("held"), 250, 250, "the generator fell behind"))
    result = evaluate(local["load.headroom"], bounded, {"load"})
    assert result.status is Status.INCONCLUSIVE and local["load.headroom"].optional


def test_the_curve_shows_every_step_the_limit_and_the_capacity():
    svg = curve_svg.render(ramp.capacity(steps_of("held", "held", "broke")), LIMITS)
    assert svg.count("<circle") == 3 and "P95 limit 500 ms" in svg and "capacity 138 req/s" in svg


def environments(tmp_path, load: dict, safety: dict) -> Path:
    path = tmp_path / "environments.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "environments": {"x": {
        "base_url": "https://127.0.0.1:9", "load": load, "safety": {"load": {"allowed": True, **safety}}}}}))
    return path


def test_a_ramp_past_the_safety_caps_is_refused_before_anything_is_sent(tmp_path):
    path = environments(tmp_path, {"capacity": {"users": 900, "steps": 30, "step": "30 s"}},
                        {"max_users": 400, "max_duration": "10 min"})
    with pytest.raises(ConfigError) as caught:
        Environments.from_path(path).get("x")
    text = str(caught.value)
    assert "load.capacity.users 900 exceeds safety.load.max_users 400" in text
    assert "the capacity ramp (30 steps of 30 s" in text and "exceeds safety.load.max_duration (600 s)" in text


def test_the_ramp_runs_on_twice_the_profiles_users_within_the_cap_and_the_rate_within_max_rate(tmp_path):
    path = environments(tmp_path, {"users": 200, "user_rps": 1.2},
                        {"max_users": 300, "max_duration": "10 min", "max_rate": 500})
    steps, stepped = knee.plan(Environments.from_path(path).get("x"))
    assert stepped.load.model == "open" and stepped.load.users == 300 and stepped.load.arrival_rate == steps.rates[0]
    assert steps.rates[3] == 240 and steps.rates[-1] == 500

