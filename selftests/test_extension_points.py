"""A new gate kind and a new target kind, each added as docs/architecture.md ("Where a change goes") says: one class
and one entry in its registry, nothing else touched. (A new output format: selftests/test_run_record.py's toy sink.)
The frame around a new gate kind still applies what every kind shares: too few samples, a warn severity."""

from __future__ import annotations

import pytest

from gonogo.config.gates import GateSet
from gonogo.core.store import MetricsStore
from gonogo.gates import kinds
from gonogo.gates.result import Status
from gonogo.gates.rules import evaluate
from gonogo.run import target

GATES = """\
version: 1
gates:
  - {id: toy.spread, requirement: K1, metric: smoke.http_latency, aggregation: max, threshold: "< 200 ms",
     min_samples: 3}
  - {id: toy.spread.warn, requirement: K1, metric: smoke.http_latency, aggregation: max, threshold: "< 200 ms",
     severity: warn}
  - {id: plain, requirement: K1, metric: smoke.http_latency, aggregation: max, threshold: "< 200 ms"}
"""


class Spread(kinds.GateKind):
    """A toy kind: the spread of the figures (max - min) against the limit, for gates whose id says so."""

    def applies(self, gate):
        return gate.id.startswith("toy.")

    def judge(self, result, store, series, baseline, trust):
        result.measured = series.aggregate("max") - series.aggregate("min")
        result.status = Status.PASS if result.measured < result.gate.limit else Status.FAIL
        result.message = f"spread {result.fmt(result.measured)}"
        return result


@pytest.fixture
def gates(tmp_path):
    (tmp_path / "gates.yaml").write_text(GATES)
    return {g.id: g for g in GateSet.from_path(tmp_path / "gates.yaml").for_environment("local")}


def _store(*seconds: float) -> MetricsStore:
    store = MetricsStore()
    for s in seconds:
        store.record_latency("smoke.http_latency", s)
    return store


def test_a_new_gate_kind_is_one_class_and_one_entry(gates, monkeypatch):
    monkeypatch.setattr(kinds, "KINDS", (Spread(), *kinds.KINDS))
    store = _store(0.30, 0.35, 0.40)  # max 400 ms: the plain threshold fails; spread 100 ms: the toy passes
    assert evaluate(gates["toy.spread"], store, ["smoke"]).status is Status.PASS
    assert evaluate(gates["toy.spread"], store, ["smoke"]).message.startswith("spread 100")
    assert evaluate(gates["plain"], store, ["smoke"]).status is Status.FAIL  # the other gates keep their kind
    wide = _store(0.05, 0.40)  # spread 350 ms
    assert evaluate(gates["toy.spread.warn"], wide, ["smoke"]).status is Status.WARN  # severity, from the frame
    assert evaluate(gates["toy.spread"], wide, ["smoke"]).status is Status.INCONCLUSIVE  # min_samples, the frame's
    assert evaluate(gates["toy.spread"], MetricsStore(), ["smoke"]).status is Status.INCONCLUSIVE  # not measured


def test_without_its_entry_the_toy_kind_decides_nothing(gates):
    assert evaluate(gates["toy.spread"], _store(0.30, 0.35, 0.40), ["smoke"]).status is Status.FAIL  # a threshold


class Recorded:
    """A toy target: recorded answers, nothing to start."""

    def __init__(self, root, **_):
        self.root, self.started = root, False

    def start(self, environment, say):
        self.started = True
        return environment.model_copy(update={"base_url": "https://recorded.example"}), None

    def stop(self):
        self.started = False

    def monitoring(self, environment):
        return environment, None, "a recording has no Prometheus"

    def described(self):
        return {"embedded_box": False, "faults": [], "recorded": True}

    def ca_hint(self, environment):
        return ""


def test_a_new_target_kind_is_one_class_and_one_entry(tmp_path, monkeypatch):
    from gonogo.config.environments import Environments

    (tmp_path / "environments.yaml").write_text(
        "version: 1\nenvironments:\n"
        "  recorded: {base_url: 'https://staging.example'}\n"
        "  staging: {base_url: 'https://staging.example'}\n"
    )
    environments = Environments.from_path(tmp_path / "environments.yaml")
    monkeypatch.setattr(target, "KINDS", [(lambda env, overridden: env.name == "recorded", Recorded), *target.KINDS])
    chosen = target.target_for(environments.get("recorded"), tmp_path)
    assert isinstance(chosen, Recorded)
    environment, calibration = chosen.start(environments.get("recorded"), print)
    assert environment.base_url == "https://recorded.example" and calibration is None and chosen.described()["recorded"]
    assert isinstance(target.target_for(environments.get("staging"), tmp_path), target.Remote)


def test_a_new_suite_declares_its_name_place_and_metrics_in_one_module():
    """The catalog and the run order are assembled from the suites' declarations (gonogo.core.catalog): a toy suite
    declared beside them takes its place in the order and brings its metrics; a metric it names for another suite, or
    one already declared, is refused."""
    from gonogo.core import catalog
    from gonogo.core.catalog.metric import Kind, Suite, metric
    from gonogo.core.store import MetricsStore

    toy = Suite("toy", 2.5, (metric("toy.answers", Kind.RATIO, "toy", "answers the toy suite got"),))
    declared = (*catalog.DECLARED, toy)
    assert catalog.suites(declared) == ("smoke", "load", "toy", "db", "security", "deploy")
    assembled = catalog.catalog(declared)
    assert assembled["toy.answers"].suite == "toy" and set(catalog.CATALOG) < set(assembled)
    store = MetricsStore(assembled)  # the store records the toy's figures by the assembled catalog
    store.ratio("toy.answers", 9, 10)
    assert store.select("toy.answers").aggregate("rate") == 0.9
    with pytest.raises(AssertionError, match="names suite load, not toy"):
        catalog.catalog((*catalog.DECLARED, Suite("toy", 6, (metric("toy.x", Kind.RATIO, "load", "x"),))))
    with pytest.raises(AssertionError, match="declared twice"):
        catalog.catalog((*catalog.DECLARED, Suite("toy", 6, (catalog.CATALOG["smoke.checks"],))))
