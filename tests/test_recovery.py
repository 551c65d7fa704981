"""A worker SIGKILLed mid-step: its step resumes within 30 s at the default settings (no
shortened visibility timeout), once. Real sandbox, real Redis, real Celery workers."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from producer.api import StepSpec
from tests.conftest import TEST_REDIS_URL
from tests.support.recovery_stack import LOAD, holder, moved_since, sandbox_fleet
from tests.support.waiting import wait_until
from worker.aws.clients import Clients
from worker.flow import recovery

pytestmark = pytest.mark.slow

RECOVERY_LIMIT_S = 30.0


# The hang guard must outlast the test's own waits (two kills, a restart, the sweep's three
# steps): 120 s, the suite's default, cut it short on a loaded two-core box.
@pytest.mark.timeout(360)
def test_a_killed_workers_step_resumes_within_30_s_once(aws_endpoint: str, redis_db: Any, clients: Clients,
                                                        tmp_path: Path) -> None:
    with sandbox_fleet(tmp_path, TEST_REDIS_URL, aws_endpoint) as (box, fleet, producer):
        keys = producer.store.keys
        specs = [StepSpec("web", {"GOGC": g}, LOAD) for g in (110, 120, 130)]
        sweep = producer.submit_sweep(specs)

        def freeze_holder(step_id: str) -> str | None:
            """SIGSTOP the worker running the step's task, and keep it stopped only if it still runs
            it then: a holder seen an instant before may have acked it (or sent the next) in between."""
            node = holder(redis_db, keys, step_id, running=True)
            if node is None:
                return None
            group = fleet.workers[fleet.by_node(node)].proc.pid
            os.killpg(group, signal.SIGSTOP)
            time.sleep(0.05)  # an ack already on its way to Redis lands
            if holder(redis_db, keys, step_id, running=True) == node:
                return node
            os.killpg(group, signal.SIGCONT)
            return None

        def kill_holder(step_id: str, restart: bool) -> tuple[str, float]:
            """Kill the worker holding the step's task; the seconds until the step moved again."""
            wait_until(lambda: producer.store.require(step_id)["status"] in ("settling", "measuring"), 60,
                       f"step {step_id} to reach settling or measuring")
            victim = wait_until(lambda: freeze_holder(step_id), 30,
                                f"a worker to run step {step_id}'s task while stopped", every=0.01)
            fleet.workers[fleet.by_node(victim)].kill()  # SIGKILL to the whole (stopped) process group
            killed_at = time.time()
            if restart:  # as a supervisor would: the node's old instance is reclaimed at its start
                fleet.start(fleet.by_node(victim)).wait_ready()
            # else the other worker reclaims it once the victim's heartbeat lapses (15 s)
            record = wait_until(lambda: (r := producer.store.require(step_id)) and moved_since(r, killed_at)
                                and r, 60, f"step {step_id} to move again after its worker was killed")
            return victim, float(record["updated_at"]) - killed_at

        restarted = kill_holder(sweep.step_ids[0], restart=True)
        silent = kill_holder(sweep.step_ids[1], restart=False)
        fleet.start(fleet.by_node(silent[0])).wait_ready()
        records = sweep.wait(timeout=180)
        assert fleet.exited() == [], "a worker exited"

    assert restarted[1] <= RECOVERY_LIMIT_S and silent[1] <= RECOVERY_LIMIT_S, (restarted, silent)
    assert [r["status"] for r in records] == ["succeeded"] * 3, [(r["status"], r["message"]) for r in records]
    assert redis_db.zcard(keys.steps) == 3  # no duplicate record
    for record, (victim, _) in zip(records, (restarted, silent), strict=False):
        assert [c["from"] for c in record["reclaims"]] == [victim], record["reclaims"]
    revisions = clients.ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]
    assert len(revisions) == 1 + len(specs)  # no extra revision
    deployments = {t.deployment_id for t in box.controller.tasks}
    assert len(deployments) == 1 + len(specs)  # no step deployed twice
    stages = [run["stage"] for run in records[1]["ran_by"]]
    assert stages[:1] == ["adjust"] and "benchmark" in stages


