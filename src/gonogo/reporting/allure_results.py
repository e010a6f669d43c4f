"""Allure results of a verdict decided outside pytest (a `gonogo watch` checkpoint): one result per gate and one for
the verdict, written with allure-python-commons (the writer allure-pytest uses), so Allure's CLI builds the same
report and its history (each gate's ``historyId`` is stable from one watch to the next) fills the Trend panel."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Attachment, Label, Status, StatusDetails, TestResult
from allure_commons.types import AttachmentType

from gonogo.core.redaction import redact
from gonogo.gates.rules import GateResult
from gonogo.gates.verdict import Verdict
from gonogo.reporting import json_report
from gonogo.reporting.outcome import Outcome, outcome, said

_STATUS = {
    Outcome.PASSED: Status.PASSED,
    Outcome.WARNED: Status.PASSED,
    Outcome.FAILED: Status.FAILED,
    Outcome.ERROR: Status.BROKEN,
    Outcome.SKIPPED: Status.SKIPPED,
}


def write(
    alluredir: str | Path, verdict: Verdict, *, parent: str, suite: str, history: str, start: float, stop: float
) -> None:
    """``parent``/``suite``: where the results sit in Allure's tree ("gonogo watch" / "checkpoint 1h");
    ``history``: the stable prefix of their historyId ("watch.1h")."""
    logger = AllureFileLogger(str(alluredir))
    times = {"start": int(start * 1000), "stop": int(stop * 1000)}
    for result in verdict.results:
        gate = result.gate
        kind = outcome(result)
        tags = [gate.requirement, *(["WARN"] if kind is Outcome.WARNED else [])]  # as a gate run's items tag it
        test = _result(
            f"{gate.id} [{gate.requirement}] {gate.description}",
            f"{history}.{gate.id}",
            _STATUS[kind],
            _message(result),
            [Label("parentSuite", parent), Label("suite", suite), *(Label("tag", t) for t in tags)],
            times,
        )
        _attach(logger, test, json.dumps(json_report.gate_entry(result), indent=2), "gate result", AttachmentType.JSON)
        logger.report_result(test)
    test = _result(
        f"Verdict: {verdict.headline()}",
        f"{history}.verdict",
        Status.PASSED if verdict.go else Status.FAILED,
        "\n".join(f"- {r}" for r in verdict.reasons),
        [Label("parentSuite", parent), Label("suite", suite)],
        times,
    )
    logger.report_result(test)


def _message(result: GateResult) -> str:
    return "\n".join([said(result), *result.details[:20]])


def _result(name: str, history_id: str, status: str, message: str, labels: list, times: dict) -> TestResult:
    return TestResult(
        uuid=str(uuid.uuid4()),
        historyId=history_id,
        fullName=history_id,
        name=redact(name),
        status=status,
        stage="finished",
        statusDetails=StatusDetails(message=redact(message)) if message else None,
        labels=labels,
        **times,
    )


def _attach(logger: AllureFileLogger, test: TestResult, body: str, name: str, kind: AttachmentType) -> None:
    source = f"{uuid.uuid4()}-attachment.{kind.extension}"
    logger.report_attached_data(redact(body), source)
    test.attachments.append(Attachment(name=name, source=source, type=kind.mime_type))
