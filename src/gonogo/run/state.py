"""A pytest run's bookkeeping: its inputs, the target it tests, the store its suites fill, which suites ran and how
many of their tests failed, and its record once decided. No pytest import."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gonogo.config.environments import Environment
from gonogo.config.gates import Gate
from gonogo.config.waivers import Waivers
from gonogo.core.store import MetricsStore
from gonogo.gates.rules import GateResult
from gonogo.gates.verdict import Verdict
from gonogo.loadgen import limits
from gonogo.loadgen.ramp import Limits
from gonogo.mongo.indexes import IndexSpec
from gonogo.run.inputs import Inputs
from gonogo.run.record import About, Record, decided, stopped
from gonogo.run.target import Remote, Target

if TYPE_CHECKING:
    from gonogo.local.capacity import Calibration


@dataclass
class RunState:
    inputs: Inputs
    environment: Environment  # the inputs' environment, pointed at the target once it is up
    target: Target = field(default_factory=Remote)
    store: MetricsStore = field(default_factory=MetricsStore)
    run_id: str = field(default_factory=lambda: f"gonogo-{uuid.uuid4().hex[:12]}")
    started: float = field(default_factory=time.time)
    suites_run: set[str] = field(default_factory=set)
    failed_tests: int = 0
    unreachable: str | None = None  # why the target did not answer, when it did not
    record: Record | None = None  # the decision, once made

    @classmethod
    def load(cls, *args: Any, **kwargs: Any) -> RunState:
        """``Inputs.load``'s arguments; raises ConfigError / ReportError before anything is sent."""
        inputs = Inputs.load(*args, **kwargs)
        return cls(inputs, inputs.environment)

    # -- the inputs, by name ---------------------------------------------------------------------------------------
    @property
    def env_name(self) -> str:
        return self.inputs.env_name

    @property
    def gates(self) -> list[Gate]:
        return self.inputs.gates

    @property
    def gates_path(self) -> Path:
        return self.inputs.gates_path

    @property
    def environments_path(self) -> Path:
        return self.inputs.environments_path

    @property
    def indexes(self) -> list[IndexSpec] | None:
        return self.inputs.indexes

    @property
    def waivers(self) -> Waivers:
        return self.inputs.waivers

    @property
    def baseline(self) -> MetricsStore | None:
        return self.inputs.baseline.store

    @property
    def baseline_path(self) -> Path | None:
        return self.inputs.baseline.path

    @property
    def baseline_identity(self) -> str | None:
        return self.inputs.baseline.identity

    @property
    def base_url_overridden(self) -> bool:
        return self.inputs.base_url_overridden

    # -- what the load gates ask -----------------------------------------------------------------------------------
    def latency_limits(self) -> dict[str, float]:
        return limits.load_latency_limits(self.gates)

    def headroom_factor(self) -> float:
        return limits.headroom_factor(self.gates, self.environment)

    def step_limits(self) -> Limits:
        return limits.step_limits(self.gates)

    def apply_calibration(self, calibration: Calibration) -> None:
        """This host's pace for the local profile (gonogo.local.capacity), said in the report. A lowered pace
        stretches the warm-up by as much, so the measured window starts as warm as at the written pace."""
        written = self.environment.load
        load = calibration.applied_to(written)
        self.environment = self.environment.model_copy(update={"load": load})
        self.store.note(
            "load.calibration",
            {
                "user_rps": load.user_rps if written.model == "closed" else calibration.user_rps,
                "asked_user_rps": calibration.asked_user_rps,
                "warmup_s": load.warmup,
                "asked_warmup_s": written.warmup,
                **(
                    {"arrival_rate": load.arrival_rate, "asked_arrival_rate": written.arrival_rate}
                    if written.model == "open"
                    else {}
                ),
                "probes": calibration.probes,
                "host": calibration.host,
                "measured_at": calibration.measured_at,
                "summary": calibration.describe(),
            },
        )

    def not_covered(self, what: str, why: str, metrics: tuple[str, ...], **tags: object) -> str:
        """``what`` did not run (``why``): record it on ``metrics`` as not covered -- or, where the environment
        declares ``out_of_scope: {what: reason}``, as excluded by declaration. Returns the line to skip with."""
        declared = self.environment.out_of_scope.get(what)
        for metric in metrics:
            if declared:
                self.store.out_of_scope(metric, what, declared, **tags)
            else:
                self.store.unmeasured(metric, f"{what} not covered: {why}", **tags)
        if declared:
            return f"{what}: {why} (out of scope here: {declared})"
        return (
            f"{what}: {why}; its gates are inconclusive unless environments.yaml declares "
            f"out_of_scope: {{{what}: reason}}"
        )

    # -- the decision ----------------------------------------------------------------------------------------------
    def about(self) -> About:
        return About(
            self.env_name,
            base_url=self.environment.display_url,
            gates_file=str(self.gates_path),
            run_id=self.run_id,
            started=self.started,
            target=self.target.described(),
        )

    def decide(self) -> Record:
        """Once, after every suite test and its fixtures' teardown; every output is written from this record."""
        if self.record is None:
            self.record = decided(
                self.about(),
                self.gates,
                self.store,
                self.suites_run,
                failed_tests=self.failed_tests,
                baseline=self.baseline,
                blocker=f"target unreachable: {self.unreachable}" if self.unreachable else None,
            )
        return self.record

    def stop(self, reason: str, exit_code: int) -> Record:
        """The run ends undecided: its record says why (over any decision already made)."""
        self.record = stopped(self.about(), reason, exit_code)
        return self.record

    @property
    def verdict(self) -> Verdict | None:
        return self.record.verdict if self.record is not None else None

    def result_of(self, gate_id: str) -> GateResult:
        verdict = self.decide().verdict
        assert verdict is not None  # a decided record
        return next(r for r in verdict.results if r.gate.id == gate_id)