def test_a_stage_message_a_dying_consumer_took_off_the_queue_is_sent_again(
        aws_endpoint: str, redis_db: Any, clients: Clients, tmp_path: Path) -> None:
    """A consumer that takes a message (BRPOP) and dies before it notes it in `unacked`: the
    message is in no queue and in no worker's hands. The thief below is that consumer: it has
    waited on the queue longest, so Redis hands it the next stage message the worker sends."""
    with sandbox_fleet(tmp_path, TEST_REDIS_URL, aws_endpoint, names=("w1",)) as (box, fleet, producer):
        keys = producer.store.keys
        sweep = producer.submit_sweep([StepSpec("web", {"GOGC": g}, LOAD) for g in (160, 170)])
        first = sweep.step_ids[0]
        wait_until(lambda: producer.store.require(first)["status"] == "settling", 60,
                   f"step {first} to reach settling")
        stolen = redis_db.brpop(keys.control, timeout=30)  # and the consumer dies: the message is gone
        assert stolen is not None, "no stage message came to the queue"
        headers = json.loads(stolen[1])["headers"]
        records = sweep.wait(timeout=120)
        assert fleet.exited() == [], "a worker exited"
    assert [r["status"] for r in records] == ["succeeded", "succeeded"], [r["message"] for r in records]
    resent = [(r["id"], n["task_id"]) for r in records for n in r.get("resent") or []]
    assert resent == [(recovery.step_of(headers["id"]), headers["id"])]  # sent again, once
    assert len(clients.ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]) == 3
    assert len({t.deployment_id for t in box.controller.tasks}) == 3  # no step deployed twice
    assert redis_db.zcard(keys.steps) == 2


def test_a_stale_copy_of_a_stage_message_is_dropped_without_running_the_chain_on(
        aws_endpoint: str, redis_db: Any, clients: Clients, tmp_path: Path) -> None:
    """What a worker killed after sending its poll's retry but before acking its own leaves:
    an older copy of the step's message, reclaimed while the step has moved on."""
    with sandbox_fleet(tmp_path, TEST_REDIS_URL, aws_endpoint, names=("w1",)) as (box, fleet, producer):
        keys = producer.store.keys
        specs = [StepSpec("web", {"GOGC": g}, LOAD) for g in (140, 150)]
        sweep = producer.submit_sweep(specs)
        first = sweep.step_ids[0]
        wait_until(lambda: producer.store.require(first)["status"] == "settling", 60,
                   f"step {first} to reach settling")
        old = wait_until(lambda: stage_message(redis_db, first, "servo.poll_stability"), 10,
                         "a worker to hold the step's poll message", every=0.01)
        token = json.loads(old)["headers"]["servo_message"]
        wait_until(lambda: redis_db.hget(keys.cursor(first), "current") not in (None, token), 10,
                   "the step's cursor to move past the held poll message", every=0.01)
        redis_db.rpush(keys.control, old)  # the stale copy, back at the head of the queue
        records = sweep.wait(timeout=120)
        wait_until(lambda: "stage.stale-copy" in fleet.workers["w1"].log(), 10,
                   "w1 to log that it dropped the stale copy")
    assert [r["status"] for r in records] == ["succeeded", "succeeded"], [r["message"] for r in records]
    assert len(clients.ecs.list_task_definitions(familyPrefix="web")["taskDefinitionArns"]) == 3
    assert len({t.deployment_id for t in box.controller.tasks}) == 3  # the next adjust ran once
    assert redis_db.zcard(keys.steps) == 2


def stage_message(r: Any, step_id: str, task: str) -> str | None:
    """A copy of the step's `task` message a worker holds now (kombu's unacked hash)."""
    for payload in r.hvals(recovery.UNACKED):
        message = json.loads(payload)[0]
        if message["headers"].get("id", "").startswith(step_id) and message["headers"]["task"] == task:
            return json.dumps(message)
    return None
