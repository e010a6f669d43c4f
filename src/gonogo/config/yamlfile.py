"""YAML loading that remembers where each value was written, for error messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from gonogo.config.errors import ConfigError, Problem


@dataclass
class YamlDocument:
    path: Path
    data: object
    root: yaml.Node | None

    def line_of(self, loc: tuple) -> int | None:
        """1-based line of the value at ``loc`` (keys and list indexes), or of its nearest parent."""
        node, line = self.root, None
        for part in loc:
            if node is None:
                break
            line = node.start_mark.line + 1
            if isinstance(node, yaml.MappingNode):
                node = next((v for k, v in node.value if k.value == str(part)), None)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
            else:
                node = None
        if node is not None:
            line = node.start_mark.line + 1
        return line


def load_yaml(path: str | Path, what: str) -> YamlDocument:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, f"{what} file not found. Create it or point to one with the matching option.") from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read the {what} file: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark:  # "while parsing a flow mapping" started here
            reason += f" ({context} that starts at line {context_mark.line + 1})"
        raise ConfigError(path, [Problem("", f"not valid YAML: {reason}", line)]) from None
    if data is None:
        needs = {"gates": "`version: 1` and `gates:`", "environments": "`version: 1` and `environments:`",
                 "waivers": "`waivers:` (none yet: `waivers: []`)"}.get(what, "content")
        raise ConfigError(path, f"the file is empty: a {what} file needs {needs}")
    if not isinstance(data, dict):
        raise ConfigError(path, f"the {what} file must be a YAML mapping at the top level, got {type(data).__name__}")
    return YamlDocument(path, data, root)
