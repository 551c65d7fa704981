"""Preflight checks, each fail and warn verdict produced by its own broken setup on moto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.taskproc import free_port
from tests.support.aws_setup import Setup, config_dict, provision, write_config
from tests.support.http_servers import serve
from worker.aws.clients import Clients
from worker.aws.preflight import CHECK_IDS, CheckResult, critical_failures, run_checks
from worker.contract.config import load_config, parse_config

# What moto cannot answer: IAM policy simulation, and whether a local URL is the ALB.
UNVERIFIABLE_ON_MOTO = {"permissions.iam", "taskdef.pass-role", "loadpath.routes-to-lb"}


@pytest.fixture(scope="module")
def web_url() -> Iterator[str]:
    """A local HTTP server answering 200, standing in for the load balancer."""
    with serve() as server:
        yield server.url


def check_all(clients: Clients, tmp_path: Path, setup: Setup, *, only: list[str] | None = None,
              **config_options: Any) -> dict[str, CheckResult]:
    """Run the checks on `setup` with a config written for it; results by check id."""
    config_options.setdefault("ab_url", f"http://127.0.0.1:{free_port()}/")
    config = load_config(str(write_config(tmp_path, setup, **config_options)))
    return {r.id: r for r in run_checks(config, clients, only=only)}


def verdict(results: dict[str, CheckResult], check_id: str) -> str:
    return results[check_id].verdict


def test_a_clean_setup_passes_every_check_except_those_moto_cannot_verify(
        clients: Clients, tmp_path: Path, web_url: str) -> None:
    results = check_all(clients, tmp_path, provision(clients), ab_url=web_url)
    assert set(results) == set(CHECK_IDS)
    assert {i: r.verdict for i, r in results.items() if r.verdict != "pass"} == {
        i: "unverified" for i in UNVERIFIABLE_ON_MOTO}
    assert all(r.finding for r in results.values())


def test_a_missing_cluster_fails_and_says_aws_may_not_create_a_default_one(
        clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients), cluster="default", only=["cluster", "service"])
    assert verdict(results, "cluster.exists") == "fail"
    assert "default" in results["cluster.exists"].finding
    assert "does not always create a 'default' cluster" in results["cluster.exists"].remedy
    assert verdict(results, "service.exists") == "unverified"  # not checked: no cluster


def test_a_missing_service_fails(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, create_service=False), only=["service"])
    assert verdict(results, "service.exists") == "fail"
    assert "does not exist" in results["service.exists"].finding


def test_an_ec2_launch_type_service_fails(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, launch_type="EC2"), only=["service"])
    assert verdict(results, "service.launch-type") == "fail"
    assert "EC2" in results["service.launch-type"].finding


def test_a_fargate_spot_capacity_provider_passes(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients, launch_type=None, capacity_provider="FARGATE_SPOT")
    results = check_all(clients, tmp_path, setup, only=["service.launch-type"])
    assert verdict(results, "service.launch-type") == "pass"


def test_a_code_deploy_controller_fails(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, deployment_controller="CODE_DEPLOY"),
                        only=["service.deployment-controller"])
    assert verdict(results, "service.deployment-controller") == "fail"


def test_a_disabled_circuit_breaker_warns(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, circuit_breaker=False),
                        only=["service.circuit-breaker"])
    assert verdict(results, "service.circuit-breaker") == "warn"
    assert "rollback=true" in results["service.circuit-breaker"].remedy


def test_a_circuit_breaker_without_rollback_warns(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, circuit_breaker_rollback=False),
                        only=["service.circuit-breaker"])
    assert verdict(results, "service.circuit-breaker") == "warn"
    assert "without rollback" in results["service.circuit-breaker"].finding


def test_two_containers_with_environment_and_no_container_name_fail(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, containers=2), only=["taskdef.container"])
    assert verdict(results, "taskdef.container") == "fail"
    assert "app, sidecar1" in results["taskdef.container"].finding


def test_two_containers_pass_when_the_component_names_one(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, containers=2), container="app",
                        only=["taskdef.container"])
    assert verdict(results, "taskdef.container") == "pass"


def test_a_container_name_missing_from_the_task_definition_fails(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients), container="api", only=["taskdef.container"])
    assert verdict(results, "taskdef.container") == "fail"
    assert "app" in results["taskdef.container"].remedy


def test_an_invalid_fargate_size_fails(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, cpu=256, memory=4096), only=["taskdef.size"])
    assert verdict(results, "taskdef.size") == "fail"
    assert "does not pair with 0.25 vCPU" in results["taskdef.size"].finding


def test_a_size_outside_the_configured_ranges_warns(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, cpu=2048, memory=8192), only=["taskdef.size"])
    assert verdict(results, "taskdef.size") == "warn"
    assert "cpu: 2 is not one of the allowed values" in results["taskdef.size"].finding
    assert "mem: 8 is outside the range" in results["taskdef.size"].finding


def test_an_execution_role_that_does_not_exist_fails(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients, execution_role="arn:aws:iam::123456789012:role/gone")
    results = check_all(clients, tmp_path, setup, only=["taskdef.pass-role"])
    assert verdict(results, "taskdef.pass-role") == "fail"
    assert "role/gone" in results["taskdef.pass-role"].finding


def test_a_subnet_with_no_route_out_fails(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, route="none"), only=["network"])
    assert verdict(results, "network.route-out") == "fail"
    assert "cannot pull images" in results["network.route-out"].finding


def test_private_ip_in_subnets_routed_only_to_an_internet_gateway_fails(
        clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, assign_public_ip=False), only=["network"])
    assert verdict(results, "network.route-out") == "fail"
    assert "NAT gateway" in results["network.route-out"].finding


def test_private_ip_behind_a_nat_gateway_passes(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients, assign_public_ip=False, route="nat")
    assert verdict(check_all(clients, tmp_path, setup, only=["network"]), "network.route-out") == "pass"


def test_public_ip_in_subnets_routed_through_a_nat_warns(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients, route="nat")
    assert verdict(check_all(clients, tmp_path, setup, only=["network"]), "network.route-out") == "warn"


def test_a_service_without_a_load_balancer_fails(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, load_balancer=False), only=["lb"])
    assert verdict(results, "lb.target-group") == "fail"
    assert {verdict(results, i) for i in results if i != "lb.target-group"} == {"unverified"}


def test_an_instance_target_group_fails(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, target_type="instance"), only=["lb"])
    assert verdict(results, "lb.target-type") == "fail"
    assert "(instance)" in results["lb.target-type"].finding


def test_a_health_check_path_named_after_the_task_warns(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, health_check_path="/web"), only=["lb"])
    assert verdict(results, "lb.health-check-path") == "warn"
    assert "/web" in results["lb.health-check-path"].finding


def test_another_health_check_path_is_reported(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, health_check_path="/healthz"), only=["lb"])
    assert verdict(results, "lb.health-check-path") == "pass"
    assert "/healthz" in results["lb.health-check-path"].finding


def test_a_300_s_deregistration_delay_warns_with_the_seconds_it_adds(clients: Clients,
                                                                     tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, deregistration_delay=300), only=["lb"])
    assert verdict(results, "lb.deregistration-delay") == "warn"
    assert "up to 300 s" in results["lb.deregistration-delay"].finding


def test_default_health_check_timing_warns_with_the_seconds_it_adds(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients, health_check_interval=30, healthy_threshold=5)
    results = check_all(clients, tmp_path, setup, only=["lb"])
    assert verdict(results, "lb.health-check-timing") == "warn"
    assert "up to 150 s" in results["lb.health-check-timing"].finding


def _autoscale(clients: Clients, setup: Setup, *, policy: bool = True, suspended: bool = False) -> None:
    aas = clients.client("application-autoscaling")
    target = dict(ServiceNamespace="ecs", ResourceId=f"service/{setup.cluster}/{setup.service}",
                  ScalableDimension="ecs:service:DesiredCount")
    aas.register_scalable_target(**target, MinCapacity=1, MaxCapacity=4, SuspendedState={
        "DynamicScalingInSuspended": suspended, "DynamicScalingOutSuspended": suspended})
    if policy:
        aas.put_scaling_policy(**target, PolicyName="cpu50", PolicyType="TargetTrackingScaling",
                               TargetTrackingScalingPolicyConfiguration={"TargetValue": 50.0, (
                                   "PredefinedMetricSpecification"): {
                                   "PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})


def test_an_autoscaling_policy_fails_when_replicas_are_tuned(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients)
    _autoscale(clients, setup)
    results = check_all(clients, tmp_path, setup, only=["autoscaling"])
    assert verdict(results, "autoscaling.targets") == "fail"
    assert "cpu50" in results["autoscaling.targets"].finding
    assert "fight the replicas setting" in results["autoscaling.targets"].finding
    assert "--suspended-state" in results["autoscaling.targets"].remedy


def test_an_autoscaling_policy_warns_when_replicas_are_not_tuned(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients)
    _autoscale(clients, setup)
    raw = config_dict(setup, ab_url="http://127.0.0.1:9/")
    del raw["fargate"][setup.name]["settings"]["replicas"]
    results = {r.id: r for r in run_checks(parse_config(raw, environ={}), clients, only=["autoscaling"])}
    assert verdict(results, "autoscaling.targets") == "warn"
    assert "in the middle of a step" in results["autoscaling.targets"].finding


def test_a_suspended_or_policy_less_scalable_target_passes(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients)
    _autoscale(clients, setup, suspended=True)
    assert verdict(check_all(clients, tmp_path, setup, only=["autoscaling"]), "autoscaling.targets") == "pass"
    other = provision(clients, name="api")
    _autoscale(clients, other, policy=False)
    assert verdict(check_all(clients, tmp_path, other, only=["autoscaling"]), "autoscaling.targets") == "pass"


def test_permissions_are_unverified_not_passed_without_policy_simulation(
        clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients), only=["permissions"])
    assert verdict(results, "permissions.iam") == "unverified"
    assert "not verifiable" in results["permissions.iam"].finding


def test_an_unreachable_ab_url_fails(clients: Clients, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    results = check_all(clients, tmp_path, provision(clients), ab_url=url, only=["loadpath"])
    assert verdict(results, "loadpath.reachable") == "fail"
    assert url in results["loadpath.reachable"].finding


def test_a_missing_ab_url_warns(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients), ab_url=None, only=["loadpath"])
    assert verdict(results, "loadpath.reachable") == "warn"


def test_an_ab_url_naming_the_load_balancer_routes_to_it(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients)
    results = check_all(clients, tmp_path, setup, ab_url=f"http://{setup.load_balancer_dns}/",
                        only=["loadpath.routes-to-lb"])
    assert verdict(results, "loadpath.routes-to-lb") == "pass"


def test_a_metric_with_wrong_dimensions_warns_with_both_causes(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients)
    wrong = {"Id": "cpu", "MetricStat": {"Metric": {
        "Namespace": "AWS/ECS", "MetricName": "CPUUtilization",
        "Dimensions": [{"Name": "ClusterName", "Value": setup.cluster}]}, "Period": 60, "Stat": "Average"}}
    results = check_all(clients, tmp_path, setup, metrics=[wrong], only=["metrics"])
    assert verdict(results, "metrics.exist") == "warn"  # absent may also mean: no datapoint yet
    assert "CPUUtilization ClusterName=" in results["metrics.exist"].finding
    assert "dimensions must match exactly" in results["metrics.exist"].remedy


def test_an_unreachable_aws_endpoint_fails_each_check_without_crashing(
        clients: Clients, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    setup = provision(clients)
    config = load_config(str(write_config(tmp_path, setup)))
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    results = run_checks(config, Clients.from_env(max_attempts=1), only=["cluster", "config.credentials"])
    assert [(r.id, r.verdict) for r in results] == [("config.credentials", "fail"),
                                                    ("cluster.exists", "fail")]


def test_critical_failures_name_only_the_broken_component(clients: Clients, tmp_path: Path) -> None:
    good, bad = provision(clients, name="good"), provision(clients, name="bad", launch_type="EC2")
    raw = config_dict(good)
    raw["fargate"].update(config_dict(bad)["fargate"])
    config = parse_config(raw)
    blocked = critical_failures(config, clients)
    assert list(blocked) == ["bad"]
    assert [r.id for r in blocked["bad"]] == ["service.launch-type"]


@pytest.mark.parametrize("route", ["nat", "tgw", "pcx"])
def test_a_private_subnet_with_any_way_out_passes(clients: Clients, tmp_path: Path, route: str) -> None:
    setup = provision(clients, assign_public_ip=False, route=route)
    results = check_all(clients, tmp_path, setup, only=["network"])
    assert verdict(results, "network.route-out") == "pass", results["network.route-out"]
    assert f"{route}-" in results["network.route-out"].finding


def test_a_subnet_without_a_route_pulls_from_ecr_through_vpc_endpoints(clients: Clients,
                                                                       tmp_path: Path) -> None:
    ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1"
    setup = provision(clients, assign_public_ip=False, route="endpoints", image=ecr)
    results = check_all(clients, tmp_path, setup, only=["network"])
    assert verdict(results, "network.route-out") == "pass", results["network.route-out"]
    assert "com.amazonaws.us-east-1.ecr.dkr" in results["network.route-out"].finding


def test_vpc_endpoints_do_not_serve_an_image_outside_ecr(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients, assign_public_ip=False, route="endpoints")  # public.ecr.aws image
    results = check_all(clients, tmp_path, setup, only=["network"])
    assert verdict(results, "network.route-out") == "fail"
    assert "images outside ECR (public.ecr.aws/nginx/nginx:stable)" in results["network.route-out"].finding


def test_no_way_out_names_both_remedies(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, assign_public_ip=False, route="none"),
                        only=["network"])
    assert verdict(results, "network.route-out") == "fail"
    remedy = results["network.route-out"].remedy
    assert "NAT gateway" in remedy and "create the VPC endpoints com.amazonaws.us-east-1.ecr.api" in remedy


@pytest.mark.parametrize("strategy", ["BLUE_GREEN", "LINEAR", "CANARY"])
def test_a_deployment_strategy_other_than_rolling_fails_with_the_reason(
        clients: Clients, tmp_path: Path, strategy: str) -> None:
    results = check_all(clients, tmp_path, provision(clients, strategy=strategy), only=["service"])
    res = results["service.deployment-strategy"]
    assert res.verdict == "fail"
    assert strategy in res.finding and "the load test measures" in res.finding
    assert "strategy=ROLLING" in res.remedy


def test_a_rolling_strategy_passes(clients: Clients, tmp_path: Path) -> None:
    results = check_all(clients, tmp_path, provision(clients, strategy="ROLLING"), only=["service"])
    assert verdict(results, "service.deployment-strategy") == "pass"


def test_a_vcpu_quota_below_the_largest_size_times_replicas_fails(clients: Clients, tmp_path: Path) -> None:
    from emulator.quotas import set_quota

    set_quota(3)  # the config allows 1 vCPU x 4 replicas = 4 vCPU
    results = check_all(clients, tmp_path, provision(clients), only=["quota"])
    res = results["quota.fargate-vcpu"]
    assert res.verdict == "fail"
    assert "1 vCPU x 4 tasks = 4 vCPU" in res.finding and "quota of 3 vCPU" in res.finding
    assert "L-3032A538" in res.remedy


def test_a_vcpu_quota_that_holds_the_size_but_not_a_deployment_warns(clients: Clients,
                                                                     tmp_path: Path) -> None:
    from emulator.quotas import set_quota

    set_quota(6)  # 4 vCPU steady, 8 while old and new tasks both run
    results = check_all(clients, tmp_path, provision(clients), only=["quota"])
    assert verdict(results, "quota.fargate-vcpu") == "warn"


def test_16_vcpu_on_platform_1_3_fails(clients: Clients, tmp_path: Path) -> None:
    setup = provision(clients, platform_version="1.3.0")
    results = check_all(clients, tmp_path, setup, only=["taskdef.platform-version"], cpu_values=(0.25, 16))
    res = results["taskdef.platform-version"]
    assert res.verdict == "fail" and "1.3.0" in res.finding and "16 vCPU" in res.finding
    assert "--platform-version LATEST" in res.remedy
    fine = check_all(clients, tmp_path, provision(clients, name="api", platform_version="1.4.0"),
                     only=["taskdef.platform-version"], cpu_values=(0.25, 16))
    assert verdict(fine, "taskdef.platform-version") == "pass"


def test_a_throttled_check_is_unverified_and_refuses_no_step(clients: Clients, tmp_path: Path) -> None:
    """Throttling says nothing about the setup: a critical check that met it must not block
    the component."""
    from tests.support.aws_answers import AwsAnswers

    setup = provision(clients)
    config = load_config(str(write_config(tmp_path, setup)))
    AwsAnswers().attach(clients.ecs).fail("DescribeClusters", "ThrottlingException", "Rate exceeded")
    [result] = run_checks(config, clients, only=["cluster"])
    assert (result.id, result.verdict) == ("cluster.exists", "unverified")
    assert "DescribeClusters failed (ThrottlingException: Rate exceeded)" in result.finding
    assert critical_failures(config, clients) == {}
