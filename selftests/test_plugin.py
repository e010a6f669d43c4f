"""The pytest plugin end to end, in a subprocess per run (pytester)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest


def test_go_exit_0_and_verdict_table(project):
    project.smoke()
    project.suite_test("security", """
        def test_scan(gonogo_metrics):
            gonogo_metrics.scan("security.findings", [], source="dependencies")
    """)
    result = project.run("--gate-report=report.json")
    assert result.ret == 0
    result.stdout.fnmatch_lines([
        f"gonogo: environment 'local' at {project.target_url} (run id gonogo-*)",
        "*gonogo verdict*",
        "✓ PASS    smoke.latency.p95*K1*200 ms*< 500 ms*300 ms under*3",  # one line per gate, its id on it
        "✓ PASS    smoke.checks*SMOKE*0*== 0*1",
        "✓ PASS    security.critical_high*K4*0*== 0*1",
        "*gonogo: GO — gates: 3 pass (this run decides only suites: smoke, security; not run: load, db, deploy) ?exit 0?*",
    ])
    report = project.report()
    assert report["verdict"] == "go" and report["exit_code"] == 0


def test_failing_gate_is_no_go_exit_1(project):
    project.smoke(latencies=(0.9, 0.8, 0.7))
    result = project.run()
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "smoke.latency.p95 failed: p95 900 ms, needs < 500 ms",
        "*gonogo verdict*",
        "FAILED gates.yaml::smoke.latency.p95 - smoke.latency.p95 failed: p95 900 ms, *",
        "*gonogo: NO-GO*1 fail*?exit 1?*",
    ])


def test_failed_check_lists_its_name(project):
    project.smoke(checks_pass=False)
    result = project.run()
    assert result.ret == 1
    result.stdout.fnmatch_lines(["Blocks Go (1):", "✗ smoke.checks FAIL: failed 1, needs == 0", "*    health*"])


def test_failing_suite_test_is_no_go_even_when_gates_pass(project):
    project.smoke()
    project.suite_test("smoke", "def test_broken():\n    assert 1 == 2\n", name="test_broken.py")
    result = project.run()
    assert result.ret == 1
    result.stdout.fnmatch_lines(["FAILED tests/smoke/test_broken.py::test_broken*", "*gonogo: NO-GO — gates: 2 pass, 1 not run; 1 suite test(s) failed*"])


def test_error_in_suite_fixture_teardown_is_no_go(project):
    project.smoke()
    project.write("tests/smoke/conftest.py", """
        import pytest

        @pytest.fixture(scope="session", autouse=True)
        def box():
            yield
            raise RuntimeError("box did not stop cleanly")
    """)
    result = project.run("--gate-report=report.json")
    assert result.ret == 1
    assert project.report()["failed_tests"] == 1


def test_unmeasured_gate_is_inconclusive_and_no_go(project):
    project.suite_test("smoke", """
        def test_only_checks(gonogo_metrics):
            gonogo_metrics.check("smoke.checks", "health", True)
    """)
    result = project.run("--gate-report=report.json")
    assert result.ret == 1
    result.stdout.fnmatch_lines([
        "INCONCLUSIVE: 'smoke.http_latency' was not measured: suite 'smoke' ran but produced no figure",
        "*gonogo: NO-GO*1 inconclusive*",
    ])
    gates = {g["id"]: g for g in project.report()["gates"]}
    assert gates["smoke.latency.p95"]["status"] == "inconclusive"
    assert gates["security.critical_high"]["status"] == "not_run"


def test_a_deselected_test_leaves_what_it_covers_inconclusive(project):
    """-k, -m and --deselect leave tests out: a gate they feed is not decided on what the others recorded."""
    project.smoke()
    project.suite_test("smoke", """
        import pytest

        @pytest.mark.gonogo_covers("smoke.checks")
        def test_more_checks(gonogo_metrics):
            gonogo_metrics.check("smoke.checks", "login", False)
    """, name="test_more.py")
    result = project.run("--gate-report=report.json", "-k", "not more_checks")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*INCONCLUSIVE: partly not measured: tests/smoke/test_more.py::test_more_checks was deselected"])
    gates = {g["id"]: g for g in project.report()["gates"]}
    assert gates["smoke.checks"]["status"] == "inconclusive" and gates["smoke.latency.p95"]["status"] == "pass"


def test_too_few_samples_is_inconclusive(project):
    project.smoke(latencies=(0.1, 0.1))
    result = project.run()
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*too few samples: 2 < 3 required*"])


def test_no_suite_selected_is_undecided_exit_5(project):
    result = project.run()
    assert result.ret == 5
    result.stdout.fnmatch_lines(["*gonogo: UNDECIDED — no suite ran, so no gate was decided ?exit 5?*"])


def test_skips_point_at_the_gate_line(project):
    project.smoke()
    result = project.run("-rs")
    result.stdout.fnmatch_lines(["SKIPPED [[]1[]] gates.yaml:14: not run: suite 'security' was not selected in this run"])


def test_suite_marker_assigns_a_test_outside_the_suite_dirs(project):
    project.write("checks/test_extra.py", """
        import pytest

        @pytest.mark.gonogo_suite("security")
        def test_scan(gonogo_metrics):
            gonogo_metrics.scan("security.findings", [], source="zap")
    """)
    result = project.run("checks", "--gate-report=report.json")
    assert result.ret == 0
    assert project.report()["suites_run"] == ["security"]


# -- options, precedence, bad input ---------------------------------------------------
def test_unknown_env_lists_valid_names_exit_4(project):
    project.smoke()
    result = project.run("--env=stagng")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*unknown environment 'stagng'. Did you mean 'staging'? Valid environments: 'local', 'staging'.*",
                                 "*nothing was sent to the target*"])
    result.stdout.no_fnmatch_line("*collected*")


def test_missing_secret_names_the_variable_exit_4(project):
    project.smoke()
    result = project.run("--env=staging", STAGING_BASE_URL="https://staging.example.test")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*Missing environment variable `STAGING_MONGO_URL`*"])


def test_secrets_do_not_leak_into_output_or_report(project):
    project.smoke()
    secrets = {"STAGING_MONGO_URL": "mongodb://u:dbpass@db/", "STAGING_ADMIN_EMAIL": "a@x", "STAGING_ADMIN_PASSWORD": "adminpass"}
    reachable = project.target_url.replace("http://", "http://svc:urlpass@")
    for base_url, code in ((reachable, 0), ("https://svc:urlpass@no-such-host.invalid", 1)):
        result = project.run("--env=staging", "--gate-report=report.json", "-v", STAGING_BASE_URL=base_url, **secrets)
        assert result.ret == code
        everything = result.stdout.str() + result.stderr.str() + (project.path / "report.json").read_text()
        for secret in ("urlpass", "dbpass", "adminpass"):
            assert secret not in everything
    assert project.report()["base_url"] == "https://no-such-host.invalid"
    result.stdout.fnmatch_lines(["gonogo: target unreachable: https://no-such-host.invalid/health: DNS lookup failed*"])


def test_env_from_environment_variable_and_cli_wins(project):
    project.smoke()
    result = project.run("--gate-report=report.json", GONOGO_ENV="nope")
    assert result.ret == 4  # GONOGO_ENV beats the ini
    result = project.run("--env=local", "--gate-report=report.json", GONOGO_ENV="nope")
    assert result.ret == 0  # the command line beats GONOGO_ENV
    assert project.report()["environment"] == "local"


def test_base_url_option_overrides_file_and_variable(project):
    project.smoke()
    url = project.target_url.replace("127.0.0.1", "localhost")
    result = project.run(f"--base-url={url}", "--gate-report=report.json", GONOGO_BASE_URL="http://127.0.0.1:6666")
    result.stdout.fnmatch_lines([f"*environment 'local' at {url}*"])
    assert result.ret == 0 and project.report()["base_url"] == url
    result = project.run("--gate-report=report.json", GONOGO_BASE_URL="http://127.0.0.1:6666")
    assert project.report()["base_url"] == "http://127.0.0.1:6666"
    result.stdout.fnmatch_lines(["gonogo: target unreachable: http://127.0.0.1:6666/health: connection refused*"])
    assert result.ret == 1


def test_bad_base_url_is_a_usage_error(project):
    result = project.run("--base-url=localhost:8443")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*'localhost:8443' is not an http(s) URL like https://host:port*"])


def test_broken_gates_file_exit_4_with_location(project):
    project.smoke()
    project.write("broken.yaml", """
        version: 1
        gates:
          - id: x
            requirement: K1
            metric: smoke.http_latency
            aggregation: p59
            threshold: "< 1 s"
    """)
    result = project.run("--gates=broken.yaml")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*Error in broken.yaml:*", "*gate 'x' → aggregation (line 7): aggregation 'p59' does not apply*"])


def test_gates_file_from_environment_variable(project):
    project.smoke()
    project.write("other.yaml", "version: 1\ngates: []\n")
    result = project.run("--gate-report=report.json", GONOGO_GATES="other.yaml")
    assert result.ret == 0
    assert project.report()["gates"] == []


def test_missing_environments_file(project):
    result = project.run("--environments=nowhere.yaml")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*Error in nowhere.yaml:", "*environments file not found*"])


def test_gate_options_without_env_are_a_usage_error(project):
    project.write("pytest.ini", "[pytest]\n")
    result = project.run("--gate-report=r.json")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--gate-report needs an environment: add --env=NAME (or set GONOGO_ENV)*"])


def test_plugin_is_inert_without_an_environment(project):
    project.write("pytest.ini", "[pytest]\n")
    project.write("test_plain.py", "def test_plain():\n    pass\n")
    result = project.run()
    assert result.ret == 0
    result.assert_outcomes(passed=1)
    assert "gonogo:" not in result.stdout.str() and "gates.yaml" not in result.stdout.str()


def test_fixtures_without_env_say_how_to_fix(project):
    project.write("pytest.ini", "[pytest]\n")
    project.write("test_plain.py", "def test_plain(gonogo_metrics):\n    pass\n")
    result = project.run()
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*gonogo fixtures need an environment: run with --env=NAME*"])


def test_help_lists_the_options(project):
    result = project.run("--help")
    result.stdout.fnmatch_lines([
        "gonogo release gate:",
        "*--env=NAME*",
        "*--gates=PATH*",
        "*--base-url=URL*",
        "*--gate-report=PATH*",
        "*--baseline=REPORT*",
    ])


def test_collect_only_decides_nothing(project):
    project.smoke()
    result = project.run("--collect-only", "-q")
    assert result.ret == 0
    assert "gonogo verdict" not in result.stdout.str()


# -- baseline -------------------------------------------------------------------------
RELATIVE_GATE = """
  - id: smoke.p95.vs_baseline
    requirement: K1
    metric: smoke.http_latency
    aggregation: p95
    relative: "<= +10 %"
