"""Adjusting a Fargate service through moto's real ECS API (server mode, boto3 endpoint_url)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.aws_setup import Setup, config_dict, provision
from worker.aws import fargate
from worker.aws.clients import Clients
from worker.contract.config import Component, parse_config
from worker.contract.errors import AdjustmentRejected
from worker.contract.steps import validate_step


def component(setup: Setup, **options: Any) -> Component:
    return parse_config(config_dict(setup, **options), environ={}).components[setup.name]


def step(comp_setup: Setup, settings: dict[str, Any], **options: Any) -> tuple[Component, Any]:
    raw = config_dict(comp_setup, **options)
    config = parse_config(raw, environ={})
    return config.components[comp_setup.name], validate_step(config, comp_setup.name, settings)


def revisions(clients: Clients, family: str) -> list[str]:
    return list(clients.ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"])


def current_td(clients: Clients, setup: Setup) -> dict[str, Any]:
    service = clients.ecs.describe_services(cluster=setup.cluster, services=[setup.service])["services"][0]
    td: dict[str, Any] = clients.ecs.describe_task_definition(
        taskDefinition=service["taskDefinition"], include=["TAGS"])
    return {**td["taskDefinition"], "tags": td.get("tags", []), "desiredCount": service["desiredCount"]}


def test_describe_reports_current_values_in_config_units(clients: Clients) -> None:
    setup = provision(clients, cpu=512, memory=2048, desired_count=2, env={"GOGC": "120"})
    comp = component(setup)
    settings = fargate.describe(clients.ecs, comp)
    assert settings["cpu"] == {"type": "enum", "unit": "vCPU", "pinned": False,
                               "values": ["0.25", "0.5", "1"], "value": 0.5}
    assert settings["mem"]["value"] == 2 if "mem" in settings else settings["memory"]["value"] == 2
    assert settings["replicas"]["value"] == 2
    assert settings["GOGC"] == {"type": "range", "unit": "", "pinned": False, "min": 50, "max": 200,
                                "step": 10, "value": 120}


def test_describe_does_not_change_the_config(clients: Clients) -> None:
    setup = provision(clients)
    raw = config_dict(setup)
    raw["fargate"][setup.name]["environment"]["GOGC"]["default"] = 100
    comp = parse_config(raw, environ={}).components[setup.name]
    fargate.describe(clients.ecs, comp)
    fargate.describe(clients.ecs, comp)
    assert comp.environment["GOGC"].default == "100"


def test_adjust_with_no_change_registers_and_deploys_nothing(clients: Clients) -> None:
    setup = provision(clients, cpu=256, memory=512, env={"GOGC": "100"})
    comp, target = step(setup, {"cpu": 0.25, "mem": 0.5, "GOGC": 100, "replicas": 1})
    result = fargate.adjust(clients.ecs, comp, target)
    assert (result.registered, result.deployed, result.deployment_id) == (False, False, None)
    assert result.task_definition == setup.task_definition_arn
    assert revisions(clients, setup.family) == [setup.task_definition_arn]


def test_adjust_changes_cpu_memory_env_and_count_and_nothing_else(clients: Clients) -> None:
    setup = provision(clients, cpu=256, memory=512, env={"GOGC": "100", "OTHER": "keep"})
    before = current_td(clients, setup)
    comp, target = step(setup, {"cpu": 1, "mem": 2, "GOGC": 90, "replicas": 3})
    result = fargate.adjust(clients.ecs, comp, target)
    after = current_td(clients, setup)
    assert result.registered and result.deployed
    assert (after["cpu"], after["memory"], after["desiredCount"]) == ("1024", "2048", 3)
    env = {e["name"]: e["value"] for e in after["containerDefinitions"][0]["environment"]}
    assert env == {"GOGC": "90", "OTHER": "keep"}  # written as "90", never "90.0"
    for key in ("family", "networkMode", "requiresCompatibilities", "executionRoleArn"):
        assert after.get(key) == before.get(key)
    unchanged = [{k: v for k, v in c.items() if k != "environment"} for c in after["containerDefinitions"]]
    assert unchanged == [{k: v for k, v in c.items() if k != "environment"}
                         for c in before["containerDefinitions"]]
    assert result.previous == fargate.Snapshot(setup.task_definition_arn, 1)


def test_adjust_back_reuses_the_earlier_revision(clients: Clients) -> None:
    setup = provision(clients, cpu=256, memory=512)
    comp, bigger = step(setup, {"cpu": 0.5, "mem": 1})
    first = fargate.adjust(clients.ecs, comp, bigger)
    _, smaller = step(setup, {"cpu": 0.25, "mem": 0.5})
    back = fargate.adjust(clients.ecs, comp, smaller)
    assert (back.registered, back.reused, back.task_definition) == (False, True, setup.task_definition_arn)
    fargate._reuse_cache.clear()  # a fresh worker process finds it through the AWS API alone
    again = fargate.adjust(clients.ecs, comp, bigger)
    assert (again.registered, again.reused, again.task_definition) == (False, True, first.task_definition)
    assert len(revisions(clients, setup.family)) == 2


def test_an_adjust_retried_after_a_throttled_call_describes_no_revision_twice(clients: Clients) -> None:
    """Under throttling, a retried adjust must make progress: the revisions its scan
    already compared are not described again (a revision never changes)."""
    from tests.support.aws_answers import AwsAnswers
    from worker.contract.errors import AwsTransient

    setup = provision(clients, cpu=256, memory=512)
    for gogc in (60, 70, 80):
        fargate.adjust(clients.ecs, *step(setup, {"GOGC": gogc}))
    fargate.forget_revisions()  # a fresh worker process
    answers = AwsAnswers().attach(clients.ecs)
    answers.fail("RegisterTaskDefinition", "ThrottlingException", "Rate exceeded", times=1)
    comp, target = step(setup, {"GOGC": 90})
    with pytest.raises(AwsTransient, match="RegisterTaskDefinition: ThrottlingException"):
        fargate.adjust(clients.ecs, comp, target)
    first = answers.calls["DescribeTaskDefinition"]
    result = fargate.adjust(clients.ecs, comp, target)
    assert result.registered and answers.calls["DescribeTaskDefinition"] - first == 1  # the service's own
    assert first == 1 + 4  # the service's revision, then each of the 4 revisions once


def test_replicas_only_updates_the_count_without_a_revision(clients: Clients) -> None:
    setup = provision(clients)
    comp, target = step(setup, {"replicas": 3})
    result = fargate.adjust(clients.ecs, comp, target)
    assert (result.registered, result.deployed, result.desired_count) == (False, True, 3)
    assert current_td(clients, setup)["desiredCount"] == 3
    assert len(revisions(clients, setup.family)) == 1


def test_tags_are_carried_to_the_new_revision(clients: Clients) -> None:
    setup = provision(clients)
    td = fargate.registration(current_td(clients, setup))
    td.pop("desiredCount")
    td["tags"] = [{"key": "team", "value": "perf"}]
    arn = clients.ecs.register_task_definition(**td)["taskDefinition"]["taskDefinitionArn"]
    clients.ecs.update_service(cluster=setup.cluster, service=setup.service, taskDefinition=arn)
    comp, target = step(setup, {"cpu": 0.5, "mem": 1})
    fargate.adjust(clients.ecs, comp, target)
    assert current_td(clients, setup)["tags"] == [{"key": "team", "value": "perf"}]


def test_env_on_a_multi_container_task_goes_to_the_named_container(clients: Clients) -> None:
    setup = provision(clients, containers=2, env={"GOGC": "100"})
    comp, target = step(setup, {"GOGC": 150}, container="sidecar1")
    fargate.adjust(clients.ecs, comp, target)
    envs = {c["name"]: {e["name"]: e["value"] for e in c["environment"]}
            for c in current_td(clients, setup)["containerDefinitions"]}
    assert envs == {"app": {"GOGC": "100"}, "sidecar1": {"GOGC": "150"}}


def test_env_on_a_multi_container_task_without_a_name_is_rejected_before_any_change(clients: Clients) -> None:
    setup = provision(clients, containers=2)
    comp, target = step(setup, {"GOGC": 150})
    with pytest.raises(AdjustmentRejected, match=r"has 2 containers .*name the one") as err:
        fargate.adjust(clients.ecs, comp, target)
    assert err.value.reason == "invalid-settings"
    assert revisions(clients, setup.family) == [setup.task_definition_arn]


def test_invalid_pair_with_the_current_memory_is_rejected_before_any_change(clients: Clients) -> None:
    setup = provision(clients, cpu=256, memory=512)
    comp, target = step(setup, {"cpu": 1})  # 1 vCPU needs at least 2 GiB; the task has 0.5
    with pytest.raises(AdjustmentRejected, match=r"0\.5 GiB does not pair with 1 vCPU"):
        fargate.adjust(clients.ecs, comp, target)
    assert revisions(clients, setup.family) == [setup.task_definition_arn]


def test_container_memory_limit_above_task_memory_is_named(clients: Clients) -> None:
    setup = provision(clients, cpu=512, memory=2048)
    td = current_td(clients, setup)
    container = {**td["containerDefinitions"][0], "memory": 2048}
    arn = clients.ecs.register_task_definition(
        family=setup.family, networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="512",
        memory="2048", containerDefinitions=[container])["taskDefinition"]["taskDefinitionArn"]
    clients.ecs.update_service(cluster=setup.cluster, service=setup.service, taskDefinition=arn)
    comp, target = step(setup, {"mem": 1})
    with pytest.raises(AdjustmentRejected, match="container app has a hard memory limit of 2048 MiB"):
        fargate.adjust(clients.ecs, comp, target)


def test_service_not_on_fargate_is_rejected(clients: Clients) -> None:
    setup = provision(clients, launch_type="EC2")
    comp, target = step(setup, {"cpu": 0.5, "mem": 1})
    with pytest.raises(AdjustmentRejected, match=r"does not run on Fargate .*EC2") as err:
        fargate.adjust(clients.ecs, comp, target)
    assert err.value.reason == "invalid-service"


def test_missing_service_is_rejected(clients: Clients) -> None:
    setup = provision(clients, create_service=False)
    comp, target = step(setup, {"cpu": 0.5, "mem": 1})
    with pytest.raises(AdjustmentRejected) as err:
        fargate.adjust(clients.ecs, comp, target)
    assert err.value.reason == "invalid-service"


def test_registration_strips_every_read_only_key_real_aws_returns() -> None:
    described = {
        "taskDefinitionArn": "arn:...:task-definition/web:3", "revision": 3, "status": "ACTIVE",
        "requiresAttributes": [{"name": "ecs.capability.task-eni"}], "compatibilities": ["EC2", "FARGATE"],
        "registeredAt": "2026-01-01", "registeredBy": "arn:aws:iam::1:user/x", "deregisteredAt": None,
        "family": "web", "cpu": "256", "memory": "512", "containerDefinitions": [{"name": "app"}],
    }
    assert fargate.registration(described) == {"family": "web", "cpu": "256", "memory": "512",
                                               "containerDefinitions": [{"name": "app"}]}


def test_fingerprint_ignores_env_order_and_tags() -> None:
    a = {"family": "web", "containerDefinitions": [{"environment": [{"name": "A", "value": "1"},
                                                                   {"name": "B", "value": "2"}]}]}
    b = {"family": "web", "tags": [{"key": "k", "value": "v"}],
         "containerDefinitions": [{"environment": [{"name": "B", "value": "2"},
                                                   {"name": "A", "value": "1"}]}]}
    assert fargate.fingerprint(a) == fargate.fingerprint(b)


def test_describe_cli_prints_the_servo_describe_format(clients: Clients, aws_endpoint: str,
                                                       tmp_path: Any) -> None:
    import json
    import os
    import subprocess
    import sys

    from tests.support.aws_setup import write_config

    setup = provision(clients, cpu=512, memory=1024, env={"GOGC": "70"})
    path = write_config(tmp_path, setup)
    out = subprocess.run([sys.executable, "-m", "producer.cli", "describe", "--config", str(path),
                          "--format", "json"], env={**os.environ, "AWS_ENDPOINT_URL": aws_endpoint},
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    settings = json.loads(out.stdout)["application"]["components"]["web"]["settings"]
    assert (settings["cpu"]["value"], settings["GOGC"]["value"]) == (0.5, 70)
    table = subprocess.run([sys.executable, "-m", "producer.cli", "describe", "--config", str(path)],
                           env={**os.environ, "AWS_ENDPOINT_URL": aws_endpoint},
                           capture_output=True, text=True, timeout=60, check=False)
    assert table.returncode == 0, table.stderr
    # The GOGC row is there whatever AWS says (the config declares it): what it must show is
    # the value read from the task definition (70, not the config's default) and its range.
    [gogc] = [line.split() for line in table.stdout.splitlines() if line.split()[:1] == ["GOGC"]]
    assert gogc[1] == "70" and " ".join(gogc[-3:]) == "50..200 step 10", gogc


def test_adjust_reports_the_size_it_left_the_service_at(clients: Clients) -> None:
    setup = provision(clients, cpu=512, memory=2048, desired_count=2)
    comp, target = step(setup, {"GOGC": 60})  # cpu, memory and count kept as they are
    result = fargate.adjust(clients.ecs, comp, target)
    assert (result.cpu, result.memory, result.desired_count) == (512, 2048, 2)
    assert fargate.AdjustResult.from_dict(result.to_dict()) == result



def strategy(*providers: str) -> dict[str, Any]:
    return {"capacityProviderStrategy": [{"capacityProvider": p, "weight": 1} for p in providers]}


@pytest.mark.parametrize(("service", "fargate_only", "named"), [
    ({"launchType": "FARGATE"}, True, "FARGATE"),
    ({"launchType": "EC2"}, False, "EC2"),
    (strategy("FARGATE", "FARGATE_SPOT"), True, "FARGATE_SPOT"),
    # ECS places tasks on every provider of a strategy by weight: one EC2 provider means some
    # tasks run where neither Fargate's sizes nor its prices hold.
    (strategy("FARGATE", "ec2-asg"), False, "ec2-asg is not Fargate"),
    ({}, None, "neither a launch type nor a capacity provider strategy"),
])
def test_one_rule_says_whether_a_service_runs_on_fargate_alone(
        service: dict[str, Any], fargate_only: bool | None, named: str) -> None:
    on, what = fargate.on_fargate(service)
    assert on is fargate_only and named in what, what

