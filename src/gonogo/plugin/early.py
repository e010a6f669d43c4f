"""The first thing pytest's entry point does, before anything heavy is imported: Ctrl-C and SIGTERM are held until
the plugin knows which outputs of the last run to invalidate (``release``). A signal in the first moments of a run
then ends it with every report undecided and exit 2, never with the last run's Go left in place (exit -15)."""

from __future__ import annotations

import signal
from collections.abc import Callable

_held: list[int] = []
_previous: dict[int, object] = {}


def hold_signals() -> None:
    def hold(signum, frame):
        _held.append(signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            _previous[signum] = signal.signal(signum, hold)
        except ValueError:  # not the main thread (pytest run in-process by a tool): keep the defaults
            return


def release(stop: Callable[[int, object], None] | None) -> None:
    """``stop``: the plugin's handler from now on, and for a signal that came meanwhile; None: a run gonogo does not
    decide (no environment, --help): the previous handlers back, and a held signal acts as it would have."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        handler = stop if stop is not None else _previous.get(signum)
        if handler is not None:
            try:
                signal.signal(signum, handler)  # type: ignore[arg-type]
            except ValueError:  # not the main thread: keep the defaults
                break
    _previous.clear()
    if _held:
        held = _held[0]
        _held.clear()
        if stop is not None:
            stop(held, None)
        else:
            signal.raise_signal(held)
