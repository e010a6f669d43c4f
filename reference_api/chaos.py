"""Chaos injected into running backends from outside, as a chaos tool (AWS FIS, Chaos Mesh, toxiproxy) does to a
real deployment: the box's ``gonogo stack inject`` writes ``{"kind", "until"}`` to the file named by CHAOS_FILE
(one per colour), and each backend reads it at most twice a second. The deploy suite injects it into the live
colour to see the automatic rollback's triggers fire (D3).

Kinds, on every ``/api/`` request (the health endpoint the clients read included, never ``/metrics``): ``errors``
(half of them answer 503), ``slow`` (each answers 2.5 s late), ``unhealthy`` (the health checks, the load
balancer's ``/health`` and ``/api/health``, answer 503).
"""

from __future__ import annotations

import json
import os
import time

KINDS = ("errors", "slow", "unhealthy")
ERROR_SHARE, SLOW_S = 0.5, 2.5
READ_EVERY_S = 0.5


class Chaos:
    def __init__(self, path: str | None) -> None:
        self.path = path
        self._read_at, self._mtime, self._state = 0.0, None, None

    def now(self) -> str | None:
        """The kind of chaos in force now, or None."""
        if not self.path:
            return None
        clock = time.time()
        if clock - self._read_at >= READ_EVERY_S:
            self._read_at = clock
            try:
                mtime = os.stat(self.path).st_mtime_ns
                if mtime != self._mtime:
                    with open(self.path) as handle:
                        self._state, self._mtime = json.load(handle), mtime
            except (OSError, ValueError):
                self._state, self._mtime = None, None
        state = self._state
        if not state or state.get("kind") not in KINDS or clock >= float(state.get("until", 0)):
            return None
        return state["kind"]
