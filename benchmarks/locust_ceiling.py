"""One Locust process driving gonogo's open model against a static target with a capacity ramp (GONOGO_LOAD_RAMP,
GONOGO_LOAD_RAMP_STEP): the load suite's own scheduler, recorder and step judging, a GET of BENCH_PATH per iteration,
sent by the load suite's client (gonogo's LeanHttpUser) or, with BENCH_CLIENT=fasthttp, by Locust's FastHttpUser.
benchmarks/generator_ceiling.py runs it and reads each step's lateness from the figures file."""

import os
from pathlib import Path

from locust import FastHttpUser, User, constant, task

from gonogo.suite.locust import LeanHttpUser, LoadRun, LoadSettings, drive_arrivals

SETTINGS = LoadSettings.from_env(os.environ, local_box=Path("/nonexistent"))
RUN = LoadRun.install(SETTINGS)
PATH = os.environ.get("BENCH_PATH", "/")
CLIENT = FastHttpUser if os.environ.get("BENCH_CLIENT") == "fasthttp" else LeanHttpUser


class Get(CLIENT):
    abstract = True  # driven by the scheduler below
    insecure = True
    weight = 1

    def on_start(self):
        self.intended = None

    @task
    def get(self):
        intended, self.intended = self.intended, None
        self.client.get(PATH, context={"intended": intended} if intended is not None else {})


class OpenModel(User):
    wait_time = constant(0)

    @task
    def arrivals(self):
        drive_arrivals(self.environment, self.host, [Get], RUN.arrival_rate(1), SETTINGS.users, RUN.iterate)
