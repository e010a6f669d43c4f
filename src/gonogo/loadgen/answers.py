"""What counts as an error of the load: one rule for every scenario's requests."""

from __future__ import annotations

from collections.abc import Callable

THROTTLED = "throttled (429)"  # the limiter answered instead of the endpoint (load.throttled, and an error)
TOKEN_REFUSED = "token refused"  # 401: the user logs in again
WRONG_BODY = "wrong body"  # a 2xx/3xx whose body breaks the contract
NO_ANSWER = "no answer"  # status 0: refused, reset, timed out; its body is never asked (there is none)


def failure_of(status: int, body_ok: Callable[[], bool] | None = None) -> str | None:
    """Why an answer is an error, or None when it is a success; ``body_ok`` is asked only of an answer below 400."""
    if status == 0:
        return NO_ANSWER
    if status == 429:
        return THROTTLED
    if status == 401:
        return TOKEN_REFUSED
    if status >= 400:
        return str(status)
    if body_ok is not None and not body_ok():
        return WRONG_BODY
    return None
