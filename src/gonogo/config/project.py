"""The gate's project root, found upward from where a command runs, as pytest finds its rootdir: a command run from a
subdirectory reads the same gates, environments and local box as one run from the root."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from gonogo.core.variables import ENV_VARS

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


def anchor_options(args: argparse.Namespace) -> None:
    """Options left at their defaults take $GONOGO_GATES, $GONOGO_ENVIRONMENTS and $GONOGO_ENV as a gate run does
    (one precedence: the command line, the variable, the default), and name files of the project root, found upward
    as pytest finds its rootdir."""
    for name in ("gates", "environments"):
        value, given = getattr(args, name, "absent"), os.environ.get(ENV_VARS[name])
        if given and (value is None or isinstance(value, Default)):
            setattr(args, name, Default(given))  # relative to the project root, as pytest reads it
    if args.command in ("watch", "trend") and not args.env and os.environ.get(ENV_VARS["env"]):
        args.env = os.environ[ENV_VARS["env"]]
    root = find_root()
    for name in ("gates", "environments", "root"):
        value = getattr(args, name, None)
        if isinstance(value, str):
            setattr(args, name, anchored(value, root))
