"""What the load gates ask of a load run, read from gates.yaml: the latency limits the calibration keeps half of, how
far above the profile the capacity ramp must hold for load.headroom, and what a ramp's step must stay inside."""

from __future__ import annotations

import math
from collections.abc import Sequence

from gonogo.config.environments import Environment
from gonogo.config.gates import Gate
from gonogo.loadgen.ramp import Limits


def load_latency_limits(gates: Sequence[Gate]) -> dict[str, float]:
    """The limits (seconds) of the load latency gates by percentile ({"p95": 0.5, "p99": 1.0}): the calibration
    keeps half of each free."""
    limits: dict[str, float] = {}
    for gate in gates:
        if (
            gate.metric.name == "load.http_latency"
            and gate.aggregation in ("p95", "p99")
            and gate.threshold is not None
            and not gate.where
        ):
            limits[gate.aggregation] = min(gate.threshold.value, limits.get(gate.aggregation, float("inf")))
    return limits or {"p95": 0.5}


def headroom_factor(gates: Sequence[Gate], environment: Environment) -> float:
    """How far above the fixed profile's rate the capacity ramp must hold for load.headroom to pass: its first step at
    or over the gate's threshold (1.25 at the written ramp and gate). 1.0 without the gate: then the calibration
    needs only the profile's own rate."""
    needed = max(
        (g.threshold.value for g in gates if g.metric.name == "load.headroom" and g.threshold is not None),
        default=None,
    )
    if needed is None or needed <= 1.0:
        return 1.0
    step = environment.load.capacity.factor
    return round(step ** math.ceil(math.log(needed) / math.log(step) - 1e-9), 4)


def step_limits(gates: Sequence[Gate]) -> Limits:
    """What a capacity ramp's step must stay inside to hold: the load gates' P95 limit and error rate, and the
    tightest latency limit in play (the generator's own delay is judged against it)."""
    errors = [
        g.threshold.value
        for g in gates
        if g.metric.name == "load.http_errors" and g.threshold is not None and not g.where and g.per is None
    ]
    tightest = [
        g.threshold.value
        for g in gates
        if g.metric.name == "load.http_latency" and g.op in ("<", "<=") and g.threshold is not None and not g.where
    ]
    return Limits(load_latency_limits(gates).get("p95", 0.5), min(errors, default=0.001), min(tightest, default=None))
