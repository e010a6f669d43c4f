"""A verdict as JUnit XML outside pytest (`gonogo watch`'s checkpoints, `gonogo evaluate`): one case per gate, each
mapped as a gate run maps it (gonogo.reporting.outcome), its status and figures as properties, and the verdict."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from gonogo.core.redaction import redact
from gonogo.gates.verdict import Verdict
from gonogo.reporting.outcome import Outcome, outcome, said


def write(path: str | Path, verdict: Verdict, suite: str) -> None:
    root = ET.Element("testsuites")
    cases = ET.SubElement(root, "testsuite", name=suite)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in verdict.results:
        case = ET.SubElement(cases, "testcase", classname=suite, name=result.gate.id, time="0")
        counts["tests"] += 1
        properties = ET.SubElement(case, "properties")
        for name, text in (
            ("gonogo.status", result.status.value),
            ("gonogo.measured", result.fmt(result.measured)),
            ("gonogo.threshold", result.threshold_text()),
        ):
            ET.SubElement(properties, "property", name=name, value=text)
        kind = outcome(result)
        if kind is Outcome.FAILED:
            ET.SubElement(case, "failure", message=result.message).text = "\n".join(result.details)
            counts["failures"] += 1
        elif kind is Outcome.ERROR:
            ET.SubElement(case, "error", message=said(result))
            counts["errors"] += 1
        elif kind is Outcome.WARNED:  # passed, and said: a warn-severity gate does not block
            ET.SubElement(case, "system-out").text = said(result)
        elif kind is Outcome.SKIPPED:
            ET.SubElement(case, "skipped", message=said(result))
            counts["skipped"] += 1
    verdict_case = ET.SubElement(cases, "testcase", classname=suite, name="verdict", time="0")
    counts["tests"] += 1
    if not verdict.go:
        ET.SubElement(verdict_case, "failure", message=verdict.headline()).text = "\n".join(verdict.reasons)
        counts["failures"] += 1
    for key, value in counts.items():
        cases.set(key, str(value))
    save(root, path)


def save(root: ET.Element, path: str | Path) -> None:
    """Write atomically (a reader never sees half a file), every text and attribute redacted."""
    for element in root.iter():
        element.text = redact(element.text) if element.text else element.text
        for key, value in element.attrib.items():
            element.set(key, redact(value))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    ET.ElementTree(root).write(temp, encoding="utf-8", xml_declaration=True)
    os.replace(temp, path)
