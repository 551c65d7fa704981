"""The local Fargate sandbox end to end: the worker's own adjust and settle against moto plus
the controller, real demo-app processes, the local load balancer and a real `ab`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator.calllog import read_calls
from emulator.profiles import FAST
from emulator.sandbox import Sandbox
from tests.conftest import TEST_REDIS_URL
from tests.support import inline
from tests.support.waiting import wait_until
from worker.aws import cloudwatch
from worker.aws.clients import Clients
from worker.contract.config import Config, load_config
from worker.contract.records import RecordStore
from worker.flow.runtime import Runtime
from worker.load.abrun import run_ab

pytestmark = pytest.mark.slow


@pytest.fixture
def sandbox(aws_endpoint: str, tmp_path: Path, redis_db: Any) -> Iterator[Sandbox]:
    """A fast-profile sandbox on the test's clean in-process moto."""
    box = Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml")
    with box:
        yield box
    assert not box.controller.errors if box.controller else True


def config_of(box: Sandbox) -> Config:
    return load_config(str(box.config_path), environ={})


def step(clients: Clients, box: Sandbox, settings: dict[str, Any], **comp_overrides: Any) -> dict[str, Any]:
    """adjust + settle, through the stages the worker's tasks run; the step record after."""
    config = config_of(box)
    comp = replace(config.component(box.name), **comp_overrides)
    config = replace(config, components={**config.components, box.name: comp})
    rt = Runtime(store=RecordStore.from_url(TEST_REDIS_URL), config=config)
    rt.clients = clients  # type: ignore[misc]
    return inline.run(rt, config, box.name, settings)


def service(clients: Clients, box: Sandbox) -> dict[str, Any]:
    svc: dict[str, Any] = clients.ecs.describe_services(cluster=box.setup.cluster, services=[box.name])[
        "services"][0]
    return svc


def served(box: Sandbox) -> int:
    """Requests the service's healthy tasks have answered, from each demo app's /stats."""
    assert box.controller is not None
    total = 0
    for host, port in box.controller.healthy_targets():
        with urllib.request.urlopen(f"http://{host}:{port}/stats", timeout=5) as resp:
            total += int(json.load(resp)["requests"])
    return total


def gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


def children_of(pid: int) -> set[int]:
    """Live child processes of `pid`, from /proc (no psutil)."""
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            kids.add(int(stat.parent.name))
    return kids


def test_memory_below_the_working_set_fails_start_with_the_oom_reason_and_rolls_back(sandbox,
                                                                                     clients) -> None:
    before = service(clients, sandbox)["taskDefinition"]
    record = step(clients, sandbox, {"mem": 0.5, "GOGC": 200})  # working set 560 MiB > 512 MiB
    assert (record["status"], record["reason"]) == ("rejected", "start-failed"), record
    assert "Essential container in task exited" in record["message"]
    assert "exit code 137: OutOfMemoryError: Container killed due to memory usage" in record["message"]
    assert record["rollback"]["ok"], record["rollback"]
    assert record["runs"] == {"task_definition": before, "desired_count": 2}
    svc = service(clients, sandbox)
    assert svc["taskDefinition"] == before
    assert [(d["taskDefinition"], d["rolloutState"], d["runningCount"]) for d in svc["deployments"]] == [
        (before, "COMPLETED", 2)]


def test_the_circuit_breaker_fails_the_deployment_and_ecs_rolls_back(sandbox, clients) -> None:
    before = service(clients, sandbox)["taskDefinition"]
    record = step(clients, sandbox, {"mem": 0.5, "GOGC": 200}, max_task_failures=100)  # tolerated here
    assert (record["status"], record["reason"]) == ("rejected", "unstable"), record
    assert "circuit breaker" in record["message"]
    svc = service(clients, sandbox)
    assert svc["taskDefinition"] == before and len(svc["deployments"]) == 1
    messages = [e["message"] for e in svc["events"]]
    assert any("deployment failed: ECS deployment circuit breaker" in m for m in messages)
    stopped = clients.ecs.list_tasks(cluster=sandbox.setup.cluster, desiredStatus="STOPPED")["taskArns"]
    tasks = clients.ecs.describe_tasks(cluster=sandbox.setup.cluster, tasks=stopped)["tasks"]
    oom = [t for t in tasks if t["containers"][0].get("exitCode") == 137]
    assert len(oom) >= FAST.breaker_min_failures
    assert oom[0]["stoppedReason"] == "Essential container in task exited"


