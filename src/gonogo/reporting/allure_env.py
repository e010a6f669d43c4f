"""Allure's environment.properties: what was decided, where, against which gates."""

from __future__ import annotations

from pathlib import Path

from .. import __version__


def write_environment(alluredir: str | Path, state) -> None:
    verdict = state.verdict
    props = {  # the verdict first: the overview page shows the first few
        "gonogo.verdict": verdict.word if verdict else "undecided",
        "gonogo.version": __version__,
        "gonogo.environment": state.env_name,
        "gonogo.base_url": state.environment.display_url,
        "gonogo.gates_file": str(state.gates_path),
        "gonogo.run_id": state.run_id,
        "gonogo.suites_run": ",".join(verdict.suites_run) if verdict else "",
    }
    path = Path(alluredir)
    path.mkdir(parents=True, exist_ok=True)
    lines = [f"{k}={_escape(v)}" for k, v in props.items()]
    (path / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _escape(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace("=", "\\=").replace(":", "\\:")
