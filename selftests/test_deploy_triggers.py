"""D3's trigger evaluator: Prometheus ``for:`` semantics and the plan's boundaries, proven for arbitrary series."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gonogo.deploy.triggers import PLAN_TRIGGERS, Trigger, compressed, fires_at

ERRORS = next(t for t in PLAN_TRIGGERS if t.name == "error_rate")  # > 5 % for 5 min
HEALTH = next(t for t in PLAN_TRIGGERS if t.name == "health_checks")  # > 3 consecutive failures
EVERY = 15.0  # Prometheus's evaluation (and the contract's scrape) interval


def series(values, every=EVERY, start=1000.0):
    return [(start + i * every, v) for i, v in enumerate(values)]


def test_the_plan_as_written():
    assert [t.describe for t in PLAN_TRIGGERS] == [
        "error_rate: error_rate > 0.05 for 300 s", "latency_p95: latency_p95 > 2 for 180 s", "cpu: cpu > 0.9 for 300 s",
        "memory: memory > 0.95 for 180 s", "health_checks: more than 3 consecutive failed health checks"]


def test_exactly_at_the_threshold_never_fires():
    assert fires_at(ERRORS, series([0.05] * 100), EVERY) is None
    assert fires_at(ERRORS, series([0.0500001] * 100), EVERY) == 1000.0 + 300


def test_the_fourth_failed_check_fires_and_three_do_not():
    assert fires_at(HEALTH, series([1, 0, 0, 0, 1, 0, 0, 0, 1]), EVERY) is None
    assert fires_at(HEALTH, series([1, 0, 0, 0, 0, 1]), EVERY) == 1000.0 + 4 * EVERY  # the 4th in a row
    assert fires_at(HEALTH, series([1, 0, None, 0, 0]), EVERY) == 1000.0 + 4 * EVERY  # no answer is a failed check


@settings(max_examples=200, deadline=None)
@given(before=st.integers(0, 40), breach=st.floats(0.0501, 1.0), held=st.integers(0, 60))
def test_a_breach_fires_exactly_when_it_has_held_for_the_window(before, breach, held):
    values = [0.01] * before + [breach] * held + [0.01] * 5
    at = fires_at(ERRORS, series(values), EVERY)
    needed = int(ERRORS.for_s / EVERY)  # evaluations after the first breached one
    if held > needed:
        assert at == 1000.0 + (before + needed) * EVERY
    else:
        assert at is None  # shorter than the window: a blip never rolls back


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.floats(0, 0.2)), min_size=1, max_size=80), lift=st.floats(0, 0.1))
def test_worse_readings_never_fire_later(values, lift):
    """Monotone: raising every reading (missing data stays missing) can only bring the firing forward."""
    base = fires_at(ERRORS, series(values), EVERY)
    worse = fires_at(ERRORS, series([None if v is None else v + lift for v in values]), EVERY)
    if base is not None:
        assert worse is not None and worse <= base


@settings(max_examples=100, deadline=None)
@given(gap_at=st.integers(1, 18))
def test_missing_data_breaks_the_window_unless_treated_as_breaching(gap_at):
    values = [0.2] * 30
    values[gap_at] = None
    assert fires_at(ERRORS, series(values), EVERY, missing="breaching") == 1000.0 + 300
    resumed = fires_at(ERRORS, series(values), EVERY)  # not breaching: the window starts again after the gap
    expected = 1000.0 + (gap_at + 1) * EVERY + 300
    assert resumed == (expected if expected <= 1000.0 + 29 * EVERY else None)


def test_compressed_windows_say_how_much():
    fast = compressed(PLAN_TRIGGERS, 10)
    assert [t.for_s for t in fast] == [30, 18, 30, 18, 0] and fast[-1].count == 3
    assert fires_at(fast[0], series([0.2] * 40, every=1.0), 1.0) == 1000.0 + 30
    assert fires_at(fast[0], series([0.2] * 29, every=1.0), 1.0) is None


def test_a_trigger_with_greater_or_equal_fires_at_the_threshold():
    at_least = Trigger("error_rate", "error_rate", 0.05, for_s=0, op=">=")
    assert fires_at(at_least, series([0.05]), EVERY) == 1000.0
