"""The pipeline end to end: real Redis, real Celery workers, moto with the rollout driver,
real ab against a local HTTP server."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.rollout import Plan, RolloutDriver
from producer.api import Producer
from tests.support.aws_setup import config_dict, provision
from tests.support.http_servers import Server, serve
from tests.support.waiting import wait_until
from tests.support.workers import Worker
from worker.aws.clients import Clients
from worker.contract.config import load_config
from worker.contract.namespace import process_keys
from worker.contract.records import RecordStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def target() -> Iterator[Server]:
    with serve() as server:
        yield server


@pytest.fixture
def stack(clients: Clients, redis_db: Any, target: Server, tmp_path: Path, aws_endpoint: str):
    """A provisioned service, its config, a rollout driver and a producer (no worker yet)."""
    setup = provision(clients, cpu=256, memory=512, desired_count=1)
    raw = config_dict(setup, ab_url=target.url, metrics=[])
    raw.pop("cloudwatch", None)
    raw["ab"].update(duration=1, warmup=0, concurrency=4)
    raw["fargate"][setup.name].update(timeout_service_desired_count=20, rollback_timeout=20)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    env = {"SERVO_CONFIG": str(path), "AWS_ENDPOINT_URL": aws_endpoint,
           "SERVO_REDIS_URL": os.environ["SERVO_REDIS_URL"]}
    store = RecordStore.from_url(os.environ["SERVO_REDIS_URL"])
    producer = Producer(load_config(str(path)), store)
    plans: dict[str, Plan] = {}
    driver = RolloutDriver(clients.elbv2, setup.cluster, setup.service,
                           plan=lambda td, n: plans.get(td.rsplit(":", 1)[-1], Plan(start_delay=0.3)))
    workers: list[Worker] = []

    class Stack:
        def __init__(self) -> None:
            self.setup, self.env, self.producer, self.store, self.plans = setup, env, producer, store, plans
            self.driver, self.path = driver, path

        def worker(self, name: str = "w1", **options: Any) -> Worker:
            w = Worker(name, env, tmp_path, **options)
            workers.append(w)
            w.wait_ready()
            return w

    with driver:
        yield Stack()
        for w in workers:
            w.stop()
    assert not driver.errors, driver.errors


def test_one_step_end_to_end(stack: Any, clients: Clients) -> None:
    stack.worker()
    handle = stack.producer.submit("web", {"cpu": 0.5, "mem": 1, "GOGC": 90})
    record = handle.wait(timeout=60)
    assert record["status"] == "succeeded", record
    assert record["applied"]["registered"] is True
    assert set(record["stages"]) == {"adjust", "settle", "measure"}
    metrics = record["measurement"]["metrics"]
    assert metrics["requests throughput"]["value"] > 100
    assert metrics["number of errors"]["value"] == 0
    svc = clients.ecs.describe_services(cluster=stack.setup.cluster, services=["web"])["services"][0]
    assert svc["taskDefinition"] == record["applied"]["task_definition"]


def stage_window(record: dict[str, Any]) -> tuple[float, float]:
    stages = record["stages"]
    return stages["adjust"]["start"], stages["measure"]["end"]


def test_three_step_sweep_runs_in_order(stack: Any) -> None:
    from producer.api import StepSpec

    stack.worker()
    specs = [StepSpec("web", {"GOGC": g}) for g in (60, 70, 80)]
    sweep = stack.producer.submit_sweep(specs)
    records = sweep.wait(timeout=90)
    assert [r["status"] for r in records] == ["succeeded"] * 3
    assert [r["settings"]["GOGC"] for r in stack.store.sweep_steps(sweep.id)] == [60, 70, 80]
    windows = [stage_window(r) for r in records]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(windows))


def test_invalid_step_enqueues_nothing(stack: Any, redis_db: Any) -> None:
    from worker.contract.errors import ConfigError

    queues = process_keys().queues
    before = {q: redis_db.llen(q) for q in queues}
    with pytest.raises(ConfigError, match=r"LD_PRELOAD: is not declared"):
        stack.producer.submit("web", {"cpu": 0.5, "LD_PRELOAD": "/tmp/evil.so"})
    from producer.api import StepSpec
    with pytest.raises(ConfigError, match=r"steps\[1\]\.web\.settings\.cpu: 0\.75"):
        stack.producer.submit_sweep([StepSpec("web", {"GOGC": 60}), StepSpec("web", {"cpu": 0.75})])
    assert {q: redis_db.llen(q) for q in queues} == before
    assert redis_db.zcard(process_keys().steps) == 0


def test_two_producers_on_one_service_are_serialized(stack: Any) -> None:
    stack.worker(concurrency=4)
    other = Producer(load_config(str(stack.path)), RecordStore.from_url(os.environ["SERVO_REDIS_URL"]))
    a = stack.producer.submit("web", {"GOGC": 110})
    b = other.submit("web", {"GOGC": 120})
    ra, rb = a.wait(timeout=60), b.wait(timeout=60)
    assert (ra["status"], rb["status"]) == ("succeeded", "succeeded")
    (a0, a1), (b0, b1) = stage_window(ra), stage_window(rb)
    assert a1 <= b0 or b1 <= a0, "two steps on one service interleaved"


def test_cancel_during_the_poll_rolls_back(stack: Any, clients: Clients) -> None:
    stack.worker()
    stuck = Plan(outcome="stuck")
    stack.driver.plan_for = lambda td, n: stuck if td != stack.setup.task_definition_arn else Plan()
    handle = stack.producer.submit("web", {"GOGC": 130})
    wait_for_status(stack, handle.id, "settling")
    handle.cancel()
    record = handle.wait(timeout=30)
    assert (record["status"], record["reason"]) == ("cancelled", "cancelled")
    assert record["rollback"]["ok"] is True
    svc = clients.ecs.describe_services(cluster=stack.setup.cluster, services=["web"])["services"][0]
    assert svc["taskDefinition"] == stack.setup.task_definition_arn


def test_cancel_during_the_benchmark_keeps_the_partial_result(stack: Any) -> None:
    stack.worker()
    handle = stack.producer.submit("web", {"GOGC": 140}, control={"duration": 30})
    wait_for_status(stack, handle.id, "measuring", progress_stage="measuring", min_percent=5)
    handle.cancel()
    record = handle.wait(timeout=20)
    assert record["status"] == "cancelled"
    assert record["measurement"]["annotations"]["cancelled"] is True
    assert record["measurement"]["metrics"]["complete requests"]["value"] > 0
    assert record["stages"]["measure"]["end"] - record["stages"]["measure"]["start"] < 20


def test_rejected_step_rolls_back_and_the_sweep_goes_on(stack: Any) -> None:
    from producer.api import StepSpec

    stack.worker()
    stack.driver.plan_for = lambda td, n: (Plan(outcome="crash") if td.endswith(":2")
                                           else Plan(start_delay=0.2))
    sweep = stack.producer.submit_sweep([StepSpec("web", {"GOGC": 150}), StepSpec("web", {"GOGC": 160})])
    first, second = sweep.wait(timeout=90)
    assert (first["status"], first["reason"]) == ("rejected", "start-failed")
    assert "OutOfMemoryError" in first["message"]
    assert first["rollback"]["ok"] is True
    assert second["status"] == "succeeded", (second["reason"], second.get("message"))


def test_worker_killed_mid_poll_finishes_the_step_once(stack: Any, clients: Clients) -> None:
    env_fast_redelivery = {"SERVO_VISIBILITY_TIMEOUT": "3", "SERVO_RESTORE_INTERVAL": "1"}
    stack.env.update(env_fast_redelivery)
    stack.driver.plan_for = lambda td, n: Plan(start_delay=4)
    first = stack.worker("w1")
    handle = stack.producer.submit("web", {"GOGC": 170})
    wait_for_status(stack, handle.id, "settling")
    wait_until(lambda: "servo.poll_stability" in first.log(), 10, "w1 to take the step's poll")
    first.kill()
    stack.worker("w2")
    record = handle.wait(timeout=60)
    assert record["status"] == "succeeded", record
    revisions = clients.ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]
    assert len(revisions) == 2  # the original and exactly one for this step
    assert len(stack.driver.history) == 1  # exactly one deployment


def test_a_sleeping_poll_is_woken_when_its_rollout_moves_and_its_sleeping_copy_is_dropped(
        stack: Any, clients: Clients) -> None:
    """With the idle polls' rate set so low that even one settling service sleeps 10 s, the
    watch loop looks for it and wakes it on each change; the sleeping message, sent early as a
    twin, is dropped as a stale copy when its time comes, and the chain goes on once."""
    stack.env["SERVO_IDLE_POLLS"] = "0.05"
    stack.driver.plan_for = lambda td, n: Plan(start_delay=1.0)
    w = stack.worker()
    handle = stack.producer.submit("web", {"GOGC": 70})
    record = handle.wait(timeout=60)
    assert record["status"] == "succeeded", record
    log = w.log()
    assert f'"step_id": "{handle.id}"' in log and '"event": "watch.woke"' in log
    wait_until(lambda: '"event": "stage.stale-copy"' in w.log(), 20, "the sleeping copy to be dropped")
    assert w.log().count(f"benchmark[{handle.id}.benchmark] received") == 1  # the chain went on once
    assert len(stack.driver.history) == 1


@pytest.mark.parametrize("how", ["producer", "flower"])
def test_a_cancelled_step_whose_poll_sleeps_is_woken_and_rolled_back(stack: Any, clients: Clients,
                                                                      how: str) -> None:
    from celery.contrib.abortable import AbortableAsyncResult

    from worker.flow.app import app

    stack.env["SERVO_IDLE_POLLS"] = "0.05"
    stuck = Plan(outcome="stuck")
    stack.driver.plan_for = lambda td, n: stuck if td != stack.setup.task_definition_arn else Plan()
    w = stack.worker()
    handle = stack.producer.submit("web", {"GOGC": 150})
    # Asleep, and its run over: Celery logs a retry after storing its state (RETRY would
    # overwrite an ABORTED stored while the run was ending: Celery's race, not the sleep's).
    wait_until(lambda: "poll] retry: Retry in 10.0s" in w.log()
               and stack.store.r.zcard(process_keys().sleeping(stack.setup.cluster)) == 1, 30,
               "the step's poll to sleep")
    before = len(w.log())
    if how == "producer":
        handle.cancel()
    else:  # Flower's abort button: the poll task's state becomes ABORTED
        AbortableAsyncResult(f"{handle.id}.poll", app=app).abort()
    record = handle.wait(timeout=30)
    assert (record["status"], record["reason"]) == ("cancelled", "cancelled")
    after = w.log()[before:]  # the rollout is stuck: only the cancel can have woken the poll
    assert -1 < after.find('"event": "watch.woke"') < after.find('"event": "step.rollback"')
    svc = clients.ecs.describe_services(cluster=stack.setup.cluster, services=["web"])["services"][0]
    assert svc["taskDefinition"] == stack.setup.task_definition_arn


def wait_for_status(stack: Any, step_id: str, status: str, *, progress_stage: str | None = None,
                    min_percent: int = 0, timeout: float = 30) -> dict[str, Any]:
    def reached() -> dict[str, Any] | None:
        record = stack.store.require(step_id)
        progress = record.get("progress") or {}
        if record["status"] == status and (progress_stage is None or (
                progress.get("stage") == progress_stage and progress.get("percent", 0) >= min_percent)):
            return record
        return None
    record: dict[str, Any] = wait_until(reached, timeout, f"step {step_id} to reach {status}"
                                        + (f" at {progress_stage} {min_percent} %" if progress_stage else ""))
    return record


def test_two_services_settle_in_parallel(stack: Any, clients: Clients, tmp_path: Path) -> None:
    api = provision(clients, name="api", cpu=256, memory=512)
    raw = yaml.safe_load(stack.path.read_text())
    raw["fargate"]["api"] = {**raw["fargate"]["web"], "service_name": "api", "cluster": api.cluster}
    stack.path.write_text(yaml.safe_dump(raw))
    producer = Producer(load_config(str(stack.path)), stack.store)
    slow = Plan(start_delay=2.0)
    stack.driver.plan_for = lambda td, n: slow
    with RolloutDriver(clients.elbv2, api.cluster, api.service, plan=slow) as api_driver:
        stack.worker(concurrency=2)
        a = producer.submit("web", {"GOGC": 60})
        b = producer.submit("api", {"GOGC": 60})
        ra, rb = a.wait(timeout=60), b.wait(timeout=60)
    assert not api_driver.errors
    assert (ra["status"], rb["status"]) == ("succeeded", "succeeded")
    sa, sb = ra["stages"]["settle"], rb["stages"]["settle"]
    overlap = min(sa["end"], sb["end"]) - max(sa["start"], sb["start"])
    assert overlap > 1.0, (sa, sb)


def run_cli(stack: Any, *args: str, stdin: str | None = None) -> Any:
    import subprocess
    import sys

    env = {**os.environ, **stack.env}
    return subprocess.run([sys.executable, "-m", "producer.cli", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_step_sweep_results_show(stack: Any, tmp_path: Path) -> None:
    import json

    stack.worker()
    done = run_cli(stack, "step", "web", "GOGC=90", "--wait", "--format", "json")
    assert done.returncode == 0, done.stderr
    [record] = json.loads(done.stdout)
    assert record["status"] == "succeeded" and record["settings"] == {"GOGC": 90}
    assert "[" in done.stderr and "succeeded" in done.stderr  # the progress lines
    import re
    percents = [int(m) for m in re.findall(r"\] +(\d+)%", done.stderr)]
    assert len(percents) >= 3 and percents == sorted(percents) and percents[-1] == 100, done.stderr

    original = json.dumps({"application": {"components": {"web": {"settings": {"GOGC": {"value": 100}}}}}})
    done = run_cli(stack, "step", "--json", "-", "--wait", stdin=original)
    assert done.returncode == 0, done.stderr

    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("grid:\n  GOGC: [50, 70]\n")
    done = run_cli(stack, "sweep", str(sweep), "--wait", "--format", "csv")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("id,component,status,settings") and len(lines) == 3
    assert [row.split(",")[3] for row in lines[1:]] == ["GOGC=50", "GOGC=70"]

    table = run_cli(stack, "results", "latest")
    assert table.returncode == 0 and "GOGC=70" in table.stdout
    shown = run_cli(stack, "show", record["id"], "--format", "json")
    assert json.loads(shown.stdout)["id"] == record["id"]


def test_cli_bad_step_exits_2_and_enqueues_nothing(stack: Any, redis_db: Any) -> None:
    done = run_cli(stack, "step", "web", "cpu=0.75", "LD_PRELOAD=/x.so")
    assert done.returncode == 2
    assert "step.web.settings.cpu: 0.75 is not one of the allowed values" in done.stderr
    assert "LD_PRELOAD: is not declared" in done.stderr
    assert redis_db.llen(process_keys().control) == 0 and redis_db.zcard(process_keys().steps) == 0
    assert "Traceback" not in done.stderr


def test_cli_exits_3_when_redis_is_unreachable(stack: Any) -> None:
    from emulator.taskproc import free_port

    stack.env["SERVO_REDIS_URL"] = f"redis://127.0.0.1:{free_port()}/0"
    done = run_cli(stack, "step", "web", "GOGC=90")
    assert done.returncode == 3, done.stderr
    assert "cannot reach Redis" in done.stderr


def test_flower_lists_the_step_tasks_with_progress(stack: Any, tmp_path: Path) -> None:
    import base64
    import json
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from emulator.taskproc import free_port

    port = free_port()
    log = (tmp_path / "flower.log").open("w")
    flower = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker.flow.app", "flower", f"--port={port}",
         "--address=127.0.0.1", "--basic-auth=ops:s3cret"],
        env={**os.environ, **stack.env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    auth = "Basic " + base64.b64encode(b"ops:s3cret").decode()

    def get(path: str, with_auth: bool = True) -> Any:
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     headers={"Authorization": auth} if with_auth else {})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read() or b"null")

    try:
        def healthy() -> bool:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthcheck", timeout=2).close()
            except (urllib.error.URLError, ConnectionError):
                return False
            return True
        wait_until(healthy, 30, "Flower to answer its health check", every=0.2)
        with pytest.raises(urllib.error.HTTPError, match="401"):
            get("/api/tasks", with_auth=False)
        stack.worker()
        # The benchmark is the long task: its PROGRESS shows for the whole run. (The poll
        # re-queues itself after each look, so Flower shows it as RETRY between looks.)
        handle = stack.producer.submit("web", {"GOGC": 80}, control={"duration": 4})
        seen: set[str] = set()

        def benchmark_in_progress() -> bool:
            task = get("/api/tasks").get(f"{handle.id}.benchmark")
            if task:
                seen.add(task["state"])
            return "PROGRESS" in seen
        wait_until(benchmark_in_progress, 40, "Flower to show the benchmark in PROGRESS", every=0.1)
        info = get(f"/api/task/info/{handle.id}.poll")
        assert info["state"] in ("RETRY", "SUCCESS")
        assert info["name"] == "web GOGC=80: poll"  # the shadow name
        assert handle.wait(timeout=60)["status"] == "succeeded"
        tasks = get("/api/tasks")
        assert {f"{handle.id}.adjust", f"{handle.id}.poll", f"{handle.id}.benchmark"} <= set(tasks)
    finally:
        os.killpg(flower.pid, 15)
        flower.wait(timeout=10)
        log.close()


def test_every_worker_log_line_is_json_bound_to_the_step(stack: Any) -> None:
    import json

    worker = stack.worker()
    handle = stack.producer.submit("web", {"GOGC": 190})
    assert handle.wait(timeout=60)["status"] == "succeeded"
    worker.stop()
    lines = [line for line in worker.log().splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines if line.startswith("{")]
    stray = [line for line in lines if not line.startswith("{")]
    assert stray == ["worker: Warm shutdown (MainProcess)"]  # Celery prints this one itself
    step_lines = [p for p in parsed if p.get("step_id") == handle.id]
    assert {p["task_name"] for p in step_lines} >= {"servo.adjust", "servo.poll_stability", "servo.benchmark"}
    assert all(p["component"] == "web" and p["task_id"].startswith(handle.id) for p in step_lines)


def test_wait_names_the_benchmark_queue_no_worker_serves(stack: Any) -> None:
    """A worker started with -Q control settles the step; the benchmark then waits in the
    load queue no worker serves, and --wait says so instead of waiting in silence."""
    from worker.contract.namespace import process_keys

    keys = process_keys()
    stack.worker(queues=keys.control)
    done = run_cli(stack, "step", "web", "GOGC=90", "--wait", "--timeout", "25")
    assert done.returncode == 1, done.stderr
    assert f"no live worker serves queue {keys.load} " in done.stderr
    assert "still running" in done.stderr and "never picked up" not in done.stderr


def test_a_failed_rollback_makes_the_cli_exit_1_saying_what_the_service_runs(stack: Any,
                                                                             clients: Clients) -> None:
    import json

    raw = yaml.safe_load(stack.path.read_text())
    raw["fargate"]["web"].update(timeout_service_desired_count=1, rollback_timeout=1)
    stack.path.write_text(yaml.safe_dump(raw))
    stack.driver.plan_for = lambda td, n: Plan(outcome="stuck")  # the rollback never settles either
    stack.worker()
    done = run_cli(stack, "step", "web", "GOGC=200", "--wait", "--format", "json")
    assert done.returncode == 1, done.stderr
    [record] = json.loads(done.stdout)
    assert (record["status"], record["reason"]) == ("failed", "rollback-failed")
    svc = clients.ecs.describe_services(cluster=stack.setup.cluster, services=["web"])["services"][0]
    assert record["runs"] == {"task_definition": svc["taskDefinition"], "desired_count": svc["desiredCount"]}
    assert f"the service runs {svc['taskDefinition']} x 1" in done.stderr
    assert "rollback failed: not stable after 1 s" in done.stderr
    shown = run_cli(stack, "show", record["id"])
    assert shown.returncode == 1 and "rollback failed: not stable after 1 s" in shown.stderr
