"""The moto setup builder that preflight and adjust tests share."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.aws_setup import provision, write_config
from worker.contract.config import load_config


def test_provision_builds_a_fargate_service_behind_an_ip_target_group(clients: Any) -> None:
    setup = provision(clients)
    svc = clients.ecs.describe_services(cluster=setup.cluster, services=[setup.service])["services"][0]
    assert svc["launchType"] == "FARGATE"
    assert svc["loadBalancers"][0]["targetGroupArn"] == setup.target_group_arn
    assert svc["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    tg = clients.elbv2.describe_target_groups(TargetGroupArns=[setup.target_group_arn])["TargetGroups"][0]
    assert tg["TargetType"] == "ip"
    td = clients.ecs.describe_task_definition(taskDefinition=setup.task_definition_arn)["taskDefinition"]
    assert [c["name"] for c in td["containerDefinitions"]] == ["app"]
    assert td["containerDefinitions"][0]["environment"] == [{"name": "GOGC", "value": "100"}]


def test_provision_options_build_the_broken_variants(clients: Any) -> None:
    setup = provision(clients, name="bad", launch_type="EC2", containers=2, target_type="instance",
                      deregistration_delay=300, circuit_breaker=False, route="none")
    svc = clients.ecs.describe_services(cluster=setup.cluster, services=[setup.service])["services"][0]
    assert svc["launchType"] == "EC2"
    assert svc["deploymentConfiguration"]["deploymentCircuitBreaker"]["enable"] is False
    assert setup.containers == ("app", "sidecar1")
    attrs = clients.elbv2.describe_target_group_attributes(TargetGroupArn=setup.target_group_arn)
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "300"} in attrs["Attributes"]


def test_write_config_matches_the_setup(clients: Any, tmp_path: Path) -> None:
    setup = provision(clients)
    config = load_config(str(write_config(tmp_path, setup, ab_url="http://127.0.0.1:9/")))
    component = config.component("web")
    assert (component.service_name, component.cluster) == ("web", setup.cluster)
    assert "GOGC" in component.environment
