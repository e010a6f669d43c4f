"""The one place a run's inputs are read: environments.yaml, gates.yaml, the waivers and the baseline report, each
validated before anything is sent (ConfigError / ReportError: exit 4). Which files: ``gonogo.core.variables.pick``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gonogo.config.environments import Environment, Environments
from gonogo.config.gates import Gate, GateSet
from gonogo.config.waivers import Waivers
from gonogo.core.catalog import WATCH
from gonogo.core.store import MetricsStore
from gonogo.mongo.indexes import IndexSpec
from gonogo.reporting import json_report


def gates_of(gates_path: Path, env_name: str, env_names: list[str] | None, *, watch: bool = False) -> list[Gate]:
    """The gates that apply to ``env_name``: a gate run's (``watch``: gonogo watch's, whose gates read a deployment's
    own traffic after the switch; a gate run, which sends its own, lists none of them)."""
    gates = GateSet.from_path(gates_path, env_names).for_environment(env_name)
    return gates if watch else _of_a_gate_run(gates)


def _of_a_gate_run(gates: list[Gate]) -> list[Gate]:
    return [g for g in gates if g.suite != WATCH]


@dataclass
class Baseline:
    store: MetricsStore | None = None
    path: Path | None = None
    identity: str | None = None  # "run R of environment E, finished T"

    @classmethod
    def read(cls, path: Path | None, env_name: str, run_id: str | None = None, *, any_env: bool = False) -> Baseline:
        if path is None:
            return cls()
        store, identity = json_report.load_baseline(path, env_name, run_id, any_environment=any_env)
        return cls(store, Path(path), identity)


@dataclass
class Inputs:
    """Everything a gate run reads before it sends anything."""

    env_name: str
    environment: Environment
    environments_path: Path
    gates_path: Path
    gates: list[Gate]
    indexes: list[IndexSpec] | None = None  # required MongoDB indexes from gates.yaml; None: the db suite's own
    waivers: Waivers = field(default_factory=Waivers.none)
    baseline: Baseline = field(default_factory=Baseline)
    base_url_overridden: bool = False

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
    ) -> Inputs:
        environments = Environments.from_path(environments_path)
        environment = environments.get(env_name, environ, base_url=base_url)
        gate_set = GateSet.from_path(gates_path, environments.names)
        baseline = Baseline.read(baseline_path, env_name, any_env=baseline_any_env)
        waivers = Waivers.from_path(environment.waivers_file) if environment.waivers_file else Waivers.none()
        return cls(
            env_name,
            environment,
            environments_path,
            gates_path,
            _of_a_gate_run(gate_set.for_environment(env_name)),
            indexes=None
            if gate_set.index_models is None
            else [IndexSpec.from_config(m) for m in gate_set.index_models],
            waivers=waivers,
            baseline=baseline,
            base_url_overridden=bool(base_url),
        )
