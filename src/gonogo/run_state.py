"""Everything one gate run knows: its environment, gates, metrics and verdict. No pytest import."""

from __future__ import annotations

import math
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gonogo.config.environments import Environment, Environments
from gonogo.config.gates import Gate, GateSet
from gonogo.config.waivers import Waivers
from gonogo.core.catalog import WATCH
from gonogo.core.store import MetricsStore
from gonogo.gates.rules import GateResult
from gonogo.gates.verdict import Verdict, decide
from gonogo.loadgen.ramp import Limits
from gonogo.mongo.indexes import IndexSpec
from gonogo.reporting import json_report

#: Precedence, lowest first: built-in defaults -> pytest.ini -> GONOGO_* environment variables -> command line.
ENV_VARS = {
    "env": "GONOGO_ENV",
    "gates": "GONOGO_GATES",
    "environments": "GONOGO_ENVIRONMENTS",
    "base_url": "GONOGO_BASE_URL",
}


def pick(cli: str | None, env_var: str, ini: str | None, default: str | None, environ: Mapping[str, str]) -> str | None:
    """One setting by the documented precedence."""
    if cli:
        return cli
    if environ.get(env_var):
        return environ[env_var]
    return ini or default


def load_latency_limits(gates: list[Gate]) -> dict[str, float]:
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


def headroom_factor(gates: list[Gate], environment: Environment) -> float:
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


def on_box(environment: Environment, info) -> Environment:
    """The environment pointed at a running local box (its URL, CA, accounts, database, lock file, the host's
    exporter and cores as a deployment states its limits)."""
    from pydantic import SecretStr

    server = environment.server_metrics
    if info.node_exporter_url:  # the box states its host's exporter and cores, as a deployment states its limits
        limits = server.limits.model_copy(update={"cpu_cores": server.limits.cpu_cores or info.cpu_cores or None})
        server = server.model_copy(update={"node_exporters": [info.node_exporter_url], "limits": limits})
    if info.instances:
        server = server.model_copy(update={"instances": list(info.instances)})
    return environment.model_copy(
        update={
            "server_metrics": server,
            "base_url": info.url,
            "mongo_url": SecretStr(info.mongo_url),
            "ca_bundle": info.ca_bundle,
            "accounts_file": info.accounts_file,
            "dependency_files": [info.dependency_file],
            "database": info.database,
            "redis_url": SecretStr(info.redis_url),
            **(
                {
                    "s3": environment.s3.model_copy(
                        update={"endpoint_url": info.s3_endpoint, "bucket": info.s3_bucket, "region": "us-east-1"}
                    ),
                    "aws": environment.aws.model_copy(update={"credentials_file": info.aws_credentials_file}),
                }
                if info.s3_endpoint
                else {}
            ),
            **(
                {"jwt_signing_key": SecretStr(Path(info.jwt_key_file).read_text().strip())} if info.jwt_key_file else {}
            ),
        }
    )


def monitored(environment: Environment, root: Path) -> tuple[Environment, str | None, str]:
    """(the environment, the Prometheus that watches it, why there is none). A local environment is pointed at the
    running box and the Prometheus `gonogo stack up` started beside it."""
    if environment.embedded_stack:
        from gonogo.stack import Box

        running = Box(root).running()
        if running is None or not running.prometheus_url:
            return (
                environment,
                None,
                "the local box is not running with a Prometheus beside it: start it with `gonogo stack up` "
                "(with Debian's prometheus installed: scripts/setup.sh)",
            )
        return on_box(environment, running), environment.prometheus_url or running.prometheus_url, ""
    if not environment.prometheus_url:
        return environment, None, f"environment '{environment.name}' names no prometheus_url"
    return environment, environment.prometheus_url, ""