"""


def test_relative_gate_with_baseline(project):
    project.write("gates.yaml", "version: 1\ngates:\n" + RELATIVE_GATE)
    project.smoke(latencies=(0.2, 0.2, 0.2))
    assert project.run("--gate-report=base.json").ret == 1  # no baseline: inconclusive
    project.smoke(latencies=(0.21, 0.21, 0.21))
    result = project.run("--baseline=base.json", "--gate-report=new.json")
    assert result.ret == 0
    gate = project.report("new.json")["gates"][0]
    assert gate["baseline"] == pytest.approx(0.2, rel=1e-3)
    project.smoke(latencies=(0.3, 0.3, 0.3))
    result = project.run("--baseline=base.json")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*needs <= baseline 200 ms +10 %*"])


def test_baseline_that_is_not_a_report(project):
    project.smoke()
    project.write("junk.json", '{"hello": 1}')
    result = project.run("--baseline=junk.json")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*--baseline: junk.json: not a gonogo gate report (schema None, expected 'gonogo.gate-report/1'*"])


def test_baseline_file_must_exist(project):
    result = project.run("--baseline=missing.json")
    assert result.ret == 4
    result.stderr.fnmatch_lines(["*argument --baseline: file not found: missing.json*"])


# -- reports ---------------------------------------------------------------------------
def test_json_report_schema(project):
    project.smoke()
    project.run("--gate-report=out/report.json")
    report = project.report("out/report.json")
    assert report["schema"] == "gonogo.gate-report/1"
    assert set(report) >= {"verdict", "decided", "exit_code", "environment", "base_url", "gates_file", "suites_run",
                           "failed_tests", "started_at", "finished_at", "counts", "reasons", "gates", "metrics"}
    gate = next(g for g in report["gates"] if g["id"] == "smoke.latency.p95")
    assert set(gate) >= {"id", "requirement", "metric", "status", "measured", "threshold", "samples", "margin", "message"}
    assert gate["requirement"] == "K1" and gate["status"] == "pass" and gate["samples"] == 3
    assert gate["threshold"]["value"] == 0.5 and gate["threshold"]["op"] == "<"
    assert report["metrics"]["schema"] == "gonogo.metrics/1"


def test_junit_has_one_testcase_per_gate(project):
    project.smoke(latencies=(0.9, 0.9, 0.9))
    project.run("--junitxml=junit.xml")
    cases = {c.get("name"): c for c in ET.parse(project.path / "junit.xml").getroot().iter("testcase")}
    assert {"smoke.latency.p95", "smoke.checks", "security.critical_high", "verdict"} <= set(cases)
    assert cases["smoke.latency.p95"].find("failure") is not None
    assert cases["smoke.checks"].find("failure") is None and cases["smoke.checks"].find("skipped") is None
    assert cases["security.critical_high"].find("skipped") is not None


def test_allure_results_per_gate_with_table_and_environment(project):
    project.smoke()
    result = project.run("--alluredir=allure")
    assert result.ret == 0
    allure = project.path / "allure"
    results = [json.loads(p.read_text()) for p in allure.glob("*-result.json")]
    by_name = {r["name"]: r for r in results}
    assert any(n.startswith("smoke.latency.p95 [K1]") for n in by_name)
    gate = next(r for n, r in by_name.items() if n.startswith("smoke.latency.p95"))
    assert gate["status"] == "passed"
    assert {"name": "tag", "value": "K1"} in gate["labels"]
    verdict = next(r for n, r in by_name.items() if n.startswith("Verdict: GO"))
    table = next(a for a in verdict["attachments"] if a["name"] == "gate table")
    assert "smoke.latency.p95" in (allure / table["source"]).read_text()
    props = (allure / "environment.properties").read_text()
    assert "gonogo.environment=local" in props and "gonogo.verdict=go" in props


# -- which suites a run covers ------------------------------------------------------------
def test_a_covered_suite_without_figures_is_inconclusive_not_skipped(project):
    project.smoke()
    project.write("tests/security/__init__.py", "")  # the suite exists but measured nothing
    result = project.run("--gate-report=report.json")
    assert result.ret == 1
    gates = {g["id"]: g["status"] for g in project.report()["gates"]}
    assert gates["security.critical_high"] == "inconclusive" and gates["smoke.checks"] == "pass"


def test_a_run_of_one_suite_does_not_cover_the_others(project):
    project.smoke()
    project.write("tests/security/__init__.py", "")
    result = project.run("tests/smoke", "--gate-report=report.json")
    assert result.ret == 0
    assert project.report()["suites_run"] == ["smoke"]
    assert {g["id"]: g["status"] for g in project.report()["gates"]}["security.critical_high"] == "not_run"


@pytest.mark.parametrize("spelling", ["separate", "joined"])
def test_a_path_option_outside_the_project_keeps_the_projects_configuration(tmp_path, spelling):
    """`--gates /elsewhere/gates.yaml` once made pytest take /elsewhere as its rootdir: the project's pytest.ini
    (testpaths, addopts) was lost and selftests/ collected. Both spellings now collect the same gate run."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    outside = tmp_path / "elsewhere" / "gates.yaml"
    outside.parent.mkdir()
    outside.write_text((repo / "gates.yaml").read_text())
    option = ["--gates", str(outside)] if spelling == "separate" else [f"--gates={outside}"]
    proc = subprocess.run([sys.executable, "-m", "pytest", "--env=local", *option, "--co", "-q"], cwd=repo,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    collected = [line for line in proc.stdout.splitlines() if "::" in line]
    assert collected and not [c for c in collected if c.startswith("selftests")], proc.stdout[-2000:]
    assert any(c.startswith("tests/load/") for c in collected) and "gates.yaml::verdict" in proc.stdout
    assert f"rootdir: {repo}" in subprocess.run([sys.executable, "-m", "pytest", "--env=local", *option, "--co"], cwd=repo,
                                                 capture_output=True, text=True, timeout=120).stdout


def test_path_options_are_rewritten_in_the_form_pytest_reads_as_options():
    from gonogo.plugin.options import joined_path_options

    assert joined_path_options(["--env", "staging", "--gates", "/etc/g.yaml", "--gate-report", "r.json", "-q"]) == [
        "--env", "staging", "--gates=/etc/g.yaml", "--gate-report=r.json", "-q"]
    assert joined_path_options(["--gates=/etc/g.yaml"]) == ["--gates=/etc/g.yaml"]


def test_a_base_url_option_with_a_password_is_refused_without_echoing_it():
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    proc = subprocess.run([sys.executable, "-m", "pytest", "--env=local", "--base-url", "admin:topsecret9@staging.example.com",
                           "--co", "-q"], cwd=repo, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4 and "'admin:***@staging.example.com' is not an http(s) URL" in proc.stderr + proc.stdout
    assert "topsecret9" not in proc.stderr + proc.stdout


@pytest.mark.parametrize("given", ["option", "variable", "file"])
@pytest.mark.parametrize("password", ["s3cr#et-6401", "s3/cr3t-6402", "s3cr?t-6403"])
def test_a_password_that_breaks_the_url_is_refused_without_echoing_it(project, given, password):
    """Issue 29: an unencoded '#' or '/' in the password made urllib read its tail as the port, an INTERNALERROR whose
    traceback printed it ("Invalid port: '<password>'"), even under --collect-only."""
    url = f"https://admin:{password}@staging.example.com:8443"
    args, env = ["--co", "-q"], {}
    if given == "option":
        args.append(f"--base-url={url}")
    elif given == "variable":
        env["GONOGO_BASE_URL"] = url
    else:
        environments = (project.path / "environments.yaml").read_text()
        project.write("environments.yaml", environments.replace(f"base_url: {project.target_url}", 'base_url: "${TARGET}"'))
        env["TARGET"] = url
    result = project.run(*args, **env)
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == 4, out[-2000:]
    assert "admin:***@staging.example.com:8443" in out and "percent-encoded" in out, out[-2000:]
    assert password not in out and password.split("-")[0][:5] not in out and "Traceback" not in out, out[-2000:]


def test_https_against_a_plain_http_server_says_so(tmp_path):
    """base_url https:// where the server speaks plain HTTP: the probe names the likely cause and the fix."""
    import http.server
    import threading

    from gonogo.config.environments import Environment
    from gonogo.target.probe import probe

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        why = probe(Environment(name="t", base_url=f"https://127.0.0.1:{server.server_port}"), timeout=3)
    finally:
        server.shutdown()
    assert why and "the server answered plain HTTP — use http://" in why, why


def test_a_check_that_crashed_leaves_its_gate_inconclusive_with_the_reason(project):
    """An exception inside a check's collection (e.g. an IndexError on an empty failure message) is not a pass of
    what it recorded before: the gate it covers is inconclusive, naming the test and the exception."""
    project.smoke()
    project.suite_test("smoke", """
        import pytest

        @pytest.mark.gonogo_covers("smoke.checks")
        def test_crashes(gonogo_metrics):
            gonogo_metrics.check("smoke.checks", "first", True, requirement="SMOKE")
            "".splitlines()[0]
    """, name="test_crash.py")
    result = project.run("--gate-report=report.json")
    assert result.ret == 1
    gate = {g["id"]: g for g in project.report()["gates"]}["smoke.checks"]
    assert gate["status"] == "inconclusive", gate
    assert "test_crashes crashed in call: IndexError: list index out of range" in gate["message"], gate["message"]


# -- a run that decides nothing leaves nothing that reads as a pass (issue 14.5) --------------------------------

INTERRUPTED_SMOKE = """
    def test_smoke(gonogo_metrics):
        gonogo_metrics.record_latency("smoke.http_latency", 0.1, endpoint="GET /health")
        raise KeyboardInterrupt  # what Ctrl-C (or SIGTERM, which gonogo turns into it) does mid-check
"""


def test_an_interrupted_run_overwrites_every_report_with_undecided(project):
    project.smoke()
    outputs = ("--gate-report=report.json", "--junitxml=junit.xml", "--alluredir=allure")
    assert project.run(*outputs).ret == 0 and project.report()["verdict"] == "go"  # the last run was Go
    project.suite_test("smoke", INTERRUPTED_SMOKE)
    result = project.run(*outputs)
    assert result.ret == 2
    result.stdout.fnmatch_lines(["*gonogo: UNDECIDED — interrupted (Ctrl-C or SIGTERM) before the gates were decided*"])
    report = project.report()
    assert (report["verdict"], report["decided"], report["exit_code"], report["gates"]) == ("undecided", False, 2, [])
    assert "interrupted" in report["reasons"][0]
    suite = ET.parse(project.path / "junit.xml").getroot().find("testsuite")
    verdict = next(c for c in suite.iter("testcase") if c.get("name") == "verdict")
    assert verdict.find("error") is not None and "UNDECIDED" in verdict.find("error").get("message")
    assert int(suite.get("errors")) + int(suite.get("failures")) >= 1
    results = [json.loads(p.read_text()) for p in (project.path / "allure").glob("*-result.json")]
    latest = max(r["start"] for r in results if r["name"] == "test_smoke")
    assert [r["status"] for r in results if r["name"] == "test_smoke" and r["start"] == latest] != ["passed"]
    assert any(r["name"] == "gonogo verdict: UNDECIDED" and r["status"] == "broken" for r in results)
    assert "gonogo.verdict=undecided" in (project.path / "allure" / "environment.properties").read_text()


@pytest.mark.parametrize("sig, wait", [(signal.SIGINT, 1.5), (signal.SIGTERM, 1.5), (signal.SIGTERM, 0.0), (signal.SIGINT, 0.0)],
                         ids=["sigint-in-the-probe", "sigterm-in-the-probe", "sigterm-at-start", "sigint-at-start"])
def test_a_signal_before_the_verdict_never_leaves_the_last_go(project, sig, wait):
    """Issue 29: Ctrl-C while the reachability probe waits on a silent listener, or a signal in the first moments of
    a run, left the last run's Go report standing (pytest skips its session-finish hooks then) and printed a
    traceback with exit 130/143. The report says undecided from the start; the signal ends the run with exit 2."""
    project.smoke()
    assert project.run("--gate-report=report.json", "--junitxml=junit.xml").ret == 0 and project.report()["verdict"] == "go"
    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        environments = (project.path / "environments.yaml").read_text()
        project.write("environments.yaml", environments.replace(project.target_url, f"http://127.0.0.1:{silent.getsockname()[1]}"))
        proc = subprocess.Popen([sys.executable, "-m", "pytest", "--gate-report=report.json", "--junitxml=junit.xml"],
                                cwd=project.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 30
        while time.time() < deadline and proc.poll() is None:  # the start-up has replaced the last report
            if json.loads((project.path / "report.json").read_text())["verdict"] == "undecided":
                break
            time.sleep(0.05)
        time.sleep(wait)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, (proc.returncode, out[-2000:], err[-2000:])
    assert "Traceback" not in out + err and "before the run started" in out + err, (out + err)[-3000:]
    report = project.report()
    assert (report["verdict"], report["decided"], report["gates"]) == ("undecided", False, []), report
    cases = list(ET.parse(project.path / "junit.xml").getroot().iter("testcase"))  # the last Go's JUnit is gone too
    assert [(c.get("name"), c.find("error") is not None) for c in cases] == [("verdict", True)], cases


@pytest.mark.parametrize("where", ["directory", "unwritable"])
def test_a_gate_report_that_cannot_be_written_is_refused_before_the_run(project, where, tmp_path):
    project.smoke()
    target = tmp_path / "reports"
    target.mkdir()
    if where == "unwritable":
        target.chmod(0o500)
        if os.access(target, os.W_OK):  # root writes anywhere: a path under a file cannot be created by anyone
            (tmp_path / "file").write_text("")
            target = tmp_path / "file"
    path = target if where == "directory" else target / "report.json"
    result = project.run(f"--gate-report={path}")
    assert result.ret == 4, result.stdout.str()[-2000:]
    says = "is a directory; name the report file" if where == "directory" else "cannot be written"
    assert says in result.stderr.str() + result.stdout.str() and "Traceback" not in result.stderr.str()
    cli = subprocess.run([sys.executable, "-m", "gonogo.cli", "evaluate", "missing.json", "--gate-report", str(path)],
                         cwd=project.path, capture_output=True, text=True)
    assert cli.returncode == 4 and says in cli.stderr and "GO" not in cli.stdout, (cli.stdout, cli.stderr)


def test_bad_input_overwrites_the_last_report_with_undecided(project):
    project.smoke()
    assert project.run("--gate-report=report.json").ret == 0
    project.write("gates.yaml", "version: 1\ngates: [oops\n")
    result = project.run("--gate-report=report.json")
    assert result.ret == 4
    report = project.report()
    assert (report["verdict"], report["exit_code"]) == ("undecided", 4) and "bad input" in report["reasons"][0]


def test_a_signal_while_the_plugin_is_imported_is_held_until_the_outputs_are_marked():
    """Issue 39: a SIGTERM in the first ~2 s (the plugin's import on a loaded host) ended with exit -15 and the last
    Go's reports left. The entry point holds it; the plugin's handler gets it once it knows what to invalidate."""
    from gonogo.plugin import early

    got: list[int] = []
    previous = signal.getsignal(signal.SIGTERM)
    try:
        early.hold_signals()
        os.kill(os.getpid(), signal.SIGTERM)  # delivered to the held handler, not the default (death)
        assert got == []
        early.release(lambda signum, frame: got.append(signum))
        assert got == [signal.SIGTERM]
        os.kill(os.getpid(), signal.SIGTERM)  # from now on the plugin's handler itself
        assert got == [signal.SIGTERM, signal.SIGTERM]
    finally:
        signal.signal(signal.SIGTERM, previous)
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.mark.parametrize("flag", ["--help", "--collect-only", "--fixtures", "--markers"])
def test_a_run_that_decides_nothing_never_touches_the_last_reports(project, flag):
    """Issue 39: `pytest --help`, `--collect-only` and `--fixtures` overwrote the gate report with "undecided" and
    emptied the Allure results: the last real run's reports were gone."""
    project.smoke()
    outputs = ("--gate-report=report.json", "--junitxml=junit.xml", "--alluredir=allure", "--clean-alluredir")
    assert project.run(*outputs).ret == 0 and project.report()["verdict"] == "go"
    before = {p: p.read_bytes() for p in [project.path / "report.json", project.path / "junit.xml",
                                         *sorted((project.path / "allure").iterdir())]}
    assert len(before) > 3
    result = project.run(flag, *outputs)
    assert result.ret == 0, result.stdout.str()[-2000:]
    after = {p: p.read_bytes() for p in [project.path / "report.json", project.path / "junit.xml",
                                        *sorted((project.path / "allure").iterdir())]}
    assert after == before  # the last run's reports are left as they were
    if flag == "--fixtures":
        assert "gonogo" in result.stdout.str()  # the plugin's fixtures are still listed


@pytest.mark.parametrize("workers", ["-2", "100000"])
def test_load_workers_out_of_range_are_refused_before_anything_runs(project, workers):
    project.smoke()
    result = project.run(f"--load-workers={workers}")
    assert result.ret == 4 and "worker processes: give 0 (one Locust process) to 64" in result.stderr.str()


def _with_stdout_closed(project) -> tuple[int, str]:
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "--gate-report=report.json"], cwd=project.path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # `pytest ... | head -1`, the reader gone before the first line
    stderr = proc.stderr.read().decode()
    proc.wait(timeout=120)
    return proc.returncode, stderr[-2000:]


def test_a_reader_that_leaves_early_never_changes_the_gates_exit_code(project):
    """Issue 39: nothing after the decision (a closed pipe) changes the exit code, and the report is written.
    pytest alone ends at the first write to a closed pipe with exit 1: a Go read as No-Go, the report undecided."""
    project.smoke(latencies=(0.1, 0.1, 0.1))
    returncode, stderr = _with_stdout_closed(project)
    assert returncode == 0 and project.report()["verdict"] == "go", stderr
    project.smoke(latencies=(0.9, 0.9, 0.9))
    returncode, stderr = _with_stdout_closed(project)
    assert returncode == 1 and project.report()["verdict"] == "no-go", stderr


def test_a_waivers_file_with_a_date_that_does_not_exist_is_exit_4_with_its_line(project):
    """Issue 39: `expires: 2026-02-30` in waivers.yaml ended in a 46-line INTERNALERROR."""
    project.smoke()
    environments = (project.path / "environments.yaml").read_text()
    project.write("environments.yaml", environments.replace("  local:\n", "  local:\n    waivers_file: waivers.yaml\n", 1))
    project.write("waivers.yaml", "waivers:\n  - id: X\n    reason: a reason long enough\n    expires: 2026-02-30\n")
    result = project.run("--gate-report=report.json")
    assert result.ret == 4, result.stdout.str()[-2000:]
    out = result.stdout.str() + result.stderr.str()
    assert "line 4: '2026-02-30' cannot be read (day is out of range for month)" in out and "INTERNALERROR" not in out


def test_a_check_without_accounts_of_its_own_leaves_its_gate_inconclusive_never_passed_on_the_rest(project):
    """Issue 40: with two accounts per role the per-user rate-limit checks did not run ("needs 1 viewer account(s) of
    its own") and security.rate_limits PASSED on the two login checks alone."""
    project.write("gates.yaml", (project.path / "gates.yaml").read_text() + (
        "  - {id: security.rate_limits, requirement: S2, metric: security.checks, aggregation: failed, "
        "where: {requirement: S2}, threshold: '== 0'}\n"))
    project.suite_test("security", """
        import pytest

        @pytest.mark.gonogo_covers("security.checks", requirement="S2")
        @pytest.mark.gonogo_accounts("a per-user limit", "viewer")
        def test_per_user_limit(account, gonogo_metrics):
            account("a per-user limit")
            gonogo_metrics.check("security.checks", "per-user limit", True, requirement="S2")

        @pytest.mark.gonogo_covers("security.checks", requirement="S2")
        def test_login_limit(gonogo_metrics):
            gonogo_metrics.check("security.checks", "login limit", True, requirement="S2")
    """)
    result = project.run("--gate-report=report.json")
    assert result.ret == 1, result.stdout.str()[-3000:]
    gate = next(g for g in project.report()["gates"] if g["id"] == "security.rate_limits")
    assert gate["status"] == "inconclusive", gate
    assert "test_per_user_limit not covered: 'a per-user limit' needs 1 viewer account(s)" in gate["message"], gate


def test_the_ini_s_report_paths_are_the_projects_from_a_subdirectory_and_a_typed_one_stays_where_typed(project):
    """pytest finds its rootdir upward; the reports the ini's addopts name land there too, not in the directory
    pytest happened to run from (a `reports/` inside tests/ is nobody's)."""
    project.smoke()
    project.write("pytest.ini", "[pytest]\ngonogo_env = local\n"
                  "addopts = -p no:cacheprovider --gate-report=reports/gate-report.json --junitxml=reports/junit.xml\n")
    sub = project.path / "tests" / "smoke"
    project.monkeypatch.chdir(sub)
    assert project.run(".").ret == 0
    assert (project.path / "reports" / "gate-report.json").is_file() and (project.path / "reports" / "junit.xml").is_file()
    assert not (sub / "reports").exists()
    assert project.run(".", "--gate-report=mine.json").ret == 0
    assert (sub / "mine.json").is_file()  # typed here: here


def test_a_configuration_error_is_said_whole_in_every_output_and_no_last_verdict_stays(project):
    """CI shows the reports, not the raw log: the gate report, an errored JUnit case and a broken Allure verdict
    carry every problem of the file; the last run's Go in any of them is gone."""
    project.smoke()
    assert project.run("--gate-report=report.json", "--junitxml=junit.xml", "--alluredir=allure").ret == 0
    assert project.report()["verdict"] == "go"
    project.write("broken.yaml", """
        version: 1
        gates:
          - id: x
            requirement: K1
            metric: smoke.http_latency
            aggregation: p59
            threshold: "< 1 s"
          - id: y
            requirement: K1
            metric: smoke.http_latency
            aggregation: p95
            threshold: "< soon"
    """)
    result = project.run("--gates=broken.yaml", "--gate-report=report.json", "--junitxml=junit.xml",
                         "--alluredir=allure", "--clean-alluredir")
    assert result.ret == 4
    second = "gate 'y'"
    reason = project.report()["reasons"][0]
    assert project.report()["verdict"] == "undecided" and "aggregation 'p59' does not apply" in reason and second in reason
    cases = ET.parse(project.path / "junit.xml").getroot().iter("testcase")
    [case] = list(cases)  # the last run's passed cases are not this run's
    error = case.find("error")
    assert case.get("name") == "verdict" and error is not None and second in (error.text or ""), ET.tostring(case)
    results = [json.loads(p.read_text()) for p in (project.path / "allure").glob("*-result.json")]
    assert [(r["name"], r["status"]) for r in results] == [("gonogo verdict: UNDECIDED", "broken")], results
    assert second in results[0]["statusDetails"]["message"]


MAPPING_GATES = """\
version: 1
gates:
  - {id: fails, requirement: K1, metric: smoke.http_latency, aggregation: p95, threshold: "< 100 ms"}
  - {id: undecided, requirement: K1, metric: smoke.http_latency, aggregation: p99, threshold: "< 1 s", min_samples: 100}
  - {id: warns, requirement: K1, metric: smoke.http_latency, aggregation: p50, threshold: "< 1 ms", severity: warn}
  - {id: excused, requirement: K1, metric: smoke.http_latency, aggregation: max, threshold: "< 1 s", min_samples: 100,
     optional: true}
  - {id: passes, requirement: SMOKE, metric: smoke.checks, aggregation: failed, threshold: "== 0"}
  - {id: unrun, requirement: K1, metric: load.http_latency, aggregation: p95, threshold: "< 1 s"}
"""
# FAIL = failed, blocking INCONCLUSIVE = broken (could not decide), WARN = passed and said, excused and not run = skipped
MAPPING = {"fails": ("failure", "failed"), "undecided": ("error", "broken"), "warns": ("", "passed"),
           "excused": ("skipped", "skipped"), "passes": ("", "passed"), "unrun": ("skipped", "skipped")}
# the same six in the gate report (status, blocks) and on the console (the line's status words)
MAPPING_REPORT = {"fails": ("fail", True, "✗ FAIL"), "undecided": ("inconclusive", True, "✗ INCONCLUSIVE"),
                  "warns": ("warn", False, "! WARN"), "excused": ("inconclusive", False, "· INCONCLUSIVE"),
                  "passes": ("pass", False, "✓ PASS"), "unrun": ("not_run", False, "· NOT RUN")}
STATUS_WORDS = ("✓ PASS", "✗ FAIL", "! WARN", "✗ INCONCLUSIVE", "· INCONCLUSIVE", "· NOT RUN")


def _console_statuses(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        status = next((s for s in STATUS_WORDS if line.startswith(s + " ")), None)
        if status is not None and (gate := line[len(status):].split()[0]) in MAPPING:
            out[gate] = status
    return out


def _junit_outcomes(path: Path) -> dict[str, tuple[str, str]]:
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        tag = next((t for t in ("failure", "error", "skipped") if case.find(t) is not None), "")
        status = {p.get("name"): p.get("value") for p in case.iter("property")}.get("gonogo.status", "")
        out[case.get("name")] = (tag, status)
    return out


def _allure_results(directory: Path) -> dict[str, dict]:
    return {r["name"].split(" [")[0]: r for r in map(json.loads, (p.read_text() for p in directory.glob("*-result.json")))}


def _report_statuses(path: Path) -> dict[str, tuple[str, bool]]:
    return {g["id"]: (g["status"], g["blocks"]) for g in json.loads(path.read_text())["gates"]}


def test_one_mapping_of_a_gates_status_in_a_run_in_evaluate_and_in_a_watch(project, tmp_path):
    """One decided record with the six statuses, written by the pytest run (JUnit, Allure, gate report, console), by
    `gonogo evaluate` re-deciding its report into the same four outputs, and by the sinks a watch checkpoint writes
    with: each says every status alike."""
    from gonogo.config.gates import GateSet
    from gonogo.reporting import json_report
    from gonogo.run import sinks
    from gonogo.run.record import About, decided

    project.smoke(latencies=(0.3, 0.3, 0.3))
    project.write("gates.yaml", MAPPING_GATES)
    result = project.run("--gate-report=report.json", "--junitxml=junit.xml", "--alluredir=allure")
    run = _junit_outcomes(project.path / "junit.xml")
    assert {g: run[g][0] for g in MAPPING} == {g: m[0] for g, m in MAPPING.items()}, run
    assert run["warns"][1] == "warn" and run["passes"][1] == "pass"  # a WARN is said, not only passed
    allure = _allure_results(project.path / "allure")
    assert {g: allure[g]["status"] for g in MAPPING} == {g: m[1] for g, m in MAPPING.items()}
    assert {"name": "tag", "value": "WARN"} in allure["warns"]["labels"]
    assert "measured 300 ms, threshold < 100 ms" in allure["fails"]["description"]  # on the page, not in an attachment
    assert {g: _report_statuses(project.path / "report.json")[g] for g in MAPPING} == {
        g: m[:2] for g, m in MAPPING_REPORT.items()}
    assert _console_statuses(result.stdout.str()) == {g: m[2] for g, m in MAPPING_REPORT.items()}
    # `gonogo evaluate` re-deciding the report, into the same four outputs
    evaluated = subprocess.run(
        [sys.executable, "-m", "gonogo.cli", "evaluate", "report.json", "--gate-report=evaluated.json",
         "--junitxml=evaluated.xml", "--alluredir=evaluated-allure"], cwd=project.path, capture_output=True, text=True)
    assert evaluated.returncode == 1, evaluated.stderr
    assert _console_statuses(evaluated.stdout) == _console_statuses(result.stdout.str())
    assert {g: _junit_outcomes(project.path / "evaluated.xml")[g] for g in MAPPING} == {g: run[g] for g in MAPPING}
    assert {g: r["status"] for g, r in _allure_results(project.path / "evaluated-allure").items() if g in MAPPING} == {
        g: allure[g]["status"] for g in MAPPING}
    assert {g: _report_statuses(project.path / "evaluated.json")[g] for g in MAPPING} == {
        g: m[:2] for g, m in MAPPING_REPORT.items()}
    # the sinks a watch checkpoint writes with, on the record of the same figures
    data, store = json_report.load_store(project.path / "report.json")
    gates = GateSet.from_path(project.path / "gates.yaml").for_environment("local")
    record = decided(About("local", history="watch.1h", title="gonogo watch 1h"), gates, store, data["suites_run"])
    problems = sinks.write_all(record, [sinks.GateReport(tmp_path / "checkpoint.json"), sinks.JUnit(tmp_path / "watch.xml"),
                                        sinks.Allure(tmp_path / "watch-allure", parent="gonogo watch", suite="1h")])
    assert problems == []
    assert {g: _junit_outcomes(tmp_path / "watch.xml")[g] for g in MAPPING} == {g: run[g] for g in MAPPING}
    assert {g: r["status"] for g, r in _allure_results(tmp_path / "watch-allure").items() if g in MAPPING} == {
        g: allure[g]["status"] for g in MAPPING}
    assert {g: _report_statuses(tmp_path / "checkpoint.json")[g] for g in MAPPING} == {
        g: m[:2] for g, m in MAPPING_REPORT.items()}


def test_a_teardown_that_fails_after_the_last_suite_test_is_in_the_one_decision(project):
    """Session fixtures end before the first gate is decided (test data removed, clients closed): a clean-up that
    fails is a failed suite test in the verdict every output is written from, the verdict case of JUnit included."""
    project.smoke()
    project.write("tests/smoke/conftest.py", """
        import pytest

        @pytest.fixture(scope="session", autouse=True)
        def leaves_data_behind():
            yield
            raise RuntimeError("could not remove the run's test data")
    """)
    result = project.run("--gate-report=report.json", "--junitxml=junit.xml")
    assert result.ret == 1
    report = project.report()
    assert (report["verdict"], report["failed_tests"]) == ("no-go", 1)
    cases = {c.get("name"): c for c in ET.parse(project.path / "junit.xml").getroot().iter("testcase")}
    assert cases["verdict"].find("failure") is not None  # the items read the same decision as the report
    assert "1 suite test(s) failed" in cases["verdict"].find("failure").get("message")
