"""What no answer of the target may show: a stack trace or the server's internal paths (smoke and S1 both look)."""

from __future__ import annotations

import re

STACK_TRACE = re.compile(r"Traceback \(most recent call last\)|File \"/|site-packages|/usr/lib/python|\.py\", line \d+")


def leaked(text: str) -> str | None:
    """The first stack-trace or internal-path fragment in ``text``, or None."""
    found = STACK_TRACE.search(text)
    return found.group(0) if found else None
