"""The sandbox on a bad day: real moto, real task processes, real HTTP. The public endpoint
is faulted, the sandbox's own controller never is; Fargate runs short of capacity and
reclaims Spot tasks without tripping the circuit breaker; CloudWatch data lands late."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.cloudwatch_feed import FeedTarget, MetricsFeed
from emulator.faults import Dice
from emulator.lb import LbStats
from emulator.profiles import FAST
from emulator.sandbox import Sandbox
from emulator.taskfaults import CAPACITY_REASON, SPOT_REASON, SPOT_STOP_CODE
from tests.support.waiting import wait_until

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent


def seed_hitting_first(rate: float, key: str) -> int:
    """A seed whose first draw of `key` hits: the test sees the fault at least once."""
    return next(s for s in range(1000) if Dice(s).hit(rate, key))


def public_client(box: Sandbox, name: str) -> Any:
    return boto3.client(name, endpoint_url=box.endpoint_url, region_name=box.region,
                        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def test_every_public_call_fails_while_the_sandbox_itself_provisions_settles_and_deploys(
        aws_endpoint: str, tmp_path: Path) -> None:
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml",
                 faults="throttle=0.005,errors=1,seed=4") as box:  # started and settled: never faulted
        assert box.env["AWS_ENDPOINT_URL"] == box.endpoint_url != box.direct_endpoint_url
        ecs = public_client(box, "ecs")
        for _ in range(5):
            with pytest.raises(ClientError):
                ecs.describe_services(cluster=box.setup.cluster, services=[box.name])
        assert box.service_state()["runningCount"] == 2
        box.direct_client("ecs").update_service(cluster=box.setup.cluster, service=box.name, desiredCount=3)
        wait_until(lambda: box.service_state()["runningCount"] == 3, 30,
                   "the controller to place the third task")
        box.wait_settled(30)
        calls = box.calls
    assert len(calls) == 5  # only the test's public calls: the controller's went to moto directly
    assert {c.outcome for c in calls} == {"throttled"} and {c.names for c in calls} == {("web",)}


def test_capacity_shortages_write_the_ecs_event_and_the_tasks_are_placed_later(
        aws_endpoint: str, tmp_path: Path) -> None:
    seed = seed_hitting_first(0.5, "capacity")
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml",
                 faults=f"capacity=0.5,seed={seed}") as box:  # start() waits until it settled anyway
        svc = box.direct_client("ecs").describe_services(cluster=box.setup.cluster, services=[box.name])[
            "services"][0]
    shortages = [e["message"] for e in svc["events"] if CAPACITY_REASON in e["message"]]
    assert shortages
    assert shortages[0] == f"(service web) was unable to place a task. Reason: {CAPACITY_REASON}"
    (primary,) = svc["deployments"]
    assert primary["rolloutState"] == "COMPLETED" and primary["runningCount"] == 2
    assert primary["failedTasks"] == 0  # not held against the deployment (no circuit breaker)


def test_spot_interruptions_stop_a_healthy_task_with_its_stop_code_and_it_is_replaced(
        aws_endpoint: str, tmp_path: Path) -> None:
    seed = seed_hitting_first(0.5, "spot")
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml",
                 faults=f"spot=0.5,seed={seed}") as box:
        ecs = box.direct_client("ecs")

        def interrupted() -> list[dict[str, Any]]:
            arns = ecs.list_tasks(cluster=box.setup.cluster, desiredStatus="STOPPED")["taskArns"]
            tasks = ecs.describe_tasks(cluster=box.setup.cluster, tasks=arns)["tasks"] if arns else []
            return [t for t in tasks if t.get("stopCode") == SPOT_STOP_CODE]

        task = wait_until(interrupted, 30, "a Spot interruption")[0]
        assert task["stoppedReason"] == SPOT_REASON
        wait_until(lambda: box.controller is not None and len(box.controller.healthy_targets()) == 2, 30,
                   "a replacement task to be healthy")
        (primary,) = box.service_state()["deployments"]
    assert primary["failedTasks"] == 0 and primary["rolloutState"] != "FAILED"


def test_metrics_land_late_by_the_delay_stamped_with_their_own_period(aws_endpoint: str) -> None:
    cloudwatch = boto3.client("cloudwatch", endpoint_url=aws_endpoint, region_name="us-east-1")
    target = FeedTarget("c", "web", "app/web-alb/0123")
    feed = MetricsFeed(cloudwatch, target, 1, tasks=list, lb_stats=lambda: LbStats(10, 0, 0.5, 10, 0),
                       delay=4.0).start()
    started = time.time()

    def request_counts() -> list[dict[str, Any]]:
        return list(cloudwatch.get_metric_statistics(
            Namespace="AWS/ApplicationELB", MetricName="RequestCount", Statistics=["Sum"], Period=1,
            Dimensions=[{"Name": "LoadBalancer", "Value": "app/web-alb/0123"}],
            StartTime=datetime.now(UTC) - timedelta(minutes=1), EndTime=datetime.now(UTC))["Datapoints"])

    try:
        wait_until(lambda: feed.published, 5, "the feed to collect its first period")
        early = request_counts()
        if time.time() - started < 4.0:  # the first datum is due 4 s after its period ended
            assert early == []
        first = wait_until(request_counts, 15, "the late datum")
    finally:
        feed.stop()
    landed = time.time()
    assert first[0]["Sum"] == 10.0
    assert landed - first[0]["Timestamp"].timestamp() >= 4.0  # stamped with its period, put 4 s late


def test_the_cli_refuses_a_bad_fault_spec_naming_the_kinds(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "producer.cli", "sandbox", "--faults", "throttle,chaos=1",
                           "--config-out", str(tmp_path / "c.yaml")],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, check=False)
    assert proc.returncode == 2
    assert "unknown fault kind 'chaos'" in proc.stderr and "metrics-delay" in proc.stderr
    assert not (tmp_path / "c.yaml").exists()
