"""server.instances (D3): a backend that dies behind the load balancer is named, from its own health URL or from
Prometheus's up series; a healthy fleet passes; an environment that lists no instance leaves the gate inconclusive."""

from __future__ import annotations

import http.server
import threading
import time

import httpx
import pytest
from test_promql_recorded import HEALTHY, T0, source

from gonogo.config.settings.server import ServerMetrics
from gonogo.core.store import MetricsStore
from gonogo.server_metrics.scrape import (
    NO_INSTANCES,
    ServerSampler,
    longest_failure_run,
)


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def two_instances():
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield servers
    for server in servers:
        server.server_close()


def test_longest_failure_run():
    assert longest_failure_run([]) == 0
    assert longest_failure_run([True, False, False, True, False]) == 2
    assert longest_failure_run([False] * 5) == 5


def test_an_instance_that_dies_is_named_and_the_one_that_lives_passes(two_instances):
    alive, dying = two_instances
    urls = [f"http://127.0.0.1:{s.server_address[1]}/health" for s in two_instances]
    with httpx.Client(timeout=1) as client:
        sampler = ServerSampler(client, ServerMetrics(instances=urls), interval=0.05, exporter_client=client)
        start = time.time()
        for source_ in sampler.instances:
            source_.start()
        time.sleep(0.3)
        dying.shutdown()
        dying.server_close()  # connection refused from here on, as from a crashed process
        time.sleep(0.6)
        for source_ in sampler.instances:
            source_.stop()
    store = MetricsStore()
    sampler.record_instances(store, start, time.time())
    checks = store.select("server.instances")
    assert checks.samples == 2 and len(checks.failures) == 1
    [failure] = checks.failures
    dead = f"127.0.0.1:{dying.server_address[1]}"
    assert failure.check == dead and f"{dead} failed" in failure.detail and "consecutive health checks" in failure.detail
    assert "ConnectError" in failure.detail and "D3" in failure.detail


def test_no_instance_listed_leaves_the_gate_unmeasured_saying_how_to_fix_it():
    store = MetricsStore()
    with httpx.Client() as client:
        ServerSampler(client, ServerMetrics()).record_instances(store, T0, T0 + 60)
    assert store.select("server.instances") is None
    assert store.unmeasured_reasons("server.instances") == [NO_INSTANCES]


def _up(series: dict[str, list[str]]) -> dict:
    result = [{"metric": {"job": "ai-model-api", "instance": name}, "values": [[T0 + 15 * (i + 1), v] for i, v in enumerate(values)]}
              for name, values in series.items()]
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


def test_prometheus_up_names_the_instance_that_was_down_more_than_three_scrapes_in_a_row():
    prometheus, asked = source({**HEALTHY, "up{": _up({"10.0.1.11:8000": ["1"] * 8, "10.0.1.12:8000": ["1", "0", "0", "0", "0", "1"],
                                                       "10.0.1.13:8000": ["1", "0", "0", "0", "1", "1"]})})
    store = MetricsStore()
    prometheus.record(store, T0, T0 + 120)
    assert 'up{job="ai-model-api"}' in asked
    checks = store.select("server.instances")
    assert checks.samples == 3  # three missed scrapes in a row are within D3's tolerance; four are not
    assert [f.check for f in checks.failures] == ["10.0.1.12:8000"]
    assert "failed 4 consecutive health checks (~60 s)" in checks.failures[0].detail


def test_prometheus_without_up_series_leaves_the_gate_unmeasured():
    prometheus, _ = source(HEALTHY)
    store = MetricsStore()
    prometheus.record(store, T0, T0 + 120)
    assert store.select("server.instances") is None
    assert any("up{" in r for r in store.unmeasured_reasons("server.instances"))
