"""The sandbox's pure parts: profiles, the metric data it publishes, its config and exports."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime

from emulator.cloudwatch_feed import FeedTarget, alb_metric_data, ecs_metric_data, lb_dimension
from emulator.lb import LbStats
from emulator.profiles import AWS, FAST, profile_named
from emulator.provision import Setup
from emulator.sandbox import sandbox_config
from producer.sandbox_cmd import export_lines
from worker.contract.config import parse_config

ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web-alb/50dc6c495c0c9188"
WHEN = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TARGET = FeedTarget("web-cluster", "web", lb_dimension(ALB_ARN))


def test_the_circuit_breaker_threshold_follows_ecs_half_the_desired_count_at_least_three() -> None:
    assert [FAST.breaker_threshold(n) for n in (1, 2, 6, 7, 1000)] == [3, 3, 3, 4, 200]


def test_relaunches_after_failures_back_off_exponentially() -> None:
    assert [FAST.relaunch_delay(n) for n in (0, 1, 2, 3)] == [0.0, 1.0, 2.0, 4.0]
    assert AWS.relaunch_delay(50) == AWS.relaunch_backoff * 64  # capped


def test_profiles_are_known_by_name_with_realistic_aws_timings() -> None:
    assert profile_named("fast") is FAST
    aws = profile_named("aws")
    assert (aws.task_start_delay, aws.health_interval, aws.healthy_threshold, aws.deregistration_delay) == (
        40.0, 30.0, 5, 300.0)


def test_the_load_balancer_dimension_is_app_name_id_from_the_arn() -> None:
    assert lb_dimension(ALB_ARN) == "app/web-alb/50dc6c495c0c9188"


def test_ecs_metrics_aggregate_the_tasks_stats_per_period() -> None:
    stats = [{"cpu_utilization_percent": 20.0, "memory_utilization_percent": 40.0},
             {"cpu_utilization_percent": 60.0, "memory_utilization_percent": 40.0}]
    data = {d["MetricName"]: d for d in ecs_metric_data(stats, TARGET, WHEN, 1)}
    assert data["CPUUtilization"]["StatisticValues"] == {"SampleCount": 2.0, "Sum": 80.0, "Minimum": 20.0,
                                                         "Maximum": 60.0}
    assert data["CPUUtilization"]["Dimensions"] == [{"Name": "ClusterName", "Value": "web-cluster"},
                                                    {"Name": "ServiceName", "Value": "web"}]
    assert data["MemoryUtilization"]["Unit"] == "Percent" and data["MemoryUtilization"]["Timestamp"] == WHEN
    assert ecs_metric_data([], TARGET, WHEN, 1) == []  # no task, no datapoint (as ECS)


def test_alb_metrics_carry_counts_and_response_time_in_seconds() -> None:
    data = {d["MetricName"]: d for d in alb_metric_data(LbStats(100, 3, 2.5, 100, 0), TARGET, WHEN, 60)}
    assert data["RequestCount"]["Value"] == 100.0 and data["HTTPCode_Target_5XX_Count"]["Value"] == 3.0
    assert data["TargetResponseTime"]["StatisticValues"]["Sum"] == 2.5
    assert data["TargetResponseTime"]["StatisticValues"]["SampleCount"] == 100.0
    assert data["RequestCount"]["Dimensions"] == [
        {"Name": "LoadBalancer", "Value": "app/web-alb/50dc6c495c0c9188"}]


def test_alb_metrics_are_sparse_as_the_alb_publishes_them() -> None:
    """RequestCount/TargetResponseTime only for periods with requests, HTTPCode_* only when nonzero."""
    assert alb_metric_data(LbStats(0, 0, 0.0, 0, 0), TARGET, WHEN, 60) == []
    no_errors = {d["MetricName"] for d in alb_metric_data(LbStats(50, 0, 1.0, 50, 0), TARGET, WHEN, 60)}
    assert no_errors == {"RequestCount", "TargetResponseTime"}
    elb_only = {d["MetricName"] for d in alb_metric_data(LbStats(5, 0, 0.1, 3, 2), TARGET, WHEN, 60)}
    assert elb_only == {"RequestCount", "TargetResponseTime", "HTTPCode_ELB_5XX_Count"}


def test_the_generated_config_is_valid_and_queries_at_the_feeds_period() -> None:
    setup = Setup(name="web", region="us-east-1", cluster="web-cluster", cluster_arn="c", service="web",
                  service_arn="s", task_definition_arn="td", family="web", containers=("app",),
                  vpc_id="v", subnet_ids=("a",), security_group_id="g", route_table_id="r",
                  execution_role_arn=None, load_balancer_arn=ALB_ARN, load_balancer_dns="d",
                  target_group_arn="tg", listener_arn="l", cpu=256, memory=1024)
    config = parse_config(sandbox_config(setup, "http://127.0.0.1:8080/", FAST), environ={})
    assert config.ab.url == "http://127.0.0.1:8080/"
    assert config.cloudwatch is not None
    assert {q["MetricStat"]["Period"] for q in config.cloudwatch.metrics} == {FAST.metrics_period}
    assert config.ab.duration >= 2 * FAST.metrics_period  # one whole period lies inside a run
    assert config.component("web").cluster == "web-cluster"


def test_exports_are_quoted_for_the_shell() -> None:
    lines = export_lines({"SERVO_CONFIG": "/tmp/a b.yaml", "AWS_ENDPOINT_URL": "http://127.0.0.1:5000"})
    assert lines == ["export SERVO_CONFIG='/tmp/a b.yaml'", "export AWS_ENDPOINT_URL=http://127.0.0.1:5000"]
    assert shlex.split(lines[0].removeprefix("export "))[0] == "SERVO_CONFIG=/tmp/a b.yaml"
