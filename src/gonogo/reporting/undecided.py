"""What a run that decided nothing leaves behind: reports that say undecided, never one that reads as a pass.

An interrupted run (Ctrl-C, SIGTERM), a crash or bad input would otherwise leave the previous run's gate report
in place (a previous Go, read as this run's Go by whatever consumes it), a JUnit file with ``failures="0"`` and
an Allure run whose interrupted test shows ``passed``. Each is overwritten or completed here.
"""

from __future__ import annotations

import json
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from gonogo import __version__
from gonogo.core.store import MetricsStore
from gonogo.reporting import json_report
from gonogo.reporting.junit import save

VERDICT_CASE = ("gonogo", "verdict")  # classname, name of the JUnit case and Allure result that carry it


def gate_report(
    path: str | Path,
    reason: str,
    exit_code: int,
    *,
    environment: str | None,
    base_url: str | None,
    gates_file: str | None,
) -> None:
    """Overwrite the gate report with an undecided one: no gates, no figures (``gonogo evaluate`` on it decides
    nothing either: a partial run's figures are not a run's)."""
    json_report.write(
        path,
        {
            "schema": json_report.SCHEMA,
            "gonogo_version": __version__,
            "verdict": "undecided",
            "decided": False,
            "exit_code": exit_code,
            "reasons": [reason],
            "environment": environment,
            "base_url": base_url,
            "gates_file": gates_file,
            "suites_run": [],
            "failed_tests": 0,
            "started_at": None,
            "finished_at": None,
            "counts": {},
            "gates": [],
            "metrics": MetricsStore().to_dict(),
        },
    )


def junit(path: str | Path, reason: str) -> None:
    """Add an errored ``gonogo.verdict`` case to the JUnit file pytest wrote (or write one), so its counts are not
    all zero: a consumer that reads ``failures="0" errors="0"`` as a pass sees the error."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        root = ET.Element("testsuites")
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    if suite is None:
        suite = ET.SubElement(root, "testsuite", name="pytest", errors="0", failures="0", skipped="0", tests="0")
    case = ET.SubElement(suite, "testcase", classname=VERDICT_CASE[0], name=VERDICT_CASE[1], time="0")
    ET.SubElement(case, "error", message=f"UNDECIDED: {reason}").text = reason
    for key in ("errors", "tests"):
        suite.set(key, str(int(suite.get(key) or 0) + 1))
    save(root, path)


def allure(alluredir: str | Path, reason: str, since_ms: int) -> None:
    """A broken ``gonogo verdict`` result, and every result of this run that Allure closed as passed without its
    test finishing (the one Ctrl-C stopped) marked broken too."""
    directory = Path(alluredir)
    directory.mkdir(parents=True, exist_ok=True)
    now = int(time.time() * 1000)
    for path in directory.glob("*-result.json"):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if result.get("start", 0) >= since_ms and result.get("status") == "passed" and _interrupted(result):
            result["status"] = "broken"
            result["statusDetails"] = {"message": f"interrupted: {reason}"}
            path.write_text(json.dumps(result), encoding="utf-8")
    ident = str(uuid.uuid4())
    (directory / f"{ident}-result.json").write_text(
        json.dumps(
            {
                "uuid": ident,
                "historyId": ".".join(VERDICT_CASE),
                "fullName": ".".join(VERDICT_CASE),
                "name": "gonogo verdict: UNDECIDED",
                "status": "broken",
                "stage": "finished",
                "statusDetails": {"message": reason},
                "start": now,
                "stop": now,
                "labels": [{"name": "suite", "value": "gonogo"}, {"name": "severity", "value": "blocker"}],
            }
        ),
        encoding="utf-8",
    )


def _interrupted(result: dict) -> bool:
    # allure-pytest writes a test's result when its protocol ends; a KeyboardInterrupt ends it with no call phase
    # outcome, so the result keeps its default status with an unfinished stage or without a stop time
    return result.get("stage") != "finished" or not result.get("stop")
