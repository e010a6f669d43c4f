"""The docs/architecture.md Layout names every module of the engine, and every folder it names exists: the layout stays true."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENGINE = REPO / "src" / "gonogo"


def _layout() -> dict[str, str]:
    """{folder or module path under src/gonogo: the rest of its line} from the docs/architecture.md Layout block."""
    text = (REPO / "docs" / "architecture.md").read_text()
    block = text[text.index("## Layout\n```"):]
    block = block[: block.index("```", 12)]
    lines = {}
    for line in block.splitlines():
        match = re.match(r"  (\S+)\s+(.*)", line)
        if match:
            lines[match.group(1).rstrip("/")] = match.group(2)
    return lines


def test_every_engine_module_is_listed_in_the_readme_layout():
    layout = _layout()
    missing = []
    for path in sorted(ENGINE.rglob("*.py")):
        relative = path.relative_to(ENGINE)
        if path.name == "__init__.py" or relative.parts[0] == "__pycache__":
            continue
        if len(relative.parts) == 1:  # a top-level module is a line of its own
            if relative.as_posix() not in layout:
                missing.append(relative.as_posix())
            continue
        words = re.findall(r"[\w]+", layout.get(relative.parts[0], ""))
        if path.stem not in words:
            missing.append(relative.as_posix())
    assert not missing, f"docs/architecture.md Layout does not list: {missing}"


def test_every_folder_the_layout_names_exists():
    for name in _layout():
        assert (ENGINE / name).exists(), f"docs/architecture.md Layout names src/gonogo/{name}, which does not exist"
