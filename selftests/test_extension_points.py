"""A new gate kind and a new target kind, each added as docs/architecture.md ("Where a change goes") says: one class
and one entry in its registry, nothing else touched. (A new output format: selftests/test_run_record.py's toy sink.)
The frame around a new gate kind still applies what every kind shares: too few samples, a warn severity."""

from __future__ import annotations

import subprocess
import sys

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


TOY_PACKAGE = '''
from pydantic import BaseModel, ConfigDict

from gonogo.core.catalog.metric import Kind, Suite, metric


class ToySettings(BaseModel):
    """The toy suite's section of an environment (environments.yaml: toy:)."""

    model_config = ConfigDict(extra="forbid")
    asks: int = 3
    expect_status: int = 200


SUITE = Suite(
    "toy",
    2.5,
    (metric("toy.unanswered", Kind.RATIO, "toy", "asks of /health the target did not answer as expected", census=True),),
    settings=ToySettings,
)
'''
TOY_TEST = '''
import urllib.request


def test_the_target_answers(gonogo_env, gonogo_metrics):
    asked = gonogo_env.toy
    wrong = sum(urllib.request.urlopen(gonogo_env.base_url + "/health").status != asked.expect_status
                for _ in range(asked.asks))
    gonogo_metrics.ratio("toy.unanswered", wrong, asked.asks)
'''
TOY_GATE = """\
  - {id: toy.unanswered, requirement: SMOKE, metric: toy.unanswered, aggregation: rate, threshold: "<= 0 %"}
"""


@pytest.fixture
def toy_project(project):
    """A project whose suites include one installed as a package of its own: its declaration (an entry point of the
    group gonogo.suites), its scenarios under tests/toy and its gate in gates.yaml; nothing of gonogo touched."""
    project.environments_as_written = (project.path / "environments.yaml").read_text()
    project.write("site/toy_suite/__init__.py", TOY_PACKAGE)
    project.write("site/toy_suite-0.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: toy-suite\nVersion: 0.1\n")
    project.write("site/toy_suite-0.1.dist-info/entry_points.txt", "[gonogo.suites]\ntoy = toy_suite:SUITE\n")
    project.write("tests/toy/test_toy.py", TOY_TEST)
    project.write("gates.yaml", (project.path / "gates.yaml").read_text() + TOY_GATE)
    project.monkeypatch.setenv("PYTHONPATH", str(project.path / "site"))
    return project


def _with_toy_settings(project, settings: str) -> None:
    project.write("environments.yaml", project.environments_as_written.replace("    accounts:\n", f"    toy: {settings}\n    accounts:\n", 1))


def test_a_suite_installed_as_a_package_is_run_decided_and_re_decided_like_the_others(toy_project):
    project = toy_project
    project.smoke()
    _with_toy_settings(project, "{asks: 4}")
    result = project.run("--gate-report=report.json")
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["*tests/toy/test_toy.py .*", "✓ PASS*toy.unanswered*SMOKE*0 %*<= 0 %*4"])
    report = project.report()
    gates = {g["id"]: g for g in report["gates"]}
    assert gates["toy.unanswered"]["status"] == "pass" and "toy" in report["suites_run"]
    assert gates["toy.unanswered"]["samples"] == 4  # its settings were read from environments.yaml
    evaluate = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "report.json"], cwd=project.path,
                              capture_output=True, text=True, timeout=120)
    assert evaluate.returncode == 0 and "toy.unanswered" in evaluate.stdout, evaluate.stdout + evaluate.stderr


def test_the_installed_suites_figure_fails_its_gate_and_a_bad_setting_is_refused(toy_project):
    project = toy_project
    project.smoke()
    _with_toy_settings(project, "{expect_status: 418}")
    result = project.run("--gate-report=report.json")
    assert result.ret == 1
    assert {g["id"]: g["status"] for g in project.report()["gates"]}["toy.unanswered"] == "fail"
    _with_toy_settings(project, "{asks: many}")
    result = project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*environments.yaml:", "*environments.local.toy.asks*"])


def test_without_its_package_the_suites_gate_names_an_unknown_metric(toy_project):
    project = toy_project
    project.monkeypatch.delenv("PYTHONPATH")
    result = project.run()
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*gates.yaml:", "*metric 'toy.unanswered' is not produced by any suite*"])


def test_an_entry_point_that_does_not_load_names_no_suite_or_one_of_gonogos_own_is_set_aside(monkeypatch):
    from importlib.metadata import EntryPoint

    from gonogo.core import catalog

    points = [EntryPoint("toy", "os:sep", catalog.ENTRY_POINTS), EntryPoint("gone", "no_such_module:SUITE", "g"),
              EntryPoint("smoke", "gonogo.core.catalog.smoke:SUITE", catalog.ENTRY_POINTS)]
    monkeypatch.setattr(catalog, "entry_points", lambda group: points)
    found, broken = catalog.installed()
    assert found == ()
    assert [b.split(" (group")[0] for b in broken] == ["entry point gone = no_such_module:SUITE",
                                                       "entry point smoke = gonogo.core.catalog.smoke:SUITE",
                                                       "entry point toy = os:sep"]
    assert "ModuleNotFoundError: No module named 'no_such_module'" in broken[0]
    assert "gonogo has a suite 'smoke' of its own" in broken[1]
    assert "must name a gonogo.core.catalog.Suite called 'toy'" in broken[2]


def test_a_suite_package_that_does_not_import_is_bad_input_naming_it(toy_project):
    project = toy_project
    project.smoke()
    project.write("site/toy_suite/__init__.py", "raise RuntimeError('half-installed')\n")
    result = project.run("--gate-report=report.json")
    assert result.ret == 4
    result.stderr.fnmatch_lines([
        "*the installed suites:*",
        "*entry point toy = toy_suite:SUITE (group gonogo.suites)"
        " *could not be loaded: RuntimeError: half-installed: fix or uninstall its package",
    ])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert project.report()["decided"] is False
