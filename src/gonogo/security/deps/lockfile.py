"""Pinned requirements of the target: ``name==version`` lines of a requirements/lock file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;#\\]+)")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503): "pyyaml", "typing-extensions"
    version: str
    where: str  # "requirements.lock:27", shown in evidence


@dataclass
class LockFile:
    path: Path
    pins: list[Pin]
    unpinned: list[str]  # lines naming a package without one exact version: cannot be checked


def read(path: str | Path) -> LockFile:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"dependency file {path} does not exist (environments.yaml: dependency_files)")
    pins, unpinned = [], []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-", "--")):  # comments, options (-r, --hash continuation, -e)
            continue
        match = _PIN.match(line)
        if match:
            pins.append(Pin(canonicalize_name(match[1]), match[2], f"{path.name}:{number}"))
        else:
            unpinned.append(f"{path.name}:{number} '{line[:80]}'")
    return LockFile(path, pins, unpinned)
