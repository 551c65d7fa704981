"""The sandbox's demo service under the optimizer's load, with a real worker and a producer.

The acceptance test and the optimize benchmarks measure the same thing, so both build it
here: a fast-profile sandbox, its config with `ab -k -c 16` and no CloudWatch (the ab
percentiles are the objective; the CloudWatch wait would add seconds to every step), one
real Celery worker process, and a producer on the given Redis database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from tests.support.workers import Worker

CONCURRENCY = 16  # the load of emulator/README's tuning landscape
LOAD: dict[str, Any] = {"duration": 2, "warmup": 0}  # per-step control: 2 s of ab, no warmup
SLO_P95_MS = 45.0  # the SLO of emulator/README's cheapest-configuration table


def optimize_config(path: Path) -> None:
    """Rewrite a sandbox config.yaml for the optimizer's load."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["ab"].update(concurrency=CONCURRENCY, keepalive=True, timeout=5)
    raw.pop("cloudwatch", None)
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


@contextmanager
def sandbox_stack(workdir: Path, redis_url: str, endpoint_url: str | None = None) -> Iterator[Any]:
    """Yield a Producer on the sandbox's demo service, with a worker running its steps.

    `endpoint_url`: an in-process moto to use (the tests' fixture); None starts one.
    SERVO_REDIS_URL must already name `redis_url` in this process (worker.app reads it once).
    """
    from emulator.sandbox import Sandbox
    from producer.api import Producer
    from worker.config import load_config
    from worker.records import RecordStore

    with Sandbox("fast", endpoint_url=endpoint_url, config_out=workdir / "config.yaml") as box:
        optimize_config(box.config_path)
        if endpoint_url is None:  # the producer's steps are for this sandbox (worker.target)
            os.environ["AWS_ENDPOINT_URL"] = box.endpoint_url
        env = {**box.env, "SERVO_REDIS_URL": redis_url}
        worker = Worker("optimize", env, workdir)
        try:
            worker.wait_ready()
            yield Producer(load_config(str(box.config_path), environ={}), RecordStore.from_url(redis_url))
        finally:
            worker.stop()
