"""Gates as pytest items: one result per gate in the terminal, JUnit XML and Allure.

They are appended after every suite test, so they read a complete store, and all read the run's one record
(decided when the first of them sets up). Their status maps as every format maps it (gonogo.reporting.outcome):
FAIL fails its item (JUnit failure, Allure failed); a blocking INCONCLUSIVE is an error of its set-up (JUnit error,
Allure broken: nothing could decide it); WARN passes, said (the property ``gonogo.status=warn``, Allure's tag WARN);
an optional or warn-only INCONCLUSIVE and a gate whose suite did not run are skipped with the reason.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from gonogo.reporting import console, json_report
from gonogo.reporting.outcome import Outcome, outcome, said
from gonogo.run.state import RunState


class GateFailure(AssertionError):
    """A gate that failed: the target's failure (an assertion, for JUnit and Allure), shown as its message."""


class GateUndecided(Exception):
    """A blocking gate nothing could decide: an error, not a failure of the target, shown as its message."""


def _shown(excinfo) -> str | None:
    return str(excinfo.value) if isinstance(excinfo.value, GateFailure | GateUndecided) else None


def _allure():
    try:
        import allure
    except ImportError:  # allure-pytest is a dependency, but the gate must not depend on it to decide
        return None
    return allure


class GatesFile(pytest.File):
    def __init__(self, *, state: RunState, **kwargs):
        super().__init__(**kwargs)
        self.state = state

    def collect(self):
        for gate in self.state.gates:
            yield GateItem.from_parent(self, name=gate.id, gate_id=gate.id)
        yield VerdictItem.from_parent(self, name="verdict")


def _state_of(item: pytest.Item) -> RunState:
    """The run state, from the gates file the item belongs to."""
    parent = item.parent
    assert isinstance(parent, GatesFile)
    return parent.state


class GateItem(pytest.Item):
    def __init__(self, *, gate_id: str, **kwargs):
        super().__init__(**kwargs)
        self.gate_id = gate_id

    @property
    def state(self) -> RunState:
        return _state_of(self)

    def setup(self) -> None:
        result = self.state.result_of(self.gate_id)
        self._describe(result)
        if outcome(result) is Outcome.ERROR:
            raise GateUndecided(said(result))

    def runtest(self) -> None:
        result = self.state.result_of(self.gate_id)
        kind = outcome(result)
        if kind is Outcome.SKIPPED:
            excused = f"inconclusive ({result.excused} gate)" if result.excused else "not run"
            pytest.skip(f"{excused}: {result.message}")
        if kind is Outcome.FAILED:
            raise GateFailure("\n".join([result.message, *result.details[:20]]))
        # PASSED, and WARNED (a failed warn-severity gate): said, it does not block

    def _describe(self, result) -> None:
        """The gate's page: status, measured, threshold and margin, the message and its evidence, readable without
        opening an attachment; JUnit gets the status and figures as properties."""
        gate = result.gate
        figures = (
            f"{result.status.value.replace('_', ' ').upper()}: measured {result.fmt(result.measured)}, threshold "
            f"{result.threshold_text()}, margin {result.margin_text()}, {result.samples:,} samples"
        )
        self.user_properties += [
            ("gonogo.status", result.status.value),
            ("gonogo.measured", result.fmt(result.measured)),
            ("gonogo.threshold", result.threshold_text()),
        ]
        allure = _allure()
        if allure is None:
            return
        # title and description where allure-pytest reads them once the set-up is over (a dynamic one set during
        # the set-up is overwritten then, and a gate undecided never reaches its call)
        title = f"{gate.id} [{gate.requirement}] {gate.description}".replace("{", "{{").replace("}", "}}")  # a format
        self.obj = SimpleNamespace(__allure_display_name__=title)
        self.funcargs: dict = {}
        self.add_marker(
            pytest.mark.allure_description(
                "\n\n".join([figures, result.message, *(f"- {line}" for line in result.details + result.evidence)])
            )
        )
        allure.dynamic.parent_suite("Go/No-Go gates")
        allure.dynamic.suite(gate.suite)
        allure.dynamic.tag(gate.requirement)
        if outcome(result) is Outcome.WARNED:
            allure.dynamic.tag("WARN")
        allure.attach(
            json.dumps(json_report.gate_entry(result), indent=2),
            name="gate result",
            attachment_type=allure.attachment_type.JSON,
        )

    def repr_failure(self, excinfo, style=None):
        return _shown(excinfo) or super().repr_failure(excinfo, style)

    def _repr_failure_py(self, excinfo, style=None):  # the set-up's error (pytest reports it through this)
        return _shown(excinfo) or super()._repr_failure_py(excinfo, style)

    def reportinfo(self):
        result = self.state.result_of(self.gate_id) if self.state.record is not None else None
        requirement = result.gate.requirement if result else ""
        return self.path, None, f"gate {self.gate_id} {requirement}".strip()


class VerdictItem(pytest.Item):
    """The verdict as one more result, with the gate table attached (for Allure readers)."""

    @property
    def state(self) -> RunState:
        return _state_of(self)

    def runtest(self) -> None:
        verdict = self.state.decide().verdict
        assert verdict is not None  # decided: the run reached its gates
        table = console.render(verdict, width=120, verbose=True)
        allure = _allure()
        if allure is not None:
            allure.dynamic.title(f"Verdict: {verdict.headline()}")
            allure.dynamic.parent_suite("Go/No-Go gates")
            allure.attach(table, name="gate table", attachment_type=allure.attachment_type.TEXT)
            allure.attach(
                json.dumps([json_report.gate_entry(r) for r in verdict.results], indent=2),
                name="gates (JSON)",
                attachment_type=allure.attachment_type.JSON,
            )
        if not verdict.go:
            raise GateFailure(verdict.headline() + "\n" + "\n".join(f"- {r}" for r in verdict.reasons))

    def repr_failure(self, excinfo, style=None):
        return _shown(excinfo) or super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, "verdict"
