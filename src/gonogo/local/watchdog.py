"""The box's automatic rollback (D3), what Argo Rollouts' analysis or a CloudWatch alarm on CodeDeploy is to a real
deployment: ``python -m gonogo.local.watchdog ROOT`` runs beside the box.

For ANALYSIS_S after a switch (not after a rollback) it evaluates the plan's rollback triggers on the new colour
once a second, every window divided by the box's TRIGGER_COMPRESSION (the local environment states the same
factor): the error rate and P95 from the colour's /metrics (the contract's ``http_requests_total`` and
``http_request_duration_seconds``, over RATE_WINDOW_S; the balancer's ``/health`` and ``/metrics`` left out), and each
backend's ``/health`` (a check fails when any backend does not answer 200). When a trigger fires it rolls back
(gonogo.stack.colours) and appends the event to ``rollbacks.jsonl`` in the box's directory. CPU and memory are
host-wide on the box (the generator shares it) and are not watched here.

Faults (the box's GONOGO_FAULTS): ``eager_rollback`` fires at the first breaching evaluation (no ``for:``), so a
blip shorter than the window rolls back; ``latency_trigger_off`` never evaluates the P95 trigger.
"""

from __future__ import annotations

import json
import sys
import time
import urllib.request
from collections import deque
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from gonogo.core.processes import pid_alive
from gonogo.deploy.triggers import PLAN_TRIGGERS, Trigger, compressed, fires_at
from gonogo.stack.box import Box, BoxInfo
from gonogo.stack.colours import ColourSwitch
from gonogo.stack.process import StackError

TRIGGER_COMPRESSION = 30.0  # the local environment's deploy.trigger_compression
EVALUATE_EVERY_S = 1.0
RATE_WINDOW_S = 2.0
ANALYSIS_S = 120.0  # how long after a switch the new colour is watched (its slowest window is 10 s here)
WATCHED = ("error_rate", "latency_p95", "health_checks")
EVENTS = "rollbacks.jsonl"
GONE_AFTER_S = 60.0  # no box serving for this long (booting takes less): the watchdog ends


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:
        return 0, ""


def totals(metrics_text: str) -> tuple[float, float, dict[float, float]]:
    """(requests, 5xx answers, cumulative latency buckets {le: count}) over what the clients call."""
    requests = errors = 0.0
    buckets: dict[float, float] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.labels.get("path", "") in ("/health", "/metrics"):  # the balancer's checks and the scrapes
                continue
            if sample.name == "http_requests_total":
                requests += sample.value
                errors += sample.value if sample.labels.get("status", "").startswith("5") else 0.0
            elif sample.name == "http_request_duration_seconds_bucket":
                le = float(sample.labels["le"])
                buckets[le] = buckets.get(le, 0.0) + sample.value
    return requests, errors, buckets


def quantile(q: float, buckets: dict[float, float]) -> float | None:
    """Prometheus's histogram_quantile over cumulative ``buckets`` (linear inside the bucket)."""
    edges = sorted(buckets)
    if not edges or buckets[edges[-1]] <= 0:
        return None
    rank, lower, below = q * buckets[edges[-1]], 0.0, 0.0
    for le in edges:
        count = buckets[le]
        if count >= rank:
            if le == float("inf"):
                return lower
            return lower + (le - lower) * ((rank - below) / (count - below) if count > below else 1.0)
        lower, below = le, count
    return lower


class Watch:
    """The readings of one rollout and the triggers judged on them."""

    def __init__(self, colour: str, since: float, faults: set[str]) -> None:
        self.colour, self.since = colour, since
        triggers = compressed(PLAN_TRIGGERS, TRIGGER_COMPRESSION)
        if "eager_rollback" in faults:
            triggers = tuple(
                Trigger(t.name, t.series, t.threshold, 0.0, 0 if t.count is not None else None, t.op) for t in triggers
            )
        skip = {"latency_p95"} if "latency_trigger_off" in faults else set()
        self.triggers = [t for t in triggers if t.name in WATCHED and t.name not in skip]
        self.readings: dict[str, list[tuple[float, float | None]]] = {
            "error_rate": [],
            "latency_p95": [],
            "health_check": [],
        }
        self.scrapes: deque[tuple[float, float, float, dict[float, float]]] = deque()

    def read(self, info: BoxInfo, now: float) -> None:
        ports = info.colours.get(self.colour, [])
        health = [_get(f"http://127.0.0.1:{port}/health")[0] for port in ports]
        self.readings["health_check"].append((now, 1.0 if health and all(code == 200 for code in health) else 0.0))
        status, text = _get(f"http://127.0.0.1:{ports[0]}/metrics") if ports else (0, "")
        if status != 200:
            return
        self.scrapes.append((now, *totals(text)))
        while self.scrapes and self.scrapes[0][0] < now - RATE_WINDOW_S - 0.5:
            self.scrapes.popleft()
        first, last = self.scrapes[0], self.scrapes[-1]
        requests = last[1] - first[1]
        self.readings["error_rate"].append((now, (last[2] - first[2]) / requests if requests > 0 else None))
        window = {le: last[3].get(le, 0.0) - first[3].get(le, 0.0) for le in last[3]}
        self.readings["latency_p95"].append((now, quantile(0.95, window)))

    def fired(self, now: float) -> Trigger | None:
        for trigger in self.triggers:
            if (
                fires_at(trigger, self.readings[trigger.series], EVALUATE_EVERY_S, start=self.since, end=now)
                is not None
            ):
                return trigger
        return None


def run(root: Path) -> None:
    box = Box(root, log=lambda *_: None)
    watch: Watch | None = None
    seen = time.time()
    while True:
        info, now = box.recorded(), time.time()
        if info is None or not pid_alive(info.pids.get("nginx")):
            if now - seen > GONE_AFTER_S:
                return  # the box is gone (or never came up): nothing to watch
            time.sleep(EVALUATE_EVERY_S)
            continue
        seen = now
        rollout = info.rollout or {}
        if not rollout or rollout.get("colour") != info.live or now - float(rollout.get("since", 0)) > ANALYSIS_S:
            watch = None
        else:
            if watch is None or watch.colour != rollout["colour"] or watch.since != rollout["since"]:
                watch = Watch(rollout["colour"], float(rollout["since"]), set(info.faults))
            watch.read(info, now)
            trigger = watch.fired(now)
            if trigger is not None:
                _roll_back(box, watch, trigger, now)
                watch = None
        time.sleep(max(0.0, EVALUATE_EVERY_S - (time.time() - now)))


def _roll_back(box: Box, watch: Watch, trigger: Trigger, fired: float) -> None:
    try:
        done = ColourSwitch(box).rollback()
    except StackError as exc:
        done = f"rollback failed: {exc}"
    event = {"at": fired, "colour": watch.colour, "trigger": trigger.describe, "rollback": done, "done_at": time.time()}
    with (box.dir / EVENTS).open("a") as events:
        events.write(json.dumps(event) + "\n")
    print(f"watchdog: {trigger.describe} fired on {watch.colour}: {done}", flush=True)


if __name__ == "__main__":
    run(Path(sys.argv[1]))
