"""docker-compose.yml and the Dockerfile, checked without a Docker engine: the compose
file against docker-compose's own schema (`docker-compose config`, when installed) and
both against what the worker, Flower and the producer need."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ENV = {"REDIS_PASSWORD": "pw", "FLOWER_USER": "ops", "FLOWER_PASSWORD": "fpw"}


def compose_config() -> dict[str, Any]:
    """The compose file as docker-compose resolves it (anchors, merges, variables)."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose (Debian package) is not installed; .ci/run installs it")
    out = subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config"], cwd=ROOT,
                         env={**os.environ, **ENV}, capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    resolved: dict[str, Any] = yaml.safe_load(out.stdout)
    return resolved


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) pairs, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1])
            for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_compose_file_is_valid_and_runs_the_four_parts() -> None:
    services = compose_config()["services"]
    assert set(services) == {"redis", "worker", "flower", "producer"}
    assert services["producer"]["profiles"] == ["producer"]  # optional: only when asked for


def test_redis_persists_and_requires_a_password() -> None:
    redis = compose_config()["services"]["redis"]
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command and "--requirepass pw" in command
    assert any("/data" in str(v) for v in redis["volumes"])


def test_worker_and_flower_share_the_app_and_its_redis() -> None:
    services = compose_config()["services"]
    for name in ("worker", "flower", "producer"):
        env = services[name]["environment"]
        assert env["SERVO_REDIS_URL"] == "redis://:pw@redis:6379/0"
        assert env["SERVO_CONFIG"] == "/config/config.yaml"
        assert services[name]["build"]["context"] == str(ROOT)
    assert services["flower"]["environment"]["FLOWER_BASIC_AUTH"] == "ops:fpw"
    assert services["flower"]["command"][:4] == ["celery", "-A", "worker.flow.app", "flower"]


def test_compose_refuses_to_start_without_secrets() -> None:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ENV}
    out = subprocess.run([binary, "-f", str(ROOT / "docker-compose.yml"), "config"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60, check=False)
    assert out.returncode != 0 and "REDIS_PASSWORD" in out.stderr


def test_dockerfile_installs_ab_copies_what_exists_and_drops_root() -> None:
    steps = dockerfile()
    assert steps[0][0] == "FROM"
    runs = " ".join(args for op, args in steps if op == "RUN")
    assert "apt-get install" in runs and "apache2-utils" in runs
    for op, args in steps:
        if op == "COPY":
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")


def test_dockerfile_command_starts_a_worker_on_both_queues() -> None:
    cmd = json.loads(next(args for op, args in dockerfile() if op == "CMD"))
    assert cmd[:5] == ["celery", "-A", "worker.flow.app", "-q", "worker"]
    assert cmd[cmd.index("-Q") + 1] == "control,load"
    import worker.flow.app  # the module the image starts exists and builds the Celery app

    assert worker.flow.app.app.main == "servo"


def test_dockerignore_keeps_secrets_and_venv_out() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored
    assert ".env" in (ROOT / ".gitignore").read_text().split()
