"""Turn pydantic's validation errors into located, fix-naming problems."""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError

from gonogo.config.errors import Problem, did_you_mean, one_of
from gonogo.config.yamlfile import YamlDocument


def _unwrap(annotation):
    """The model (or container) type inside Optional[...] / Annotated[...]."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _unwrap(args[0]) if len(args) == 1 else annotation
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    return annotation


def model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The pydantic model that validates the mapping at ``loc``."""
    current: Any = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_SECRET_WORDS = ("password", "secret", "token", "key", "mongo_url", "redis_url")


def problems_from(
    exc: ValidationError,
    doc: YamlDocument,
    model: type[BaseModel],
    place_of: Callable[[tuple], str],
    loc_prefix: tuple = (),
) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(loc_prefix) + tuple(err["loc"])
        place = place_of(loc)
        line = doc.line_of(loc)
        if err["type"] == "extra_forbidden":
            key = str(err["loc"][-1])
            parent = model_at(model, tuple(err["loc"][:-1]))
            valid = list(parent.model_fields) if parent else []
            message = f"unknown key '{key}'.{did_you_mean(key, valid)}"
            if valid:
                message += f" Valid keys: {one_of(valid)}."
            message += " (Unknown keys are errors so that a typo never switches a check off.)"
        elif err["type"] == "missing":
            message = f"required key '{err['loc'][-1]}' is missing"
        else:
            bad = err.get("input")
            # a validator's own message names the value (masked where it holds a password); a secret is never echoed
            quiet = (
                err["type"] == "value_error"
                or isinstance(bad, (dict, list))
                or any(word in str(err["loc"][-1] if err["loc"] else "").lower() for word in _SECRET_WORDS)
            )
            shown = "" if quiet else f" (got {bad!r})"
            message = f"{err['msg']}{shown}"
        problems.append(Problem(place, message, line))
    return problems


def dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
