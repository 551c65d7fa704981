"""`--wait` with no worker says so within seconds, with the command that starts one, and a
timeout tells steps never picked up from steps still running."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from producer import liveness
from tests.support.cli_run import run, write_config
from worker.contract.namespace import process_keys

QUEUES = {"control": "control", "load": "load"}


def test_a_wait_without_a_worker_says_so_within_seconds(tmp_path: Path, redis_db: Any) -> None:
    cfg = write_config(tmp_path)
    result = run("step", "web", "GOGC=90", "--wait", "--timeout", "6", "--config", cfg)
    assert result.code == 1, result
    lines = result.err.splitlines()
    notice = next(i for i, line in enumerate(lines) if "no live worker" in line)
    assert f"queue {process_keys().control} " in lines[notice]
    assert f"servo-fargate worker --config {cfg}" in lines[notice]
    # said while waiting, before the timeout's own report
    ended = next(i for i, line in enumerate(lines) if "never picked up by a worker" in line)
    assert notice < ended and "still running" not in result.err
    assert 6 <= result.seconds < 60  # waited its timeout out; the upper bound only catches a hang


def test_each_stage_waits_in_its_queue() -> None:
    assert liveness.needed_queue({"status": "queued"}, QUEUES) == "control"
    assert liveness.needed_queue({"status": "settling"}, QUEUES) == "control"
    assert liveness.needed_queue({"status": "measuring", "measurement": None}, QUEUES) == "load"
    assert liveness.needed_queue({"status": "measuring", "measurement": {"metrics": {}}}, QUEUES) == "control"
    assert liveness.needed_queue({"status": "succeeded"}, QUEUES) is None


def test_a_benchmark_no_worker_serves_is_named_even_when_control_is_served() -> None:
    records = [{"id": "a", "status": "measuring", "measurement": None}, {"id": "b", "status": "queued"}]
    assert liveness.unserved(records, {"control"}, QUEUES) == {"load": ["a"]}
    assert liveness.unserved(records, {"control", "load"}, QUEUES) == {}


def test_the_timeout_tells_never_picked_up_from_still_running() -> None:
    records = [{"id": "a", "status": "settling", "stages": {"adjust": {"start": 1.0}}},
               {"id": "b", "status": "queued", "stages": {}}]
    text = liveness.timeout_message(records, 30, {}, None)
    assert "never picked up by a worker: b (workers are busy with earlier steps)" in text
    assert "still running (they go on; see `results`): a" in text


def test_a_timeout_before_the_first_look_still_says_why_nothing_started(tmp_path: Path,
                                                                        redis_db: Any) -> None:
    result = run("step", "web", "GOGC=90", "--wait", "--timeout", "0.5", "--config", write_config(tmp_path))
    assert result.code == 1, result
    assert "never picked up by a worker" in result.err
    assert "no live worker serves their queue; start one: servo-fargate worker --config" in result.err


def test_a_wait_whose_records_vanish_fails_and_says_so(tmp_path: Path, redis_db: Any) -> None:
    """A flushed database (or Redis restarted without its append-only file) must not look like
    a step that ended well: `step --wait` goes through Producer.wait's lost-record check."""
    keys = process_keys()
    gone = threading.Event()

    def flush_once_the_step_is_there() -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not gone.is_set():
            found = list(redis_db.scan_iter(match=keys.step("*")))
            if found:
                redis_db.delete(*found)
                gone.set()
            else:
                gone.wait(0.05)

    flusher = threading.Thread(target=flush_once_the_step_is_there, daemon=True)
    flusher.start()
    result = run("step", "web", "GOGC=90", "--wait", "--timeout", "20", "--config", write_config(tmp_path))
    flusher.join(timeout=5)
    assert gone.is_set(), "the step record never appeared"
    assert result.code == 1, result
    assert "no step record" in result.err and "flushed" in result.err, result.err
