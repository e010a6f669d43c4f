"""A verdict as JUnit XML outside pytest (`gonogo watch`'s checkpoints): one case per gate, a failed gate a failure, an
inconclusive one that blocks an error, a non-blocking one skipped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from gonogo.gates.rules import Status
from gonogo.gates.verdict import Verdict


def write(path: str | Path, verdict: Verdict, suite: str) -> None:
    root = ET.Element("testsuites")
    cases = ET.SubElement(root, "testsuite", name=suite)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in verdict.results:
        case = ET.SubElement(cases, "testcase", classname=suite, name=result.gate.id, time="0")
        counts["tests"] += 1
        if result.status is Status.FAIL:
            ET.SubElement(case, "failure", message=result.message).text = "\n".join(result.details)
            counts["failures"] += 1
        elif result.blocks:
            ET.SubElement(case, "error", message=f"INCONCLUSIVE: {result.message}")
            counts["errors"] += 1
        elif result.status is not Status.PASS:
            ET.SubElement(case, "skipped", message=f"{result.status.symbol}: {result.message}")
            counts["skipped"] += 1
    verdict_case = ET.SubElement(cases, "testcase", classname=suite, name="verdict", time="0")
    counts["tests"] += 1
    if not verdict.go:
        ET.SubElement(verdict_case, "failure", message=verdict.headline()).text = "\n".join(verdict.reasons)
        counts["failures"] += 1
    for key, value in counts.items():
        cases.set(key, str(value))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
