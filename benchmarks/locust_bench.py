"""A bare Locust user for generator benchmarks: one GET as fast as it can; BENCH_RECORD=1 adds gonogo's exact Recorder."""

import os

from locust import FastHttpUser, constant, events, task


class Hammer(FastHttpUser):
    wait_time = constant(0)
    insecure = True  # loopback benchmark against a self-signed box; the load suite itself verifies TLS

    @task
    def hit(self):
        self.client.get(os.environ.get("BENCH_PATH", "/"))


if os.environ.get("BENCH_RECORD") == "1":
    from gonogo.loadgen.recorder import Recorder

    RECORDER = Recorder()
    RECORDER.reset(measure_from=0.0)  # record from the first response, as after a warm-up
    events.request.add_listener(RECORDER.on_request)
