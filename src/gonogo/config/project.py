"""The gate's project root, found upward from where a command runs, as pytest finds its rootdir: a command run from a
subdirectory reads the same gates, environments and local box as one run from the root."""

from __future__ import annotations

from pathlib import Path

MARKERS = ("gates.yaml", "environments.yaml")


class Default(str):
    """A path an option was left at: resolved against the project root, never against the working directory."""

    __slots__ = ()


def find_root(start: Path | None = None) -> Path | None:
    """The nearest directory, from ``start`` (the working directory) up, that holds gates.yaml or
    environments.yaml; None when none does."""
    here = (start or Path.cwd()).absolute()
    return next((d for d in (here, *here.parents) if any((d / m).is_file() for m in MARKERS)), None)


def anchored(value: str, root: Path | None) -> str:
    """``value`` as given, or, when it is an option's default, under the project root."""
    if isinstance(value, Default) and root is not None:
        return str(root / value) if value != "." else str(root)
    return value
