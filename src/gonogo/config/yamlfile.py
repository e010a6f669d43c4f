"""YAML loading that remembers where each value was written, for error messages."""

from __future__ import annotations

import gc
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


# libyaml where installed (about 10x faster on big files), the pure-Python loader otherwise; both keep line marks
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def duplicate_keys(node: yaml.Node | None) -> list[Problem]:
    """Every key written twice in one mapping: YAML loaders silently keep the last, so a second ``gates:`` section would
    replace the first and a second ``threshold:`` would win unseen."""
    problems: list[Problem] = []
    stack: list[tuple[yaml.Node, tuple]] = [(node, ())]
    visited: set[int] = set()  # an alias is the node it names: each node is walked once, however often it is used
    while stack:
        node, path = stack.pop()
        if id(node) in visited:
            continue
        visited.add(id(node))
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                if name is not None and name != "<<":
                    line = key.start_mark.line + 1
                    if name in seen:
                        problems.append(
                            Problem(
                                _dotted(path + (name,)),
                                f"written twice (lines {seen[name]} and {line}); "
                                "YAML keeps only the last, so one of them would be silently lost. Keep one",
                                line,
                            )
                        )
                    seen.setdefault(name, line)
                if isinstance(value, (yaml.MappingNode, yaml.SequenceNode)):
                    stack.append((value, path + (name,)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(
                (item, path + (i,))
                for i, item in enumerate(node.value)
                if isinstance(item, (yaml.MappingNode, yaml.SequenceNode))
            )
    return sorted(problems, key=lambda p: p.line or 0)


MOST_VALUES = 200_000  # far more than any gates or environments file holds; aliases that expand past it are a bomb


def expanded_size(root: yaml.Node | None) -> int:
    """How many values the document holds once every alias is expanded (what any reader of the data walks), counted
    without expanding them."""
    sizes: dict[int, int] = {}
    order: list[yaml.Node] = []
    stack = [root] if root is not None else []
    seen: set[int] = set()
    while stack:  # the nodes, each once, children after their parents
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        stack.extend(_children(node))
    for node in reversed(order):  # children first: each size from its children's
        sizes[id(node)] = min(MOST_VALUES + 1, 1 + sum(sizes.get(id(c), 1) for c in _children(node)))
    return sizes.get(id(root), 0) if root is not None else 0


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _bad_scalar(root: yaml.Node | None) -> Problem | None:
    """The first value YAML reads but cannot build (a date that does not exist: 2026-02-30, month 13), with its line."""
    constructor = yaml.constructor.SafeConstructor()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node)
            except (ValueError, TypeError, OverflowError, yaml.YAMLError) as exc:
                return Problem(
                    "",
                    f"{node.value!r} cannot be read ({exc}); a date must exist (YYYY-MM-DD), or quote it as text",
                    node.start_mark.line + 1,
                )
        stack.extend(_children(node))
    return None


def _dotted(path: tuple) -> str:
    return "".join(
        f"[{part}]" if isinstance(part, int) else (f".{part}" if i else str(part)) for i, part in enumerate(path)
    )


def load_yaml(path: str | Path, what: str) -> YamlDocument:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        option = {"gates": "--gates PATH", "environments": "--environments PATH"}.get(what, f"{what}_file")
        raise ConfigError(
            path,
            f"{what} file not found: looked for {path.absolute()}. Run from the gate's directory (the one holding "
            f"gates.yaml, or below it), or give {option}.",
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            path, f"not a UTF-8 text file ({exc.reason} at byte {exc.start}): save the {what} file as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigError(path, f"cannot read the {what} file: {exc.strerror}") from None
    collecting = gc.isenabled()
    # a big file's node tree is hundreds of thousands of objects: the cyclic collector made loading quadratic
    gc.disable()
    try:
        root = yaml.compose(text, Loader=_Loader)  # parsed once: the values are built from the same nodes
        if expanded_size(root) > MOST_VALUES:
            raise ConfigError(
                path,
                f"its aliases (*name) expand to more than {MOST_VALUES:,} values: an alias bomb, or a file far larger "
                f"than any {what} file; write the values out or use fewer nested aliases",
            )
        try:
            data = None if root is None else yaml.constructor.SafeConstructor().construct_document(root)
        except (ValueError, TypeError, OverflowError):
            bad = _bad_scalar(root)
            raise ConfigError(path, [bad or Problem("", "a value cannot be read")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        context, context_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and context_mark:  # "while parsing a flow mapping" started here
            reason += f" ({context} that starts at line {context_mark.line + 1})"
        raise ConfigError(path, [Problem("", f"not valid YAML: {reason}", line)]) from None
    finally:
        if collecting:
            gc.enable()
    duplicates = duplicate_keys(root)
    if duplicates:
        raise ConfigError(path, duplicates)
    if data is None:
        needs = {
            "gates": "`version: 1` and `gates:`",
            "environments": "`version: 1` and `environments:`",
            "waivers": "`waivers:` (none yet: `waivers: []`)",
        }.get(what, "content")
        raise ConfigError(path, f"the file is empty: a {what} file needs {needs}")
    if not isinstance(data, dict):
        raise ConfigError(path, f"the {what} file must be a YAML mapping at the top level, got {type(data).__name__}")
    return YamlDocument(path, data, root)
