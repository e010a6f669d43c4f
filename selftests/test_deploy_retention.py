"""D2 retention of the old colour: what is needed, how it is watched (on a fake clock), and the three ways to look
(a command, a preview URL over real HTTP, the ALB's old target group on moto)."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from test_deploy_actions import alb  # noqa: F401  (the moto ALB fixture)

from gonogo.config.settings.deploy import DeploySettings, OldColourCheck
from gonogo.core.store import MetricsStore
from gonogo.deploy import drill as drill_module
from gonogo.deploy.retention import Retention, checker, watch
from gonogo.deploy.triggers import retention_required_s


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_the_retention_needed_is_the_slowest_window_plus_the_automatic_rollback():
    assert retention_required_s() == 360.0  # 5 min (error rate, CPU) + 60 s
    assert retention_required_s(30) == 12.0


def test_a_colour_that_stays_up_is_watched_until_the_time_has_passed():
    clock, answers = FakeClock(), []

    def up():
        answers.append(clock.now)
        clock.now += 0.1  # a check takes a moment
        return True, "serving"

    kept = watch(up, since=clock.now, retention=Retention(12.0, None), clock=clock, sleep=clock.sleep)
    assert kept.kept and kept.down_after_s is None
    assert kept.watched_s >= 12.0 and 12 <= kept.checks <= 14  # about one check a second, the last after the deadline
    assert "served through 12" in kept.describe()


def test_a_colour_scaled_down_after_30_s_fails_a_6_minute_need():
    clock = FakeClock()
    since = clock.now
    kept = watch(lambda: (clock.now - since < 30, "3 backends" if clock.now - since < 30 else "api-blue-0 down"),
                 since=since, retention=Retention(360.0, None), clock=clock, sleep=clock.sleep)
    assert not kept.kept and 30 <= kept.down_after_s <= 31
    assert "down 30" in kept.describe() and "api-blue-0 down" in kept.describe() and "needed 360 s" in kept.describe()


def test_a_stated_keep_shorter_than_needed_fails_even_when_watched_up():
    kept = Retention(360.0, stated_s=30.0, watched_s=361.0, checks=361)
    assert not kept.kept and "old_kept_for states 30 s" in kept.describe()
    assert Retention(360.0, stated_s=900.0, watched_s=361.0, checks=361).kept


def test_a_command_gets_the_old_colour(tmp_path):
    script = tmp_path / "serving.py"
    script.write_text("import os, sys\nprint('looked at', os.environ['GONOGO_DEPLOY_TO'])\nsys.exit(0 if os.environ['GONOGO_DEPLOY_TO'] == 'blue' else 1)\n")
    assert checker(OldColourCheck(command=f"{sys.executable} {script}"), "blue", verify=True)() == (True, "looked at blue")
    assert checker(OldColourCheck(command=f"{sys.executable} {script}"), "green", verify=True)() == (False, "looked at green")
    assert checker(OldColourCheck(command="no-such-check"), "blue", verify=True)() == (None, "command not found: no-such-check")


def test_a_check_that_gives_no_answer_leaves_the_retention_unknown_never_down(tmp_path):
    """A command still running at its timeout (a busy host) says nothing of the old colour: the watch goes on, and the
    gate is inconclusive, where it was failed as 'down'."""
    slow = checker(OldColourCheck(command=f"{sys.executable} -c 'import time; time.sleep(5)'", timeout="0.5 s"), "blue",
                   verify=True)
    assert slow()[0] is None and "still running after 0.5 s" in slow()[1]
    clock, calls = FakeClock(), []

    def flaky():
        calls.append(clock.now)
        return (None, "'gonogo stack serving' still running after 10 s") if len(calls) == 3 else (True, "serving")

    kept = watch(flaky, since=clock.now, retention=Retention(12.0, None), clock=clock, sleep=clock.sleep)
    assert kept.down_after_s is None and kept.watched_s >= 12.0 and not kept.kept
    assert kept.unknown == f"1 of {kept.checks} checks of the old colour gave no answer ('gonogo stack serving' still running after 10 s)"
    store = _recorded(kept)
    assert store.select("deploy.old_colour_retention") is None
    assert "whether it served throughout is not known" in store.unmeasured_reasons("deploy.old_colour_retention")[0]


def test_a_preview_url_is_up_while_it_answers_2xx():
    status = {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(status["code"])
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/health"
    try:
        check = checker(OldColourCheck(url=url), "blue", verify=True)
        assert check() == (True, f"{url} answered 200")
        status["code"] = 503
        assert check() == (False, f"{url} answered 503")
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert check()[0] is False and "ConnectError" in check()[1]


def test_the_alb_old_target_group_is_up_while_a_target_is_healthy(alb):  # noqa: F811
    elbv2, spec, groups = alb
    check = checker(OldColourCheck(aws_alb=True), "blue", verify=True, alb=spec, elbv2=elbv2)
    assert check() == (True, "2 of 2 targets of the old target group healthy")
    targets = elbv2.describe_target_health(TargetGroupArn=groups["blue"])["TargetHealthDescriptions"]
    elbv2.deregister_targets(TargetGroupArn=groups["blue"], Targets=[{"Id": t["Target"]["Id"]} for t in targets])
    assert check() == (False, "0 of 0 targets of the old target group healthy")
    with pytest.raises(ValueError, match="state deploy.current"):
        checker(OldColourCheck(aws_alb=True), "", verify=True, alb=spec, elbv2=elbv2)
    with pytest.raises(ValueError, match="the switch is not an aws_alb action"):
        checker(OldColourCheck(aws_alb=True), "blue", verify=True)


def test_the_check_takes_exactly_one_way():
    with pytest.raises(ValueError, match="exactly one of command, url, aws_alb"):
        DeploySettings(old_colour={"command": "x", "url": "http://h/"})
    with pytest.raises(ValueError, match="found: none"):
        DeploySettings(old_colour={})


def _recorded(retention: Retention, new: str | None = "1.1.0") -> MetricsStore:
    store = MetricsStore()
    drill_module._record_retention(drill_module.Drill(old="1.0.0", new=new, retention=retention), store, new is not None)
    return store


def test_retention_is_recorded_checked_or_unmeasured_with_the_reason():
    passed = _recorded(Retention(12.0, None, watched_s=12.3, checks=13)).select("deploy.old_colour_retention")
    assert passed.aggregate("failed") == 0 and passed.samples == 1
    failed = _recorded(Retention(12.0, None, watched_s=2.1, checks=2, down_after_s=2.1, detail="blue is not serving"))
    assert failed.select("deploy.old_colour_retention").aggregate("failed") == 1
    unchecked = _recorded(Retention(12.0, None))
    assert unchecked.select("deploy.old_colour_retention") is None
    assert "states no deploy.old_colour check" in unchecked.unmeasured_reasons("deploy.old_colour_retention")[0]
    assert "never took effect" in _recorded(Retention(12.0, None), new=None).unmeasured_reasons("deploy.old_colour_retention")[0]
    stated_short = _recorded(Retention(360.0, 30.0))  # said short: failed without watching
    assert stated_short.select("deploy.old_colour_retention").aggregate("failed") == 1
