"""Two deployments on one Redis: two sandboxes (two AWS endpoints, as two accounts would be),
each with a component `web` and a worker in its own namespace. No step crosses over, and a
step recorded for another target is refused before anything changes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from producer.api import Producer, StepSpec
from tests.conftest import TEST_REDIS_URL
from tests.support.recovery_stack import LOAD
from tests.support.sandbox_stack import optimize_config
from tests.support.workers import ROOT, Worker
from worker.contract.config import load_config
from worker.contract.namespace import Keys
from worker.contract.records import RecordStore
from worker.flow.app import make_app

pytestmark = pytest.mark.slow

STEPS_EACH = 10
GOGCS = [g for g in range(50, 210, 10) if g != 100][:STEPS_EACH]  # 100 is the sandbox's own: no change


class OtherSandbox:
    """`servo-fargate sandbox` in its own process: its own moto, so its own AWS state."""

    def __init__(self, workdir: Path) -> None:
        self.config_path = workdir / "sandbox-b.yaml"
        self.proc = subprocess.Popen([sys.executable, "-m", "producer.cli", "sandbox", "--config-out",
                                      str(self.config_path)], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        self.env: dict[str, str] = {}
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # export lines, printed once the sandbox is ready
            name, _, value = line.removeprefix("export ").strip().partition("=")
            self.env[name] = value.strip("'")
            if name == "SERVO_CONFIG":
                break
        assert "AWS_ENDPOINT_URL" in self.env, "the sandbox did not start"

    def ecs(self) -> Any:
        return boto3.client("ecs", endpoint_url=self.env["AWS_ENDPOINT_URL"], region_name="us-east-1")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=30)


@pytest.fixture
def two_sandboxes(aws_endpoint: str, tmp_path: Path) -> Iterator[tuple[Any, OtherSandbox]]:
    from emulator.sandbox import Sandbox

    other = OtherSandbox(tmp_path)
    try:
        with Sandbox("fast", endpoint_url=aws_endpoint, config_out=tmp_path / "sandbox-a.yaml") as box:
            yield box, other
    finally:
        other.stop()


def producer_for(namespace: str, config: Path) -> Producer:
    keys = Keys(namespace)
    return Producer(load_config(str(config), environ={}), RecordStore.from_url(TEST_REDIS_URL, keys),
                    make_app(TEST_REDIS_URL, keys))


def revisions(ecs: Any) -> list[str]:
    return list(ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"])


def service(ecs: Any, cluster: str) -> dict[str, Any]:
    return dict(ecs.describe_services(cluster=cluster, services=["web"])["services"][0])


@pytest.mark.timeout(360)
def test_two_namespaces_on_one_redis_never_run_each_others_steps(
        two_sandboxes: tuple[Any, OtherSandbox], redis_db: Any, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    box_a, box_b = two_sandboxes
    for path in (box_a.config_path, box_b.config_path):
        optimize_config(path)
    env_a = {**box_a.env, "SERVO_REDIS_URL": TEST_REDIS_URL, "SERVO_NAMESPACE": "team-a"}
    env_b = {**box_b.env, "SERVO_REDIS_URL": TEST_REDIS_URL, "SERVO_NAMESPACE": "team-b"}
    workers = [Worker("a", env_a, tmp_path), Worker("b", env_b, tmp_path)]
    try:
        for worker in workers:
            worker.wait_ready()
        sweeps = {}
        for ns, env, config in (("team-a", env_a, box_a.config_path), ("team-b", env_b, box_b.config_path)):
            monkeypatch.setenv("AWS_ENDPOINT_URL", env["AWS_ENDPOINT_URL"])  # the producer's own target
            producer = producer_for(ns, config)
            sweeps[ns] = (producer, producer.submit_sweep(
                [StepSpec("web", {"GOGC": g}, LOAD) for g in GOGCS]))
        done = {ns: sweep.wait(timeout=240) for ns, (_, sweep) in sweeps.items()}

        # A producer that says "sandbox B" (its endpoint and config) but enqueues in team-a.
        ecs_a = boto3.client("ecs", endpoint_url=box_a.endpoint_url, region_name="us-east-1")
        ecs_b = box_b.ecs()
        cluster_a, cluster_b = (load_config(str(p), environ={}).component("web").cluster
                                for p in (box_a.config_path, box_b.config_path))
        before = (revisions(ecs_a), service(ecs_a, cluster_a)["taskDefinition"],
                  revisions(ecs_b), service(ecs_b, cluster_b)["taskDefinition"])
        monkeypatch.setenv("AWS_ENDPOINT_URL", env_b["AWS_ENDPOINT_URL"])
        misrouted = producer_for("team-a", box_b.config_path)
        wrong = misrouted.submit("web", {"GOGC": 200}, LOAD).wait(timeout=60)
        after = (revisions(ecs_a), service(ecs_a, cluster_a)["taskDefinition"],
                 revisions(ecs_b), service(ecs_b, cluster_b)["taskDefinition"])
        deployments_a = len(service(ecs_a, cluster_a)["deployments"])
    finally:
        for worker in workers:
            worker.stop()

    for ns, node in (("team-a", "a@test"), ("team-b", "b@test")):
        records = done[ns]
        assert [r["status"] for r in records] == ["succeeded"] * STEPS_EACH, [r["message"] for r in records]
        ran_by = {run["worker"] for r in records for run in r["ran_by"]}
        assert ran_by == {node}, (ns, ran_by)  # not one stage by the other namespace's worker
        assert all(r["namespace"] == ns for r in records)
        assert redis_db.zcard(Keys(ns).steps) == STEPS_EACH + (ns == "team-a")
    assert len(before[0]) == 1 + STEPS_EACH and len(before[2]) == 1 + STEPS_EACH  # each on its own service

    assert (wrong["status"], wrong["reason"]) == ("rejected", "wrong-target"), wrong
    assert box_b.env["AWS_ENDPOINT_URL"] in wrong["message"] and box_a.endpoint_url in wrong["message"]
    assert wrong["stages"] == {} and wrong["applied"] is None and wrong["previous"] is None
    assert after == before  # no RegisterTaskDefinition, no UpdateService reached either moto
    assert deployments_a == 1
