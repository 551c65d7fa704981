"""worker/aws/permissions.py against the calls the code really makes, and the policy it prints."""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from emulator.profiles import FAST
from emulator.sandbox import Sandbox
from producer.iam_cmd import cmd_iam_policy
from tests.conftest import TEST_REDIS_URL
from tests.support import inline
from tests.support.aws_calls import recording
from worker.aws import cloudwatch, fargate, permissions
from worker.aws.clients import Clients
from worker.aws.permissions import PERMISSIONS, Scope, actions, policy, unlisted
from worker.aws.preflight import run_checks
from worker.contract.config import load_config
from worker.contract.records import RecordStore
from worker.flow.runtime import Runtime


@pytest.fixture
def sandbox(aws_endpoint: str, tmp_path: Path, redis_db: Any) -> Iterator[Sandbox]:
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml") as box:
        yield box


def _step(clients: Clients, box: Sandbox, settings: dict[str, object]) -> dict[str, Any]:
    """adjust + settle through the stages the worker's tasks run; the step record after."""
    config = load_config(str(box.config_path), environ={})
    rt = Runtime(store=RecordStore.from_url(TEST_REDIS_URL), config=config)
    rt.clients = clients  # type: ignore[misc]
    return inline.run(rt, config, box.name, dict(settings))


@pytest.mark.slow
def test_every_call_of_a_step_a_rollback_a_measurement_and_check_is_listed(sandbox: Sandbox) -> None:
    """Steps, a rollback, a CloudWatch read, describe, check and iam-policy on the sandbox: every
    call that leaves botocore is in PERMISSIONS, under the part that made it."""
    config = load_config(str(sandbox.config_path), environ={})
    with recording() as worker_calls:
        clients = Clients.from_env(max_attempts=1)
        _step(clients, sandbox, {"cpu": 0.5, "GOGC": 120})
        oom = _step(clients, sandbox, {"cpu": 0.25, "mem": 0.5, "GOGC": 200})  # the step rolls back
        assert oom["reason"] == "start-failed" and oom["rollback"]["ok"], oom
        assert config.cloudwatch is not None
        now = time.time()
        cloudwatch.read_metrics(clients.cloudwatch, config.cloudwatch.metrics,
                                *cloudwatch.query_window(now - 120, now))
    with recording() as check_calls:
        run_checks(config, Clients.from_env(max_attempts=1))
    with recording() as cli_calls:
        fargate.describe(Clients.from_env(max_attempts=1).ecs, config.component(sandbox.name))
        args = argparse.Namespace(config=str(sandbox.config_path), part="all", offline=False)
        cmd_iam_policy(args, out=io.StringIO())
    for part, calls in (("worker", worker_calls), ("preflight", check_calls), ("cli", cli_calls)):
        assert calls, f"nothing recorded for {part}"
        assert unlisted(calls) == [], f"{part} calls actions worker/aws/permissions.py does not list"
        listed = {p.action for p in actions(part)}
        assert sorted(set(calls) - listed - {"sts:GetCallerIdentity"}) == [], part
    # the step really registered, updated, listed stopped tasks and rolled back
    assert {"ecs:RegisterTaskDefinition", "ecs:UpdateService", "ecs:ListTasks", "ecs:DescribeTasks",
            "elasticloadbalancing:DescribeTargetHealth", "cloudwatch:GetMetricData"} <= set(worker_calls)


def test_the_recorder_names_calls_by_their_iam_action(aws_endpoint: str) -> None:
    with recording() as calls:
        clients = Clients.from_env(max_attempts=1)
        clients.elbv2.describe_target_groups()
        clients.ecs.list_account_settings()  # an action the code never calls
    assert calls == ["elasticloadbalancing:DescribeTargetGroups", "ecs:ListAccountSettings"]
    assert unlisted(calls) == ["ecs:ListAccountSettings"]


SCOPE = Scope(region="eu-west-1", account="123456789012", services=(("prod", "web"), ("prod", "api")),
              families=("web", "api"), roles=("arn:aws:iam::123456789012:role/exec",))


def _statements(part: str = "all") -> dict[str, dict[str, object]]:
    return {s["Sid"]: s for s in policy(SCOPE, part)["Statement"]}


def test_the_policy_scopes_services_clusters_tasks_and_tag_to_the_configured_arns() -> None:
    st = _statements()
    assert st["Services"]["Resource"] == ["arn:aws:ecs:eu-west-1:123456789012:service/prod/web",
                                          "arn:aws:ecs:eu-west-1:123456789012:service/prod/api"]
    assert st["Services"]["Action"] == ["ecs:DescribeServices", "ecs:UpdateService"]
    assert st["Clusters"]["Resource"] == "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"
    assert st["Tasks"]["Resource"] == "arn:aws:ecs:eu-west-1:123456789012:task/prod/*"
    assert st["TaskDefinitionTags"]["Resource"] == [
        "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:*",
        "arn:aws:ecs:eu-west-1:123456789012:task-definition/api:*"]


def test_pass_role_is_limited_to_the_task_roles_and_to_ecs_tasks() -> None:
    passed = _statements("worker")["RolesPassed"]
    assert passed["Action"] == ["iam:PassRole"]
    assert passed["Resource"] == "arn:aws:iam::123456789012:role/exec"
    assert passed["Condition"] == {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}
    assert "Roles" not in _statements("worker")  # iam:GetRole is the preflight's
    assert _statements("preflight")["Roles"]["Action"] == ["iam:GetRole"]
    assert not any("iam:PassRole" in s["Action"] for s in policy(replace(SCOPE, roles=()))["Statement"])


def test_each_part_gets_only_its_actions_and_every_action_appears_once() -> None:
    for part in ("worker", "preflight", "cli", "all"):
        named = [a for s in policy(SCOPE, part)["Statement"] for a in s["Action"]]
        expected = {p.action for p in actions(part) if p.resource != "none"}
        assert sorted(named) == sorted(expected), part
    assert "ecs:UpdateService" not in json.dumps(policy(SCOPE, "preflight"))
    assert "ec2:DescribeRouteTables" not in json.dumps(policy(SCOPE, "worker"))
    assert len({p.action for p in PERMISSIONS}) == len(PERMISSIONS)


def test_an_unknown_part_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown part 'optimizer'"):
        permissions.actions("optimizer")


def test_the_preflight_simulates_each_action_once_with_its_condition_keys() -> None:
    from worker.aws.preflight.access_checks import groups

    worker, preflight = groups("worker"), groups("preflight")
    assert worker[("role", (("iam:PassedToService", "ecs-tasks.amazonaws.com"),))] == ["iam:PassRole"]
    tagging = ("task-definition", (("ecs:CreateAction", "RegisterTaskDefinition"),))
    assert worker[tagging] == ["ecs:TagResource"]
    assert worker[("service", ())] == ["ecs:DescribeServices", "ecs:UpdateService"]
    simulated = [a for g in (worker, preflight) for names in g.values() for a in names]
    assert sorted(simulated) == sorted(p.action for p in PERMISSIONS
                                       if p.resource != "none" and p.parts & {"worker", "preflight"})


def test_arns_with_an_open_account_or_family_only_warn() -> None:
    from worker.aws.preflight.access_checks import is_open

    assert not is_open(SCOPE.arns("service")) and not is_open(SCOPE.arns("task"))
    assert is_open(Scope(services=(("c", "s"),)).arns("service"))  # account and region unknown
    assert is_open(replace(SCOPE, families=()).arns("task-definition"))
