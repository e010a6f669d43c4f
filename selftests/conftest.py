"""Shared helpers: a tiny gonogo project (environments, gates, suites) for pytester runs."""

from __future__ import annotations

import http.server
import json
import os
import textwrap
import threading
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

ENVIRONMENTS = """\
version: 1
environments:
  local:
    base_url: {local_url}
    accounts:
      admin: [{email: admin@example.test, password: "${LOCAL_PW:-local-only}"}]
  staging:
    base_url: "${STAGING_BASE_URL}"
    mongo_url: "${STAGING_MONGO_URL}"
    accounts:
      admin: [{email: "${STAGING_ADMIN_EMAIL}", password: "${STAGING_ADMIN_PASSWORD}"}]
"""

GATES = """\
version: 1
gates:
  - id: smoke.latency.p95
    requirement: K1
    metric: smoke.http_latency
    aggregation: p95
    threshold: "< 500 ms"
    min_samples: 3
  - id: smoke.checks
    requirement: SMOKE
    metric: smoke.checks
    aggregation: failed
    threshold: "== 0"
  - id: security.critical_high
    requirement: K4
    metric: security.findings
    aggregation: count
    where: {severity: [critical, high]}
    threshold: "== 0"
"""

INI = """\
[pytest]
gonogo_env = local
addopts = -p no:cacheprovider
"""


class GateProject:
    """Writes a gonogo project into a pytester directory."""

    def __init__(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, target_url: str):
        self.pytester = pytester
        self.monkeypatch = monkeypatch
        self.path = pytester.path
        self.target_url = target_url
        self.write("environments.yaml", ENVIRONMENTS.replace("{local_url}", target_url))
        self.write("gates.yaml", GATES)
        self.write("pytest.ini", INI)

    def write(self, relpath: str, text: str) -> Path:
        path = self.path / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def suite_test(self, suite: str, body: str, name: str | None = None) -> Path:
        return self.write(f"tests/{suite}/{name or f'test_{suite}.py'}", body)

    def smoke(self, latencies=(0.1, 0.12, 0.2), checks_pass=True) -> None:
        self.suite_test("smoke", f"""
            def test_smoke(gonogo_metrics):
                for s in {list(latencies)!r}:
                    gonogo_metrics.record_latency("smoke.http_latency", s, endpoint="GET /health")
                gonogo_metrics.check("smoke.checks", "health", {checks_pass!r}, requirement="SMOKE")
        """)

    def run(self, *args: str, **env: str) -> pytest.RunResult:
        for key, value in env.items():
            self.monkeypatch.setenv(key, value)
        return self.pytester.runpytest_subprocess(*args)

    def report(self, path: str = "report.json") -> dict:
        return json.loads((self.path / path).read_text())


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b'{"status": "ok"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def target_url():
    """A real HTTP target that answers /health, for runs whose suites record figures without calling it."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, target_url: str) -> GateProject:
    for var in ("GONOGO_ENV", "GONOGO_GATES", "GONOGO_ENVIRONMENTS", "GONOGO_BASE_URL", "GONOGO_FAULTS"):
        monkeypatch.delenv(var, raising=False)
    return GateProject(pytester, monkeypatch, target_url)


@pytest.fixture(scope="module")
def product(tmp_path_factory) -> Path:
    """A copy of the product (tests/, gates.yaml, ...) to run suites from, one per test module."""
    from product_run import copy_product

    return copy_product(tmp_path_factory.mktemp("product"))


# -- tiers (docs/testing.md) ---------------------------------------------------------------------------------------------
TIERS = ("unit", "box", "slow")

# A product run a test starts from an xdist worker is not itself distributed: pytest-benchmark reads this variable and
# would switch the db suite's timed rounds off (db.query_time then has too few samples).
for _var in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
    os.environ.pop(_var, None)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the xdist_group marks (--dist loadgroup)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test not marked ``box`` or ``slow`` is ``unit``; ``slow`` implies ``box`` (a full gate, a load run, a drill or
    the fault matrix needs the box or a target of its own); so does ``alone``.

    Side by side (``-n``, scripts/selftest.sh), the tests of one module that needs a box stay on one worker: they share
    its module-scoped box or product copy. A test that names its own group (a fault matrix case, which boots a box of
    its own) keeps it."""
    for item in items:
        if (item.get_closest_marker("slow") or item.get_closest_marker("alone")) and item.get_closest_marker("box") is None:
            item.add_marker(pytest.mark.box)
        if item.get_closest_marker("box") is None:
            item.add_marker(pytest.mark.unit)
        elif item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))
    # Longest first: side by side, a worker that takes a fault matrix case last would finish minutes after the others
    # (xdist hands out groups in collection order); unit tests, short and many, fill the gaps at the end.
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("box") else 2)


_SPENT: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    tier = next((t for t in ("slow", "box", "unit") if t in report.keywords), "unit")
    _SPENT[tier] = _SPENT.get(tier, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter) -> None:
    if _SPENT:
        terminalreporter.write_sep("-", "time per tier (setup + call + teardown)")
        for tier in TIERS:
            if tier in _SPENT:
                terminalreporter.write_line(f"{tier:5} {_SPENT[tier] / 60:6.1f} min")
