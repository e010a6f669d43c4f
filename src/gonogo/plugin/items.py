"""Gates as pytest items: one result per gate in the terminal, JUnit XML and Allure.

They are appended after every suite test, so they read a complete store. A
failing gate fails its item; an inconclusive gate fails unless optional or warn-only
(then it is skipped with the reason); a gate whose suite did not run is skipped.
"""

from __future__ import annotations

import json

import pytest

from gonogo.gates.rules import Status
from gonogo.reporting import console, json_report
from gonogo.run_state import RunState


class GateFailure(Exception):
    """A gate that did not pass; shown as its message, without a traceback."""


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

    def runtest(self) -> None:
        result = self.state.result_of(self.gate_id)
        allure = _allure()
        if allure is not None:
            gate = result.gate
            allure.dynamic.title(f"{gate.id} [{gate.requirement}] {gate.description}")
            allure.dynamic.parent_suite("Go/No-Go gates")
            allure.dynamic.suite(gate.suite)
            allure.dynamic.tag(gate.requirement)
            allure.dynamic.description(
                "\n\n".join([result.message, *(f"- {line}" for line in result.details + result.evidence)])
            )
            allure.attach(
                json.dumps(json_report.gate_entry(result), indent=2),
                name="gate result",
                attachment_type=allure.attachment_type.JSON,
            )
        if result.status is Status.NOT_RUN:
            pytest.skip(f"not run: {result.message}")
        if result.status is Status.INCONCLUSIVE:
            if result.excused:
                pytest.skip(f"inconclusive ({result.excused} gate): {result.message}")
            raise GateFailure(f"INCONCLUSIVE: {result.message}")
        if result.status is Status.FAIL:
            raise GateFailure("\n".join([result.message, *result.details[:20]]))
        # PASS, and WARN (a failed warn-severity gate) is reported but does not block.

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, GateFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        result = self.state.result_of(self.gate_id) if self.state._results is not None else None
        requirement = result.gate.requirement if result else ""
        return self.path, None, f"gate {self.gate_id} {requirement}".strip()


class VerdictItem(pytest.Item):
    """The verdict as one more result, with the gate table attached (for Allure readers)."""

    @property
    def state(self) -> RunState:
        return _state_of(self)

    def runtest(self) -> None:
        verdict = self.state.decide()
        table = console.render(verdict, evidence_lines=None)
        allure = _allure()
        if allure is not None:
            allure.dynamic.title(f"Verdict: {verdict.headline()}")
            allure.dynamic.parent_suite("Go/No-Go gates")
            allure.attach(table, name="gate table", attachment_type=allure.attachment_type.TEXT)
            allure.attach(
                json.dumps(self.state.report()["gates"], indent=2),
                name="gates (JSON)",
                attachment_type=allure.attachment_type.JSON,
            )
        if not verdict.go:
            raise GateFailure(verdict.headline() + "\n" + "\n".join(f"- {r}" for r in verdict.reasons))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, GateFailure):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, None, "verdict"
