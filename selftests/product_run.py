"""Running the product (tests/, gates.yaml...) from a temporary copy, so boxes and reports stay out of the repo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ["tests", "gates.yaml", "environments.yaml", "waivers.yaml", "zap-rules.tsv", "data", "pytest.ini", "conftest.py"]


def copy_product(root: Path) -> Path:
    for name in PRODUCT:
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if source.is_dir() else {}))
    return root


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("GONOGO_")}


# the load suite's fixed profile alone (K1-K14): a run that judges those gates skips the capacity ramp, which decides
# only load.capacity and load.headroom (the main job, the open-model test and its fault run them)
FIXED_PROFILE = "load/test_load.py::test_load_profile"


def run(product: Path, suite: str, *args: str, faults: str = "", **env: str) -> tuple[subprocess.CompletedProcess, dict]:
    report = product / "reports" / f"{suite.replace('/', '-')}.json"  # a suite, or one file of it (deploy/test_drill.py)
    report.unlink(missing_ok=True)
    environ = {**clean_env(), "GONOGO_CACHE_DIR": str(REPO / ".gonogo" / "cache"), "GONOGO_FAULTS": faults, **env}
    proc = subprocess.run([sys.executable, "-m", "pytest", f"tests/{suite}", "-p", "no:cacheprovider", f"--gate-report={report}", *args],
                          cwd=product, capture_output=True, text=True, env=environ, timeout=900)
    return proc, json.loads(report.read_text()) if report.exists() else {}


def gates(report: dict, suite: str) -> dict[str, dict]:
    return {g["id"]: g for g in report["gates"] if g["suite"] == suite}
