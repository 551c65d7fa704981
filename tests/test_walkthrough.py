"""The README's walk-through as a newcomer types it: sandbox in the background, a worker,
a step, with no AWS variable in the environment (the config carries the endpoint)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.workers import ROOT, Worker

pytestmark = pytest.mark.slow


def cli(*args: str, env: dict[str, str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "producer.cli", *args], cwd=cwd, env=env,
                          capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_sandbox_worker_step_in_three_commands_without_exports(tmp_path: Path, redis_db: object) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "SERVO_CONFIG"}
    env["PYTHONPATH"] = str(ROOT)
    started = cli("sandbox", "--background", env=env, cwd=tmp_path)
    config = tmp_path / "sandbox-config.yaml"
    try:
        assert started.returncode == 0, started.stderr
        assert "sandbox ready" in started.stdout and (tmp_path / "sandbox-config.yaml.pid").exists()
        assert yaml.safe_load(config.read_text())["aws"]["credentials"] == "sandbox"
        worker = Worker("walk", env, tmp_path, queues=None, concurrency=2, inherit_env=False,
                        command=[sys.executable, "-m", "producer.cli", "worker", "--config",
                                 str(config), "--"])
        try:
            worker.wait_ready(60)
            step = cli("step", "web", "cpu=0.5", "GOGC=90", "--control", "duration=10",
                       "--control", "warmup=0",
                       "--wait", "--timeout", "90", "--format", "json", "--config", str(config), env=env,
                       cwd=tmp_path)
        finally:
            worker.stop()
        assert step.returncode == 0, step.stderr
        [record] = json.loads(step.stdout)
        assert record["status"] == "succeeded"
        assert record["measurement"]["metrics"]["cpu"]["value"] is not None
    finally:
        stopped = cli("sandbox", "--stop", env=env, cwd=tmp_path)
    assert stopped.returncode == 0 and not (tmp_path / "sandbox-config.yaml.pid").exists()
