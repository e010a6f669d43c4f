"""Endpoint naming shared by every recorder: one series per route, not per object id."""

from __future__ import annotations

import re

_OBJECT_ID = re.compile(r"/[0-9a-fA-F]{24}(?=/|$)")


def endpoint_of(method: str, path: str) -> str:
    """``GET /api/models/{id}`` for ``GET /api/models/6b09...?x=1``: one series per route, not per id."""
    return f"{method.upper()} {_OBJECT_ID.sub('/{id}', path.split('?', 1)[0])}"
