"""Allure's environment.properties: what was decided, where, against which gates."""

from __future__ import annotations

from pathlib import Path

from gonogo import __version__
from gonogo.core.redaction import redact
from gonogo.gates.verdict import Verdict


def write_environment(
    alluredir: str | Path, verdict: Verdict | None, *, environment: str, base_url: str, gates_file: Path, run_id: str
) -> None:
    """``verdict`` None: the run was not decided. ``base_url``: the display form, never credentials."""
    props = {  # the verdict first: the overview page shows the first few
        "gonogo.verdict": verdict.word if verdict else "undecided",
        "gonogo.version": __version__,
        "gonogo.environment": environment,
        "gonogo.base_url": base_url,
        "gonogo.gates_file": str(gates_file),
        "gonogo.run_id": run_id,
        "gonogo.suites_run": ",".join(verdict.suites_run) if verdict else "",
    }
    path = Path(alluredir)
    path.mkdir(parents=True, exist_ok=True)
    lines = [f"{k}={_escape(redact(str(v)))}" for k, v in props.items()]
    (path / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace("=", "\\=").replace(":", "\\:")