def test_a_rolling_update_under_load_sends_no_request_to_unready_or_draining_tasks(sandbox, clients) -> None:
    ab_cfg = replace(config_of(sandbox).ab, duration=6, warmup=0, concurrency=4)
    runs: list[Any] = []
    ab = threading.Thread(target=lambda: runs.append(run_ab(ab_cfg)))
    ab.start()
    wait_until(lambda: served(sandbox), 10, "ab's first requests to reach the service's tasks")
    old_pids = list(sandbox.pids)
    record = step(clients, sandbox, {"GOGC": 150})
    ab.join()
    assert record["status"] == "measuring", record
    assert all(gone(pid) for pid in old_pids)  # every old task drained and stopped, under load
    result = runs[0].result
    assert result.complete > 500
    assert result.errors == 0, result


def test_more_cpu_lowers_p95_latency_under_the_same_load(sandbox, clients) -> None:
    ab_cfg = replace(config_of(sandbox).ab, duration=3, warmup=0.5, concurrency=12)
    small = run_ab(ab_cfg).result
    assert step(clients, sandbox, {"cpu": 1, "mem": 2})["status"] == "measuring"
    large = run_ab(ab_cfg).result
    assert small.errors == large.errors == 0
    assert large.percentile(95) < small.percentile(95)


def test_cloudwatch_receives_ecs_and_alb_metrics_for_the_config_queries(aws_endpoint, tmp_path,
                                                                        clients) -> None:
    profile = replace(FAST, metrics_period=1)
    with Sandbox(profile, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml") as box:
        run = run_ab(replace(config_of(box).ab, duration=3, warmup=0, concurrency=2))
        queries = config_of(box).cloudwatch.metrics

        def all_counted() -> dict[str, Any] | None:
            metrics = {m.id: m for m in cloudwatch.read_metrics(
                clients.cloudwatch, queries, *cloudwatch.query_window(run.started - 1, run.finished + 1, 1))}
            counted = sum(v for _, v in metrics["requests"].series)
            return metrics if counted >= run.result.complete else None
        # the last whole period's datum is put when that period ends, after ab has finished
        metrics = wait_until(all_counted, 10, f"CloudWatch to count ab's {run.result.complete} requests")
    assert metrics["requests"].series
    # no 5xx: the ALB publishes no HTTPCode_Target_5XX_Count datum at all (sparse metrics)
    assert not any(v for _, v in metrics["errors_5xx"].series)
    assert 0 < metrics["latency"].mean < 1  # seconds
    assert 0 < metrics["cpu"].mean <= 100
    assert 0 < metrics["memory"].mean <= 100


def test_stopping_the_sandbox_leaves_none_of_its_processes_running(aws_endpoint, tmp_path, clients,
                                                                   redis_db) -> None:
    box = Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml").start()
    try:
        step(clients, box, {"replicas": 3})
        pids = box.pids
        assert len(pids) == 3 and not any(gone(p) for p in pids)
    finally:
        box.stop()
    assert all(gone(pid) for pid in pids)
    # only its own: the shared AWS endpoint it ran on still answers (the call raises if not)
    assert "clusterArns" in clients.ecs.list_clusters()


def test_the_cli_verb_prints_exports_serves_and_leaves_no_process_after_sigint(tmp_path) -> None:
    config = tmp_path / "sandbox.yaml"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
    calls = tmp_path / "calls.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "producer.cli", "sandbox", "--config-out", str(config),
                             "--faults", "throttle,seed=5", "--call-log", str(calls)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=Path(__file__).resolve().parent.parent)
    try:
        exports: dict[str, str] = {}
        assert proc.stdout is not None
        while "SERVO_CONFIG" not in exports:
            line = proc.stdout.readline()
            assert line, f"the sandbox exited early: {proc.stderr.read() if proc.stderr else ''}"
            name, _, value = line.strip().removeprefix("export ").partition("=")
            exports[name] = value
        assert {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                "AWS_DEFAULT_REGION"} <= set(exports)
        assert Path(exports["SERVO_CONFIG"]) == config
        lb_url = load_config(str(config), environ={}).ab.url
        assert lb_url and urllib.request.urlopen(lb_url, timeout=5).status == 200
        tasks = children_of(proc.pid)
        assert len(tasks) >= 2  # the service's two task processes
        ecs = boto3.client("ecs", endpoint_url=exports["AWS_ENDPOINT_URL"], region_name="us-east-1")
        assert ecs.list_clusters()["clusterArns"]
        assert [c.action for c in read_calls(calls)] == ["ListClusters"]  # the endpoint logs what it answered
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
    assert code == 0
    assert all(gone(pid) for pid in tasks)
