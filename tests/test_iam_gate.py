"""The sandbox's IAM gate: the printed least-privilege policy lets the worker and `check` do
everything on the sandbox, and without one action the step or check that needs it names it."""

from __future__ import annotations

import argparse
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest

from emulator.iam_gate import Need, PolicyGate, allowed, needs
from worker.aws.permissions import Scope, policy

SCOPE = Scope(region="us-east-1", account="123456789012", services=(("c1", "web"),), families=("web",),
              roles=("arn:aws:iam::123456789012:role/web-execution",))
POLICY = policy(SCOPE)
STATEMENTS = POLICY["Statement"]


def test_a_scoped_policy_allows_its_services_and_nothing_beside() -> None:
    [mine] = needs("ecs", "UpdateService", {"cluster": "c1", "service": "web"}, "us-east-1", "123456789012")
    [other] = needs("ecs", "UpdateService", {"cluster": "c1", "service": "api"}, "us-east-1", "123456789012")
    assert allowed(STATEMENTS, mine) and not allowed(STATEMENTS, other)


def test_pass_role_needs_the_ecs_tasks_context_and_the_named_role() -> None:
    reg = {"family": "web", "executionRoleArn": "arn:aws:iam::123456789012:role/web-execution",
           "tags": [{"key": "team", "value": "a"}]}
    found = list(needs("ecs", "RegisterTaskDefinition", reg, "us-east-1", "123456789012"))
    assert [n.action for n in found] == ["ecs:RegisterTaskDefinition", "ecs:TagResource", "iam:PassRole"]
    assert all(allowed(STATEMENTS, n) for n in found)
    passed = found[2]
    assert not allowed(STATEMENTS, Need(passed.action, passed.resource))  # no iam:PassedToService
    admin = "arn:aws:iam::123456789012:role/admin"
    assert not allowed(STATEMENTS, Need(passed.action, admin, passed.context))


def test_an_explicit_deny_wins() -> None:
    deny = {"Effect": "Deny", "Action": "ecs:Update*", "Resource": "*"}
    [need] = needs("ecs", "UpdateService", {"cluster": "c1", "service": "web"}, "us-east-1", "123456789012")
    assert not allowed([*STATEMENTS, deny], need)


def test_the_gate_answers_a_denial_naming_the_action_and_resource() -> None:
    gate = PolicyGate({"Version": "2012-10-17", "Statement": []})
    error = gate("ecs", "DescribeClusters", {"clusters": ["c1"]})
    assert error is not None and error.code == "AccessDeniedException"
    assert "ecs:DescribeClusters on resource: arn:aws:ecs:us-east-1:123456789012:cluster/c1" in error.message
    assert gate("sts", "GetCallerIdentity", {}) is None  # needs no permission on AWS either


def _without(document: dict[str, Any], action: str) -> dict[str, Any]:
    statements = [{**s, "Action": [a for a in s["Action"] if a != action]} for s in document["Statement"]]
    return {**document, "Statement": [s for s in statements if s["Action"]]}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_printed_policy_runs_check_and_steps_and_one_action_less_is_named(
        aws_endpoint: str, redis_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from emulator.profiles import FAST
    from emulator.sandbox import Sandbox
    from producer.api import Producer
    from producer.check_cmd import cmd_check
    from producer.iam_cmd import cmd_iam_policy
    from tests.support.ungated import ungated_config
    from tests.support.workers import Worker
    from worker.contract.config import load_config
    from worker.contract.records import RecordStore

    gate = PolicyGate({"Statement": []})  # nothing is allowed until the policy is loaded
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml", gates=[gate]) as box:
        out = io.StringIO()  # the admin prints the policy with their own rights (moto, ungated)
        admin = ungated_config(box.config_path, aws_endpoint, tmp_path / "admin.yaml")
        cmd_iam_policy(argparse.Namespace(config=admin, part="all", offline=False), out=out)
        printed = json.loads(out.getvalue())
        gate.load(printed)
        monkeypatch.setenv("AWS_ENDPOINT_URL", box.endpoint_url)  # everything below goes through IAM

        def check() -> tuple[int, dict[str, Any]]:
            out = io.StringIO()
            code = cmd_check(argparse.Namespace(config=str(box.config_path), only="", format="json"), out=out)
            return code, {r["id"]: r for r in json.loads(out.getvalue())["checks"]}

        code, checks = check()
        assert code == 0 and gate.denied == [], gate.denied
        assert not [c for c in checks.values() if "not authorized" in c["finding"]]

        env = {**box.env, "SERVO_REDIS_URL": os.environ["SERVO_REDIS_URL"]}
        worker = Worker("iam", env, tmp_path)
        try:
            worker.wait_ready()
            producer = Producer(load_config(str(box.config_path), environ={}),
                                RecordStore.from_url(env["SERVO_REDIS_URL"]))
            ok = producer.submit("web", {"cpu": 0.5, "GOGC": 120}).wait(timeout=90)
            oom = producer.submit("web", {"cpu": 0.25, "mem": 0.5, "GOGC": 200}).wait(timeout=90)
            assert gate.denied == [], gate.denied
            gate.load(_without(printed, "ecs:ListTaskDefinitions"))
            denied = producer.submit("web", {"cpu": 1, "mem": 2}).wait(timeout=150)
        finally:
            worker.stop()
        gate.load(_without(printed, "ecs:DescribeClusters"))
        _, without_clusters = check()
    assert ok["status"] == "succeeded", ok
    assert (oom["status"], oom["reason"]) == ("rejected", "start-failed") and oom["rollback"]["ok"], oom
    assert denied["status"] == "failed" and "ecs:ListTaskDefinitions" in denied["message"], denied
    assert denied["applied"] is None  # refused before anything changed
    cluster = without_clusters["cluster.exists"]
    assert cluster["verdict"] == "unverified" and "ecs:DescribeClusters" in cluster["finding"]
