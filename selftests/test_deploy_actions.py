"""The deploy actions: a command, a webhook (real HTTP), and an AWS ALB switch against moto's elbv2 (AWS cannot be
reached here: moto answers as the AWS API does, recorded in its own model of elbv2 and EC2)."""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gonogo.config.settings.deploy import AlbSwitch, DeployAction, DeploySettings
from gonogo.deploy.actions import ActionFailed, alb_switch, forward_weights, run


def test_a_command_gets_the_colour_and_its_failure_is_said(tmp_path):
    script = tmp_path / "switch.py"
    script.write_text("import os, sys\nprint('now', os.environ['GONOGO_DEPLOY_TO'])\nsys.exit(0 if os.environ['GONOGO_DEPLOY_TO'] != 'red' else 3)\n")
    done = run(DeployAction(command=f"{sys.executable} {script}"), "switch", "green")
    assert done.detail == "now green" and done.seconds >= 0
    with pytest.raises(ActionFailed, match="exited 3: now red"):
        run(DeployAction(command=f"{sys.executable} {script}"), "switch", "red")
    with pytest.raises(ActionFailed, match="still running after 0.5 s"):
        run(DeployAction(command=f"{sys.executable} -c 'import time; time.sleep(5)'", timeout="0.5 s"), "rollback", "blue")
    with pytest.raises(ActionFailed, match="command not found: no-such-switch"):
        run(DeployAction(command="no-such-switch --now"), "switch", "green")


@pytest.fixture
def webhook():
    seen, state = [], {"polls": 0, "status": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            seen.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self._answer(state["status"])

        def do_GET(self):
            state["polls"] += 1
            self._answer(200 if state["polls"] >= 3 else 409)

        def _answer(self, status):
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen, state
    httpd.shutdown()
    httpd.server_close()


def test_a_webhook_is_posted_and_polled_until_done(webhook, monkeypatch):
    import gonogo.deploy.actions as actions

    monkeypatch.setattr(actions, "POLL_EVERY_S", 0.05)
    url, seen, state = webhook
    done = run(DeployAction(webhook=f"{url}/switch", poll=f"{url}/status"), "switch", "green")
    assert seen == [{"action": "switch", "to": "green"}] and state["polls"] == 3 and "answered 200" in done.detail
    state["status"] = 500
    with pytest.raises(ActionFailed, match="webhook answered 500"):
        run(DeployAction(webhook=f"{url}/switch"), "rollback", "blue")


def test_the_deploy_section_refuses_an_action_with_two_ways():
    with pytest.raises(ValueError, match="exactly one of command, webhook, aws_alb"):
        DeploySettings(switch={"command": "x", "webhook": "http://h/"})


@pytest.fixture
def alb():
    moto = pytest.importorskip("moto")
    import boto3

    with moto.mock_aws():
        ec2 = boto3.client("ec2", region_name="eu-west-1")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")["Subnet"]["SubnetId"]
                   for i, z in ((1, "a"), (2, "b"))]
        elbv2 = boto3.client("elbv2", region_name="eu-west-1")
        lb = elbv2.create_load_balancer(Name="api", Subnets=subnets, Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
        groups = {colour: elbv2.create_target_group(Name=f"api-{colour}", Protocol="HTTP", Port=8000, VpcId=vpc,
                                                    TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
                  for colour in ("blue", "green")}
        image = ec2.describe_images()["Images"][0]["ImageId"]
        for colour, arn in groups.items():
            instances = ec2.run_instances(ImageId=image, MinCount=2, MaxCount=2, SubnetId=subnets[0])["Instances"]
            elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": i["InstanceId"]} for i in instances])
        listener = elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[
            {"Type": "forward", "TargetGroupArn": groups["blue"]}])["Listeners"][0]["ListenerArn"]
        yield elbv2, AlbSwitch(listener_arn=listener, blue_target_group=groups["blue"], green_target_group=groups["green"],
                               region="eu-west-1"), groups


def test_an_alb_switch_moves_the_weights_and_reads_them_back(alb):
    elbv2, spec, groups = alb
    assert "2 healthy targets" in alb_switch(spec, "green", timeout=5, elbv2=elbv2)
    actions = elbv2.describe_listeners(ListenerArns=[spec.listener_arn])["Listeners"][0]["DefaultActions"]
    assert forward_weights(actions) == {groups["green"]: 1, groups["blue"]: 0}
    done = run(DeployAction(aws_alb=spec, timeout="5 s"), "rollback", "blue", elbv2=elbv2)
    assert done.to == "blue" and forward_weights(
        elbv2.describe_listeners(ListenerArns=[spec.listener_arn])["Listeners"][0]["DefaultActions"]) == {groups["blue"]: 1, groups["green"]: 0}


def test_an_alb_switch_to_a_group_without_healthy_targets_fails(alb, monkeypatch):
    import gonogo.deploy.actions as actions

    monkeypatch.setattr(actions, "POLL_EVERY_S", 0.05)
    elbv2, spec, groups = alb
    targets = elbv2.describe_target_health(TargetGroupArn=groups["green"])["TargetHealthDescriptions"]
    elbv2.deregister_targets(TargetGroupArn=groups["green"], Targets=[{"Id": t["Target"]["Id"]} for t in targets])
    with pytest.raises(ActionFailed, match="the target group has no targets after 0.3 s"):
        alb_switch(spec, "green", timeout=0.3, elbv2=elbv2)
    with pytest.raises(ActionFailed, match="blue or green, not 'purple'"):
        alb_switch(spec, "purple", timeout=0.3, elbv2=elbv2)


def test_forward_weights_read_plain_and_weighted_actions():
    assert forward_weights([{"Type": "forward", "TargetGroupArn": "a"}]) == {"a": 1}
    assert forward_weights([{"Type": "redirect"}, {"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": "a", "Weight": 0}, {"TargetGroupArn": "b", "Weight": 5}]}}]) == {"a": 0, "b": 5}
