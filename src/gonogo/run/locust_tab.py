"""A "gonogo" tab in Locust's web UI (Locust's extended tabs): the load gates judged live on the exact figures of the
measured window so far, the figures `gonogo evaluate` will decide on when the run has written them: a run's record
before its end, shown where its users look.

Locust's own Statistics tab counts from the first request (the logins and the warm-up included) and rounds its
percentiles to about two significant digits; gonogo's figures start once every virtual user has logged in and the
warm-up has passed, and keep three. The tab says so, and which window it reads, so that three P95s of one run are
not three answers to one question. The server.* gates are not judged here: they are read from the environment's
Prometheus over the same window, by `gonogo evaluate FIGURES --env NAME`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gonogo.config.gates import Gate
from gonogo.loadgen.recorder import Recorder
from gonogo.run.record import About, decided

KEY = "gonogo"
TAB = {"title": "gonogo gates", "key": KEY}
COLUMNS = [
    {"key": "gate", "title": "gate"},
    {"key": "status", "title": "status"},
    {"key": "measured", "title": "measured"},
    {"key": "threshold", "title": "threshold"},
    {"key": "samples", "title": "N"},
    {"key": "why", "title": "why"},
]
EVERY_S = 2.0  # Locust's UI asks every 2 s; judging is done at most this often, whoever asks
FIGURES = "gonogo's figures: every response after warm-up, exact (HdrHistogram); Locust's Statistics tab counts from "
FIGURES += "the first request, logins and warm-up included, its percentiles rounded"


def load_gates(root: Path | None, env: str) -> list[Gate] | str:
    """The gates of the load's own figures (load.*) for ``env``, or why there are none to show."""
    from gonogo.config.environments import Environments
    from gonogo.config.errors import ConfigError
    from gonogo.config.gates import GateSet

    if root is None:
        return "no gates.yaml found upward from here: run Locust from the gate's directory"
    try:
        names = Environments.from_path(root / "environments.yaml").names
        gates = GateSet.from_path(root / "gates.yaml", names).for_environment(env)
    except ConfigError as exc:
        return exc.render().splitlines()[0]
    return [g for g in gates if g.suite == "load" and g.metric.name.startswith("load.")]


@dataclass
class LiveGates:
    """The rows of the tab, judged on the recorder's figures so far at most every EVERY_S seconds."""

    recorder: Recorder
    gates: list[Gate] | str
    env: str
    _rows: list[dict] | None = None
    _at: float = 0.0

    def rows(self, now: float | None = None) -> list[dict]:
        now = time.time() if now is None else now
        if self._rows is None or now - self._at >= EVERY_S:
            self._rows, self._at = self._judge(now), now
        return self._rows

    def _judge(self, now: float) -> list[dict]:
        start, stopped = self.recorder.measure_from, self.recorder.stopped_at
        if start is None or now <= start:
            pending = "not yet: every virtual user logs in, then the warm-up runs at full load (neither is measured)"
            return [_row("measured window", "", pending, why=FIGURES)]
        since = time.strftime("%H:%M:%S", time.localtime(start))
        span = f"{stopped - start:,.0f} s, stopped" if stopped else f"{now - start:,.0f} s so far"
        head = _row(
            "measured window",
            "",
            f"from {since}, {span}",
            why=f"{self.recorder.window.get('why', '')}; {FIGURES}; "
            f"server.* gates: gonogo evaluate FIGURES --env {self.env}",
        )
        if isinstance(self.gates, str):
            return [head, _row("gates", "", "—", why=self.gates)]
        store = self.recorder.so_far(now)
        if store is None:
            return [head]
        verdict = decided(About(self.env), self.gates, store, ["load"]).verdict
        assert verdict is not None
        return [head] + [
            _row(
                r.gate.id,
                r.status.symbol + (f" ({r.excused})" if r.excused else ""),
                r.fmt(r.measured),
                threshold=r.threshold_text(),
                samples=f"{r.samples:,}",
                why=r.message,
            )
            for r in verdict.results
        ]


def _row(gate: str, status: str, measured: str, threshold: str = "", samples: str = "", why: str = "") -> dict:
    return {
        "gate": gate,
        "safe_name": gate,
        "status": status,
        "measured": measured,
        "threshold": threshold,
        "samples": samples,
        "why": why,
    }


def install(web_ui: Any, live: LiveGates) -> None:  # locust.web.WebUI
    """The tab in Locust's UI, and its rows in every /stats/requests answer the UI polls."""
    from flask import request

    web_ui.template_args["extended_tabs"] = [TAB]
    web_ui.template_args["extended_tables"] = [{"key": KEY, "structure": COLUMNS}]

    @web_ui.app.after_request
    def add_rows(response: Any) -> Any:  # a Flask response
        if request.path != "/stats/requests" or not response.is_json:
            return response
        try:
            rows = live.rows()
        except Exception as exc:  # the UI of a running load is never broken by its tab
            rows = [_row("gates", "", "—", why=f"not judged: {type(exc).__name__}: {exc}")]
        response.set_data(json.dumps({**response.json, "extended_stats": [{"key": KEY, "data": rows}]}))
        return response


def attach(environment: Any, recorder: Recorder, environ: Mapping[str, str] = os.environ) -> LiveGates | None:
    """The tab in the web UI of the process that merges the figures (the master, or the only process); the gates of
    GONOGO_ENV (default local) from the project's gates.yaml."""
    from locust.runners import WorkerRunner

    from gonogo.config import project

    if environment.web_ui is None or isinstance(environment.runner, WorkerRunner):
        return None
    env = environ.get("GONOGO_ENV") or "local"
    live = LiveGates(recorder, load_gates(project.find_root(), env), env)
    install(environment.web_ui, live)
    return live
