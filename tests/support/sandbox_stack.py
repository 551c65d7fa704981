"""The sandbox's demo service under the optimizer's load, with a real worker and a producer.

The acceptance test and the optimize benchmarks measure the same thing, so both build it
here: a fast-profile sandbox, its config with `ab -k -c 16` and no CloudWatch (the ab
percentiles are the objective; the CloudWatch wait would add seconds to every step), one
real Celery worker process, and a producer on the given Redis database. `stack(...,
faults=SPEC)` starts the same on a hostile AWS endpoint and also yields the sandbox, so a
test can compare records with what the service really runs (`sandbox.service_state()`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass
class Stack:
    """A running sandbox, the worker on it, and a producer for its config."""

    sandbox: Any  # emulator.sandbox.Sandbox: .calls, .service_state(), .direct_client(name)
    worker: Worker
    producer: Any  # producer.api.Producer


@contextmanager
def stack(workdir: Path, redis_url: str, endpoint_url: str | None = None, *, faults: str | None = None,
          call_log: Path | None = None, rewrite: Callable[[Path], None] | None = optimize_config,
          name: str = "optimize") -> Iterator[Stack]:
    """Yield a Stack: a fast-profile sandbox, one worker process, a producer.

    `endpoint_url`: an in-process moto to use (the tests' fixture); None starts one.
    `faults`: a fault spec for the AWS endpoint the worker and the producer use
    (emulator/faults.py; e.g. "throttle,errors=0.2,seed=7"); `call_log`: a JSON-lines file
    for every call that endpoint answered; `rewrite`: edits config.yaml before the worker
    starts (default: the optimizer's load, no CloudWatch).
    SERVO_REDIS_URL must already name `redis_url` in this process (worker.flow.app reads it once).
    """
    from emulator.sandbox import Sandbox
    from producer.api import Producer
    from worker.contract.config import load_config
    from worker.contract.records import RecordStore

    with Sandbox("fast", endpoint_url=endpoint_url, config_out=workdir / "config.yaml", faults=faults,
                 call_log=call_log) as box:
        if rewrite is not None:
            rewrite(box.config_path)
        with submitting_to(box.endpoint_url):
            worker = Worker(name, {**box.env, "SERVO_REDIS_URL": redis_url}, workdir)
            try:
                worker.wait_ready()
                producer = Producer(load_config(str(box.config_path), environ={}),
                                    RecordStore.from_url(redis_url))
                yield Stack(box, worker, producer)
            finally:
                worker.stop()


@contextmanager
def submitting_to(endpoint_url: str) -> Iterator[None]:
    """This process's producer submits steps for `endpoint_url` (a sandbox's public endpoint,
    the one its workers use: worker.aws.target compares the two) until the block ends."""
    before = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = before


@contextmanager
def sandbox_stack(workdir: Path, redis_url: str, endpoint_url: str | None = None,
                  faults: str | None = None) -> Iterator[Any]:
    """Yield a Producer on the sandbox's demo service, with a worker running its steps
    (the optimizer's load; see `stack` for the arguments)."""
    with stack(workdir, redis_url, endpoint_url, faults=faults) as running:
        yield running.producer
