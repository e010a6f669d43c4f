"""The reference API's fault switches as the box takes them: validated once, here, against the API's own list."""

from __future__ import annotations

from collections.abc import Iterable

from gonogo.stack.process import StackError


def parse(faults: str | Iterable[str] | None) -> frozenset[str]:
    """GONOGO_FAULTS text (``"a,b"``) or names: the set, or a StackError naming the unknown ones and the valid ones."""
    from reference_api.faults import (  # the box's package, imported only when a box is asked for
        UnknownFaultError,
        parse_faults,
    )

    text = faults if faults is None or isinstance(faults, str) else ",".join(faults)
    try:
        return parse_faults(text)
    except UnknownFaultError as exc:
        raise StackError("faults", str(exc)) from None
