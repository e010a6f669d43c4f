"""Capacity: a stepped open-model ramp (k6's breakpoint test) and the highest rate the target kept up with.

The arrival rate rises step by step (each step one recorder slice long) and every finished step is judged on its own
figures. A step *held* when the target kept the pace (iterations begun >= PACE_HELD of those asked: in the open model
the generator waits for a free virtual user while the target holds them all; iterations finished >= SERVED_HELD of
those asked: an overloaded target finishes its ceiling, and the rest queue), its P95 stayed under the latency gate's
limit and its error rate under the error gate's. The first step that did not hold is
the knee and ends the ramp. A step can also end it without saying anything about the target: the rate limiter
answered (429s, S2's per-account limits: more accounts spread the load), or the generator fell behind its own
schedule or saturated its CPU while the step did not hold (a late generator only adds to the latencies it measures,
from the intended send times, and sends less: a step that held in spite of it held). The capacity is the requests
per second completed in the highest step that held; a ramp that ended for any other reason than the target breaking
(the rate limiter, the generator, its last step, the safety cap) gives only a lower bound.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from gonogo.core.store import MetricsStore
from gonogo.loadgen.recorder import behind_schedule, generator_saturation

PACE_HELD = 0.95  # as the load.pace gate: a target that begins fewer iterations than asked did not keep up
# iterations finished in the step against those asked: a target past its ceiling finishes the ceiling while the rest
# queue. Counted in iterations, not requests: the tasks drawn send one to three requests, and a step's mix varies by a
# few per cent (a CI run's second step completed 3 % fewer requests per iteration than its first)
SERVED_HELD = 0.97
THROTTLED_LIMIT = 0.01  # past this share of 429s, the step measured the rate limiter, not the target
SLOWDOWN_SAID = 3.0  # the P95 at the profile's rate this many times the lowest step's is said, even under the limit


@dataclass(frozen=True)
class Ramp:
    """The arrival rates (iterations per second, in total) of the steps, in order, each ``step_s`` long."""

    rates: tuple[float, ...]
    step_s: float

    @classmethod
    def plan(
        cls, base_rate: float, start: float, factor: float, steps: int, step_s: float, max_rate: float | None = None
    ) -> Ramp:
        """``steps`` rates up by ``factor`` from about ``start`` x ``base_rate`` (the nearest power of ``factor``, so
        that one step asks exactly ``base_rate``), none above ``max_rate`` (the cap is the last step when the series
        would pass it)."""
        rates: list[float] = []
        rate = base_rate * factor ** round(math.log(start) / math.log(factor))
        for _ in range(steps):
            if max_rate is not None and rate >= max_rate:
                rates.append(max_rate)
                break
            rates.append(round(rate, 1))
            rate *= factor
        return cls(tuple(rates), step_s)

    @property
    def duration(self) -> float:
        return len(self.rates) * self.step_s

    def rate_at(self, since: float | None) -> float:
        """The rate asked ``since`` seconds after measuring began (None or before: the warm-up, at the first step's)."""
        if since is None or since < 0:
            return self.rates[0]
        return self.rates[min(len(self.rates) - 1, int(since // self.step_s))]

    def to_env(self) -> str:
        return ",".join(f"{r:g}" for r in self.rates)

    @classmethod
    def from_env(cls, rates: str, step_s: float) -> Ramp:
        return cls(tuple(float(r) for r in rates.split(",") if r.strip()), step_s)


@dataclass(frozen=True)
class Limits:
    """What a step must stay inside to hold: the load latency gate's P95 limit and the error gate's rate; and the
    tightest load latency limit in play, against which the generator's own delay is judged (None: the P95 limit)."""

    p95_s: float
    error_rate: float
    tightest_s: float | None = None

    @property
    def delay_budget_basis(self) -> float:
        return self.tightest_s or self.p95_s


@dataclass
class Step:
    rate: float  # arrivals asked per second
    rps: float  # requests completed per second
    p50_ms: float | None
    p95_ms: float | None
    errors: float  # share of the requests that failed (server errors, no answer, wrong body)
    throttled: float  # share answered 429
    pace: float  # iterations begun / asked
    served: float  # iterations finished / asked
    outcome: str  # held | broke (the target) | throttled | generator
    why: str = ""
    late: float = 0.0  # share of the step's arrivals the generator began more than one inter-arrival gap late
    late_p99_ms: float | None = None  # the generator's own delay: P99 of how late it began the step's arrivals

    @property
    def held(self) -> bool:
        return self.outcome == "held"


def judge(rate: float, step_s: float, store: MetricsStore, iterations: int, finished: int, limits: Limits) -> Step:
    """One finished step, from the figures of its slice and the iterations begun and finished in it."""
    latency = store.select("load.http_latency")
    errors, throttled, requests = (store.select(n) for n in ("load.http_errors", "load.throttled", "load.requests"))
    late, lateness = store.select("load.late_arrivals"), store.select("load.lateness")
    p50, p95 = (latency.percentile_seconds(p) if latency is not None else None for p in (50, 95))
    late_p99 = lateness.percentile_seconds(99) if lateness is not None else None
    step = Step(
        rate=rate,
        rps=round((requests.total if requests is not None else 0) / step_s, 1),
        p50_ms=None if p50 is None else round(p50 * 1000, 1),
        p95_ms=None if p95 is None else round(p95 * 1000, 1),
        errors=errors.hits / errors.total if errors is not None and errors.total else 0.0,
        throttled=throttled.hits / throttled.total if throttled is not None and throttled.total else 0.0,
        pace=min(1.0, iterations / (rate * step_s)) if rate > 0 else 0.0,
        served=min(1.0, finished / (rate * step_s)) if rate > 0 else 0.0,
        outcome="held",
        late=late.hits / late.total if late is not None and late.total else 0.0,
        late_p99_ms=None if late_p99 is None else round(late_p99 * 1000, 2),
    )
    if step.throttled > THROTTLED_LIMIT:
        step.outcome = "throttled"
        step.why = (
            f"{step.throttled:.1%} of the answers were 429 (the per-account rate limits, S2): the step measured the "
            "rate limiter, not the target — more accounts (accounts_file) spread the load over more limits"
        )
    elif requests is None or not requests.total:
        step.outcome, step.why = "broke", "no request completed"
    else:
        problems = []
        if step.pace < PACE_HELD:
            problems.append(f"began {step.pace:.0%} of the iterations asked (needs {PACE_HELD:.0%})")
        if step.served < SERVED_HELD:  # an overloaded target finishes its ceiling, not the offer
            problems.append(f"finished {step.served:.0%} of the iterations asked (needs {SERVED_HELD:.0%})")
        if p95 is not None and p95 > limits.p95_s:
            problems.append(f"P95 {p95 * 1000:,.0f} ms (limit {limits.p95_s * 1000:,.0f} ms)")
        if step.errors > limits.error_rate:
            problems.append(f"errors {step.errors:.2%} (limit {limits.error_rate:.2%})")
        if problems:
            generator = generator_saturation(store) or behind_schedule(store, limits.delay_budget_basis)
            # errors are the target's; so is a P95 over the limit by more than the generator's own delay could add
            own = step.errors > limits.error_rate or (p95 is not None and p95 - generator_delay(store) > limits.p95_s)
            step.outcome, step.why = (
                ("generator", generator) if generator and not own else ("broke", "; ".join(problems))
            )
    return step


def generator_delay(store: MetricsStore) -> float:
    """The most the generator's own delay adds to a latency it measured (seconds): its P99 lateness against the
    schedule, or its event loop's P95 lag, whichever is larger."""
    lateness, lag = store.select("load.lateness"), store.select("load.generator_lag")
    return max(
        (lateness.aggregate("p99") or 0.0) if lateness is not None else 0.0,
        (lag.aggregate("p95") or 0.0) if lag is not None else 0.0,
    )


@dataclass
class Capacity:
    steps: list[Step]
    rps: float | None  # requests per second completed in the highest step that held; None: none held
    rate: float | None  # that step's arrival rate
    bound: str | None  # why the figure is only a lower bound (None: the next step broke the target)
    slowdown: str | None = None  # the held step's P95 many times the low-load one, said even under the limit

    def to_dict(self) -> dict:
        return {
            "steps": [asdict(s) for s in self.steps],
            "rps": self.rps,
            "rate": self.rate,
            "bound": self.bound,
            "slowdown": self.slowdown,
        }

    def summary(self) -> str:
        if self.rps is None:
            first = self.steps[0] if self.steps else None
            return "no step held" + (f": the first, {first.rate:g} arrivals/s, {first.why}" if first else "")
        text = f"{self.rps:,.0f} req/s held at {self.rate:g} arrivals/s"
        knee = next((s for s in self.steps if not s.held), None)
        if self.bound:
            text += f" (at least: {self.bound})"
        elif knee is not None:
            text += f"; the knee: {knee.rate:g} arrivals/s {knee.why}"
        return text


def capacity(steps: list[Step], *, ended: str = "") -> Capacity:
    """The highest step held before the first that did not. ``ended``: why the ramp stopped when no step broke (the
    last step, the safety cap, an abort)."""
    held: Step | None = None
    stop: Step | None = None
    for step in steps:
        if not step.held:
            stop = step
            break
        held = step
    if held is None:
        bound = stop.why if stop is not None and stop.outcome != "broke" else None
        return Capacity(steps, None, None, bound)
    bound = None
    if stop is None:
        bound = ended or f"the ramp ended at {held.rate:g} arrivals/s with the target keeping up"
    elif stop.outcome != "broke":
        bound = f"at {stop.rate:g} arrivals/s {stop.why}"
    return Capacity(steps, held.rps, held.rate, bound)


def slowdown(steps: list[Step], offered: float) -> str | None:
    """The P95 at the fixed profile's own rate (the step nearest ``offered`` that held) SLOWDOWN_SAID or more times the
    lowest step's: said even when under the limit (a target that slows down well before it breaks)."""
    held = [s for s in steps if s.held and s.p95_ms]
    if len(held) < 2 or offered <= 0:
        return None
    low, at = held[0], min(held[1:], key=lambda s: abs(math.log(s.rate / offered)))
    if at.p95_ms is None or low.p95_ms is None or at.p95_ms < SLOWDOWN_SAID * low.p95_ms:
        return None
    return (
        f"P95 {at.p95_ms:,.0f} ms at {at.rate:g} arrivals/s (the fixed profile's rate: {offered:g}) is "
        f"{at.p95_ms / low.p95_ms:.1f}x the {low.p95_ms:,.0f} ms at {low.rate:g}: the target slows down well before "
        "it breaks"
    )


def steps_from(
    slices: dict[int, MetricsStore],
    iterations: dict[int, int],
    finished: dict[int, int],
    ramp: Ramp,
    limits: Limits,
    upto: float,
    first: int = 0,
) -> list[Step]:
    """The steps finished within ``upto`` seconds of measuring (slice i = step i), judged, from step ``first`` on
    (those before it were judged already: a finished step's figures no longer change). ``iterations`` and
    ``finished``: iterations begun and finished per second since measuring began."""
    out: list[Step] = []
    for index, rate in enumerate(ramp.rates):
        if index < first:
            continue
        start, end = index * ramp.step_s, (index + 1) * ramp.step_s
        if end > upto + 1e-6:
            break
        begun, done = (sum(n for s, n in counts.items() if start <= s < end) for counts in (iterations, finished))
        out.append(judge(rate, ramp.step_s, slices.get(index) or MetricsStore(), begun, done, limits))
    return out
