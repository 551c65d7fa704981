"""Preflight on the sandbox, and the worker refusing a component whose setup fails."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.profiles import FAST
from emulator.sandbox import Sandbox
from tests.support.ungated import ungated_config
from tests.support.waiting import wait_until
from worker.aws.clients import Clients
from worker.aws.preflight import run_checks
from worker.contract.config import load_config
from worker.contract.namespace import process_keys

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox(aws_endpoint: str, tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml") as box:
        yield box


def test_clean_sandbox_passes_every_check_it_can_verify(sandbox: Sandbox, clients: Clients) -> None:
    results = run_checks(load_config(str(sandbox.config_path), environ={}), clients)
    verdicts = {r.id: r.verdict for r in results}
    assert not [r for r in results if r.verdict == "fail"], [
        (r.id, r.verdict, r.finding) for r in results if r.verdict == "fail"]
    # ALB metrics exist only after their first datapoint: before any request, a warning.
    warned = {r.id: r.finding for r in results if r.verdict == "warn"}
    assert set(warned) <= {"metrics.exist"}, warned
    assert all("latency" in f or "errors_5xx" in f for f in warned.values())
    # What moto cannot answer is shown as such, never as a pass.
    assert verdicts["permissions.iam"] == "unverified"
    assert verdicts["cluster.exists"] == verdicts["service.launch-type"] == "pass"
    assert verdicts["loadpath.reachable"] == "pass"


def test_worker_refuses_steps_for_a_component_that_fails_preflight(
        clients: Clients, redis_db: Any, tmp_path: Path, aws_endpoint: str) -> None:
    import os

    from emulator.rollout import RolloutDriver
    from producer.api import Producer
    from tests.support.aws_setup import config_dict, provision
    from tests.support.workers import Worker
    from worker.contract.records import RecordStore

    setup = provision(clients, target_type="instance")  # Fargate needs `ip` target groups
    raw = config_dict(setup, ab_url="http://127.0.0.1:9/", metrics=[])
    raw.pop("cloudwatch")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    env = {"SERVO_CONFIG": str(path), "AWS_ENDPOINT_URL": aws_endpoint,
           "SERVO_REDIS_URL": os.environ["SERVO_REDIS_URL"]}
    with RolloutDriver(clients.elbv2, setup.cluster, setup.service):
        worker = Worker("w1", env, tmp_path)
        try:
            worker.wait_ready()
            producer = Producer(load_config(str(path)), RecordStore.from_url(env["SERVO_REDIS_URL"]))
            record = producer.submit("web", {"GOGC": 90}).wait(timeout=60)
            wait_until(lambda: "preflight.refused" in worker.log(), 10, "the worker to log preflight.refused")
        finally:
            worker.stop()
    assert (record["status"], record["reason"]) == ("rejected", "invalid-service")
    assert "preflight failed: lb.target-type" in record["message"]
    assert record["applied"] is None  # nothing was changed
    revisions = clients.ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]
    assert revisions == [setup.task_definition_arn]
    refused = [json.loads(line) for line in worker.log().splitlines()
               if line.startswith("{") and "preflight.refused" in line]
    assert refused and refused[0]["component"] == "web" and "lb.target-type" in refused[0]["why"]


def test_a_preflight_pass_is_shared_through_redis_so_a_new_process_does_not_check_again(
        sandbox: Sandbox, clients: Clients, redis_db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from worker.flow import gate, runtime

    monkeypatch.setenv("SERVO_CONFIG", str(sandbox.config_path))
    monkeypatch.setattr(runtime, "_current", None)  # this process's own runtime, for this config
    monkeypatch.setattr(gate, "_passed", {})
    assert gate.blocked("web") is None  # checked against the sandbox: passes
    [key] = redis_db.keys(process_keys().preflight("web", "*"))
    assert 0 < redis_db.ttl(key) <= gate.PREFLIGHT_TTL_S

    setup = sandbox.setup
    clients.ecs.delete_service(cluster=setup.cluster, service=setup.service, force=True)
    gate._passed.clear()  # a new pool child: nothing in memory, the pass is in Redis
    assert gate.blocked("web") is None  # trusted for its TTL, no checks run

    redis_db.delete(key)  # the pass expired: another new process checks again, sees the change
    gate._passed.clear()
    why = gate.blocked("web")
    assert why is not None and "service" in why
    assert redis_db.keys(process_keys().preflight("web", "*")) == []  # a failure is never shared


def _check(box: Sandbox) -> tuple[int, dict[str, Any]]:
    """`servo-fargate check --format json` against the sandbox, in this process."""
    import argparse
    import io

    from producer.check_cmd import cmd_check

    out = io.StringIO()
    code = cmd_check(argparse.Namespace(config=str(box.config_path), only="", format="json"), out=out)
    return code, {r["id"]: r for r in json.loads(out.getvalue())["checks"]}


def test_check_passes_on_a_sandbox_behind_a_transit_gateway_with_a_scoped_policy_and_no_errors(
        aws_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A private service routing out through a transit gateway, the worker held to the policy
    `iam-policy` prints (the sandbox's IAM gate), and ALB metrics for traffic without errors
    (no HTTPCode_Target_5XX_Count at all, as ALB publishes): nothing fails, nothing is denied."""
    import argparse
    import io

    from emulator.iam_gate import PolicyGate
    from producer.iam_cmd import cmd_iam_policy
    from worker.load.abrun import run_ab

    gate = PolicyGate({"Statement": []})
    options = {"route": "tgw", "assign_public_ip": False}
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml",
                 provision_options=options, gates=[gate]) as box:
        printed = io.StringIO()  # the admin prints the policy with their own rights (moto, ungated)
        admin = ungated_config(box.config_path, aws_endpoint, tmp_path / "admin.yaml")
        cmd_iam_policy(argparse.Namespace(config=admin, part="all", offline=False), out=printed)
        gate.load(json.loads(printed.getvalue()))
        config = load_config(str(box.config_path), environ={})
        run_ab(replace(config.ab, duration=2, warmup=0, concurrency=2))
        _wait_for_metric(box, "TargetResponseTime", timeout=3 * FAST.metrics_period)
        monkeypatch.setenv("AWS_ENDPOINT_URL", box.endpoint_url)
        code, checks = _check(box)
    assert code == 0, {i: r for i, r in checks.items() if r["verdict"] == "fail"}
    assert gate.denied == []
    assert checks["network.route-out"]["verdict"] == "pass"
    assert "a transit gateway (tgw-" in checks["network.route-out"]["finding"]
    assert checks["metrics.exist"]["verdict"] == "pass", checks["metrics.exist"]
    assert "errors_5xx not yet" in checks["metrics.exist"]["finding"]
    assert checks["service.deployment-strategy"]["verdict"] == "pass"
    assert checks["quota.fargate-vcpu"]["verdict"] == "pass"
    assert {i for i, r in checks.items() if r["verdict"] != "pass"} <= {
        "permissions.iam", "taskdef.pass-role", "loadpath.routes-to-lb"}  # moto cannot simulate IAM


def _wait_for_metric(box: Sandbox, name: str, timeout: float) -> None:
    cloudwatch = box.direct_client("cloudwatch")
    wait_until(lambda: cloudwatch.list_metrics(Namespace="AWS/ApplicationELB", MetricName=name)["Metrics"],
               timeout, f"the sandbox to publish {name}", every=0.5)


def test_check_fails_a_blue_green_sandbox_and_a_quota_below_the_largest_size_with_remedies(
        aws_endpoint: str, tmp_path: Path) -> None:
    from emulator.quotas import set_quota

    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml",
                 provision_options={"strategy": "BLUE_GREEN"}) as box:
        set_quota(2)  # the sandbox config allows 1 vCPU x 4 replicas
        code, checks = _check(box)
    assert code == 1
    strategy, quota = checks["service.deployment-strategy"], checks["quota.fargate-vcpu"]
    assert strategy["verdict"] == "fail" and "BLUE_GREEN" in strategy["finding"]
    assert "strategy=ROLLING" in strategy["remedy"]
    assert quota["verdict"] == "fail" and "quota of 2 vCPU" in quota["finding"]
    assert "L-3032A538" in quota["remedy"]
