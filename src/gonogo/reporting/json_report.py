"""The gate report: a versioned JSON document of the verdict, every gate and the raw metrics.

Schema ``gonogo.gate-report/1`` is documented in docs/gate-report.md. The
``metrics`` snapshot lets ``gonogo evaluate`` re-decide the run against other
gates, and lets a later run use this one as its ``--baseline``.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from gonogo import __version__
from gonogo.core import redaction
from gonogo.core.snapshot import LOAD_FIGURES_SCHEMA, ReportHeader, finite_number, problem
from gonogo.core.store import MetricsStore
from gonogo.gates.rules import GateResult
from gonogo.gates.verdict import Verdict

SCHEMA = "gonogo.gate-report/1"


def gate_entry(r: GateResult) -> dict:
    g = r.gate
    return {
        "id": g.id,
        "requirement": g.requirement,
        "description": g.description,
        "suite": g.suite,
        "metric": g.metric.name,
        "aggregation": g.aggregation,
        "where": g.where,
        "status": r.status.value,
        "blocks": r.blocks,
        "excused": r.excused,
        "severity": g.severity,
        "optional": g.optional,
        "measured": r.measured,
        "threshold": {"op": g.op, "value": r.limit, "text": r.threshold_text(), "relative_pct": g.relative_pct},
        "baseline": r.baseline,
        "margin": r.margin,
        "unit": g.metric.result_dimension(g.aggregation).value,
        "display": {"measured": r.fmt(r.measured), "margin": r.margin_text()},
        "samples": r.samples,
        "min_samples": g.min_samples,
        "message": r.message,
        "details": r.details,
        "override_reason": g.override_reason,
        "out_of_scope": r.out_of_scope,
        "covered": r.covered,
        "evidence": r.evidence,
    }


def build(
    verdict: Verdict,
    store: MetricsStore,
    *,
    environment: str,
    base_url: str | None,
    gates_file: str,
    started: float | None = None,
    run_id: str | None = None,
) -> dict:
    return {
        "schema": SCHEMA,
        "gonogo_version": __version__,
        "run_id": run_id,  # also in the run's Allure environment.properties (gonogo.run_id): the two are matched
        "verdict": verdict.word,
        "decided": verdict.decided,
        "exit_code": verdict.exit_code,
        "reasons": verdict.reasons,
        "environment": environment,
        "base_url": base_url,
        "gates_file": gates_file,
        "suites_run": verdict.suites_run,
        "failed_tests": verdict.failed_tests,
        "started_at": datetime.fromtimestamp(started, UTC).isoformat() if started else None,
        "finished_at": datetime.now(UTC).isoformat(),
        "counts": verdict.counts(),
        "gates": [gate_entry(r) for r in verdict.results],
        "metrics": store.to_dict(),
    }


def write(path: str | Path, report: dict) -> None:
    """Write atomically: a reader never sees half a report, nor a secret (``redaction``)."""
    path, report = Path(path), redaction.tree(report)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2, sort_keys=False, allow_nan=False)  # NaN is not JSON: a bug, never a report
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ReportError(ValueError):
    pass


def check_writable(path: str | Path) -> None:
    """Before a run: a report path that names a directory or cannot be written is bad input, said before anything
    is sent (after the run, its verdict would be printed and then lost)."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        raise ReportError(f"{path} is a directory; name the report file (e.g. {path / 'gate-report.json'})")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        what = "a symbolic link" if path.is_symlink() else "not a regular file (a device, a pipe or a socket)"
        raise ReportError(
            f"{path} is {what}: a report replaces its file, so name a regular file or a new path "
            "(e.g. reports/gate-report.json)"
        )
    parent = path.parent
    while not parent.exists() and parent != parent.parent:  # the directories a run would create
        parent = parent.parent
    if (
        not parent.is_dir()
        or not os.access(parent, os.W_OK | os.X_OK)
        or (path.exists() and not os.access(path, os.W_OK))
    ):
        raise ReportError(f"{path} cannot be written (no permission, or {parent} is not a directory)")


def read(path: str | Path, accept: tuple[str, ...] = (SCHEMA,)) -> dict:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: gate report not found") from None
    except IsADirectoryError:
        raise ReportError(
            f"{path}: is a directory; give the gate report file in it (e.g. {path}/gate-report.json)"
        ) from None
    except UnicodeDecodeError as exc:
        raise ReportError(
            f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start}): not a gate report"
        ) from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict) or data.get("schema") not in accept:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise ReportError(
            f"{path}: not a gonogo gate report (schema {found!r}, expected {' or '.join(map(repr, accept))})"
        )
    return data


def load_store(path: str | Path) -> tuple[dict, MetricsStore]:
    """A gate report, or the figures file of a standalone Locust run (GONOGO_LOAD_OUT: a run of the load suite only)."""
    data = read(path, accept=(SCHEMA, LOAD_FIGURES_SCHEMA))
    if data["schema"] == LOAD_FIGURES_SCHEMA:
        for key in ("measure_from", "stopped_at"):
            value = data.get(key)
            if value is not None and not (finite_number(value) and 0 < value < 1e11):
                raise ReportError(f"{path}: {key} {value!r} is not a time (epoch seconds): nothing was decided")
        data = {
            **data,
            "metrics": data.get("store"),
            "suites_run": ["load"],
            "failed_tests": 1 if data.get("aborted") else 0,
        }
    if not isinstance(data.get("metrics"), dict):
        found = type(data.get("metrics")).__name__ if "metrics" in data else "nothing"
        raise ReportError(f"{path}: its 'metrics' must be a metrics snapshot (an object), found {found}")
    try:
        header = ReportHeader.model_validate(data)
    except ValidationError as exc:
        raise ReportError(f"{path}: {problem(exc)}: not a report gonogo wrote; nothing was decided") from None
    try:
        store = MetricsStore.from_dict(data["metrics"])
    except ValueError as exc:
        raise ReportError(f"{path}: {exc}: impossible figures, nothing was decided") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise ReportError(f"{path}: its metrics snapshot cannot be read: {exc!r}") from None
    return {**data, "suites_run": header.suites_run, "failed_tests": header.failed_tests}, store


def load_baseline(
    path: str | Path, environment: str, run_id: str | None, *, any_environment: bool = False
) -> tuple[MetricsStore, str]:
    """The baseline's figures and who it is ("run R of environment E, finished T"). Another environment's run (a
    local box against staging) or the run being decided itself is bad input unless ``any_environment`` asks for the
    former; an undecided report has no figures to compare with."""
    data, store = load_store(path)
    theirs, their_id = data.get("environment"), data.get("run_id")
    finished = data.get("finished_at") or data.get("stopped_at") or "at an unknown time"
    identity = f"run {their_id or '(no run id)'} of environment '{theirs}', finished {finished}"
    if data.get("verdict") == "undecided":
        raise ReportError(f"{path}: {identity} decided nothing: it has no figures to compare with")
    if run_id is not None and their_id == run_id:
        raise ReportError(f"{path}: is the run being decided ({identity}): a run is no baseline of itself")
    if theirs != environment and not any_environment:
        raise ReportError(
            f"{path}: {identity}, not of '{environment}': relative gates compare runs of one environment "
            "(add --baseline-any-env to compare across environments on purpose)"
        )
    return store, identity
