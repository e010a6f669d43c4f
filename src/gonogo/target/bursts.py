"""Bursts against per-minute rate limits (S2): when to start one, and sending it."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

Answer = TypeVar("Answer")


def burst_delay(
    now: float, last_use: float | None, burst_seconds: float, window: float = 60.0, margin: float = 1.0
) -> float:
    """Seconds to wait before a burst of ``burst_seconds`` so that its per-minute window, fixed to the clock or
    sliding, holds none of the account's earlier requests and the burst ends inside one clock minute."""
    start = now if last_use is None else max(now, last_use + window + margin)
    into = start % window
    if into > window - burst_seconds - 2 * margin:
        start += window - into + margin
    return start - now


def wait_for_a_clean_window(burst_seconds: float, last_use: float | None = None) -> None:
    """Sleep until a burst of ``burst_seconds`` may start (``burst_delay``)."""
    time.sleep(burst_delay(time.time(), last_use, burst_seconds))


def burst(send: Callable[[], Answer], count: int, workers: int = 1) -> list[Answer]:
    """``count`` calls of ``send``, in order, ``workers`` at a time; the answers in the order sent."""
    if workers == 1:
        return [send() for _ in range(count)]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(lambda _: send(), range(count)))