@dataclass
class RunState:
    env_name: str
    environment: Environment
    environments_path: Path
    gates_path: Path
    gates: list[Gate]
    indexes: list[IndexSpec] | None = None  # required MongoDB indexes from gates.yaml; None: the db suite's own
    waivers: Waivers = field(default_factory=Waivers.none)
    baseline: MetricsStore | None = None
    baseline_path: Path | None = None
    baseline_identity: str | None = None  # "run R of environment E, finished T"
    store: MetricsStore = field(default_factory=MetricsStore)
    run_id: str = field(default_factory=lambda: f"gonogo-{uuid.uuid4().hex[:12]}")
    started: float = field(default_factory=time.time)
    suites_run: set[str] = field(default_factory=set)
    failed_tests: int = 0
    verdict: Verdict | None = None
    base_url_overridden: bool = False
    unreachable: str | None = None  # why the target did not answer, when it did not
    target: dict = field(default_factory=dict)  # what was tested: {"embedded_box": bool, "faults": [...]}
    _results: dict[str, GateResult] | None = None

    @classmethod
    def load(
        cls,
        env_name: str,
        environments_path: Path,
        gates_path: Path,
        *,
        base_url: str | None = None,
        baseline_path: Path | None = None,
        baseline_any_env: bool = False,
        environ: Mapping[str, str] | None = None,
    ) -> RunState:
        """Load and validate everything; raises ConfigError / ReportError before anything is sent."""
        environments = Environments.from_path(environments_path)
        environment = environments.get(env_name, environ, base_url=base_url)
        gate_set = GateSet.from_path(gates_path, environments.names)
        baseline, identity = None, None
        if baseline_path is not None:
            baseline, identity = json_report.load_baseline(
                baseline_path, env_name, None, any_environment=baseline_any_env
            )
        waivers = Waivers.from_path(environment.waivers_file) if environment.waivers_file else Waivers.none()
        return cls(
            env_name,
            environment,
            environments_path,
            gates_path,
            [g for g in gate_set.for_environment(env_name) if g.suite != WATCH],  # gonogo watch's own
            indexes=None
            if gate_set.index_models is None
            else [IndexSpec.from_config(m) for m in gate_set.index_models],
            waivers=waivers,
            baseline=baseline,
            baseline_path=baseline_path,
            baseline_identity=identity,
            base_url_overridden=bool(base_url),
        )

    def attach_box(self, info) -> None:
        """Point the environment at a running local box (its URL, CA, accounts, database, lock file)."""
        self.environment = on_box(self.environment, info)
        self.target = {"embedded_box": True, "faults": list(info.faults)}

    def latency_limits(self) -> dict[str, float]:
        return load_latency_limits(self.gates)

    def headroom_factor(self) -> float:
        return headroom_factor(self.gates, self.environment)

    def step_limits(self) -> Limits:
        """What a capacity ramp's step must stay inside to hold: the load gates' P95 limit and error rate."""
        errors = [
            g.threshold.value
            for g in self.gates
            if g.metric.name == "load.http_errors" and g.threshold is not None and not g.where and g.per is None
        ]
        tightest = [
            g.threshold.value
            for g in self.gates
            if g.metric.name == "load.http_latency" and g.op in ("<", "<=") and g.threshold is not None and not g.where
        ]
        return Limits(self.latency_limits().get("p95", 0.5), min(errors, default=0.001), min(tightest, default=None))

    def apply_calibration(self, calibration) -> None:
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

    def result_of(self, gate_id: str) -> GateResult:
        """Gate results are computed once, when the first gate is asked for (after every suite test)."""
        if self._results is None:
            self._results = {r.gate.id: r for r in self.decide().results}
        return self._results[gate_id]

    def decide(self) -> Verdict:
        self.verdict = decide(self.gates, self.store, self.suites_run, self.failed_tests, self.baseline)
        if self.unreachable:
            self.verdict.block(f"target unreachable: {self.unreachable}")
        return self.verdict

    def report(self) -> dict:
        verdict = self.verdict or self.decide()
        report = json_report.build(
            verdict,
            self.store,
            environment=self.env_name,
            base_url=self.environment.display_url,
            gates_file=str(self.gates_path),
            started=self.started,
            run_id=self.run_id,
        )
        report["target"] = self.target or {"embedded_box": False, "faults": []}
        return report
