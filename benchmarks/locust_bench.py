"""A bare Locust user for generator benchmarks: one GET as fast as it can (BENCH_PATH), or the box's read mix
(BENCH_MIX=1: wrk_mix.lua's weights, TOKENS and MODEL_IDS files); BENCH_RECORD=1 adds gonogo's exact Recorder, and
BENCH_OUT names a file for the recorder's own P95/P99 (beside Locust's)."""

import json
import os
import random
from pathlib import Path

from locust import FastHttpUser, constant, events, task

MIX = os.environ.get("BENCH_MIX") == "1"
TOKENS = Path(os.environ["TOKENS"]).read_text().split() if MIX else []
MODELS = Path(os.environ["MODEL_IDS"]).read_text().split()[:50] if MIX else []
PROVIDERS = ["openai", "anthropic", "google", "meta", "mistral", "cohere", "in-house"]


class Hammer(FastHttpUser):
    wait_time = constant(0)
    insecure = True  # loopback benchmark against a self-signed box; the load suite itself verifies TLS

    @task
    def hit(self):
        if not MIX:
            self.client.get(os.environ.get("BENCH_PATH", "/"))
            return
        r = random.random()
        if r < 0.35:
            path, name = f"/api/models?provider={random.choice(PROVIDERS)}&limit=20", "GET /api/models"
        elif r < 0.55:
            path, name = f"/api/models/{random.choice(MODELS)}", "GET /api/models/{id}"
        elif r < 0.85:
            path, name = "/api/evaluations?limit=20", "GET /api/evaluations"
        else:
            path, name = "/api/auth/me", "GET /api/auth/me"
        self.client.get(path, name=name, headers={"Authorization": f"Bearer {random.choice(TOKENS)}"})


if os.environ.get("BENCH_RECORD") == "1":
    import gc

    from gonogo.loadgen.recorder import Recorder

    gc.freeze()  # as the load suite's LoadRun.install does: the import-time heap out of the collector's way

    RECORDER = Recorder()
    RECORDER.reset(measure_from=0.0)  # record from the first response, as after a warm-up
    events.request.add_listener(RECORDER.on_request)

    @events.quitting.add_listener
    def _own_percentiles(environment, **_):
        if os.environ.get("BENCH_OUT"):
            overall = RECORDER.latency_so_far()
            Path(os.environ["BENCH_OUT"]).write_text(
                json.dumps({f"p{p}_ms": (overall.percentile_seconds(p) or 0) * 1000 for p in (95, 99)})
            )
