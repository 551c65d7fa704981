"""The harness the pipeline benchmarks share (not a benchmark itself).

A `Stack` is what tests/test_pipeline.py builds, scaled to N services: moto in server mode
in this process, N services provisioned on it (one cluster, one execution role), one
`RolloutDriver` per service playing ECS rolling updates (all of them stepped by one thread,
emulator.rollout.Fleet; tasks are moto state, not processes), a local HTTP target for ab, a
config.yaml with one component per service, real Celery worker processes, and a producer.
Redis database 14 (SERVO_BENCH_REDIS_URL), flushed before and after.

The workers reach AWS only through the sandbox's public endpoint (emulator/faultlayer.py)
with `throttle` on: AWS's published buckets (emulator/throttle.py) answer a throttling
error when the workers together overspend, and every call they make is in its call log
(`Stack.log`, also `calls.jsonl` in the stack's directory), which is where the benches count
calls, services named per call and throttles. Provisioning and the drivers talk to moto
directly, so none of their calls is counted or throttled.

Timeline stamps live here, never in production code: `MotoCalls` wraps moto's in-process
ECS backend (this process serves moto) to stamp every UpdateService and the DescribeServices
that reached moto per service, and `Clock` turns this process's time.monotonic() (the
drivers' `stable_at`) into epoch seconds comparable with the step records.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import yaml

BENCH_REDIS_URL = os.environ.get("SERVO_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")

def configure_env() -> None:
    """Fake AWS credentials and the bench Redis database, before worker.flow.app is imported
    (the Celery app reads its broker URL once, at import)."""
    if "worker.flow.app" in sys.modules:
        raise RuntimeError("configure_env() must run before worker.flow.app is imported")
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1",
                      SERVO_REDIS_URL=BENCH_REDIS_URL)
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AB_TEST_URL", "AB_HEADERS", "FARGATE_CLUSTER",
                "SERVO_CONFIG"):
        os.environ.pop(var, None)


class Clock:
    """Epoch seconds for this process's time.monotonic() readings."""

    def __init__(self) -> None:
        self.offset = statistics.median(time.time() - time.monotonic() for _ in range(9))

    def epoch(self, monotonic: float) -> float:
        return monotonic + self.offset


class MotoCalls:
    """Stamps of ECS UpdateService and DescribeServices calls per `cluster:service`, taken
    inside moto's backend (this process), as time.monotonic()."""

    def __init__(self) -> None:
        self.updates: dict[str, list[float]] = defaultdict(list)
        self.describes: dict[str, list[float]] = defaultdict(list)  # per service named in a call
        self.describe_calls: list[float] = []  # per call (one call may name up to 10 services)
        self.health_calls: list[float] = []  # DescribeTargetHealth, per call
        self._lock = threading.Lock()
        self._undo: list[Callable[[], None]] = []

    def install(self) -> None:
        from moto.ecs import models

        Backend: Any = models.EC2ContainerServiceBackend  # patched on the class: moto resets instances
        original_update, original_describe = Backend.update_service, Backend.describe_services
        calls = self

        def update_service(backend: Any, props: dict[str, Any]) -> Any:
            key = f"{_last(props.get('cluster', 'default'))}:{_last(props['service'])}"
            with calls._lock:
                calls.updates[key].append(time.monotonic())
            return original_update(backend, props)

        def describe_services(backend: Any, cluster: str, names: list[str]) -> Any:
            now = time.monotonic()
            with calls._lock:
                calls.describe_calls.append(now)
                for name in names:
                    calls.describes[f"{_last(cluster)}:{_last(name)}"].append(now)
            return original_describe(backend, cluster, names)

        Backend.update_service = update_service
        Backend.describe_services = describe_services

        def undo() -> None:
            Backend.update_service, Backend.describe_services = original_update, original_describe
        self._undo.append(undo)
        self._install_elb()

    def _install_elb(self) -> None:
        from moto.elbv2 import models

        Backend: Any = models.ELBv2Backend
        original = Backend.describe_target_health
        calls = self

        def describe_target_health(backend: Any, *args: Any, **kwargs: Any) -> Any:
            with calls._lock:
                calls.health_calls.append(time.monotonic())
            return original(backend, *args, **kwargs)

        Backend.describe_target_health = describe_target_health

        def undo() -> None:
            Backend.describe_target_health = original
        self._undo.append(undo)

    def uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()

    def last_update(self, key: str, before: float | None = None) -> float | None:
        with self._lock:
            stamps = [t for t in self.updates.get(key, []) if before is None or t <= before]
        return stamps[-1] if stamps else None

    def describes_between(self, key: str, start: float, end: float) -> int:
        return len(self.describe_times(key, start, end))

    def calls_between(self, start: float, end: float) -> int:
        with self._lock:
            return sum(1 for t in self.describe_calls if start <= t <= end)

    def health_between(self, start: float, end: float) -> int:
        with self._lock:
            return sum(1 for t in self.health_calls if start <= t <= end)

    def describe_times(self, key: str, start: float, end: float) -> list[float]:
        with self._lock:
            return [t for t in self.describes.get(key, []) if start <= t <= end]


def _last(name_or_arn: str) -> str:
    return name_or_arn.rsplit("/", 1)[-1]


@dataclass
class Service:
    name: str
    cluster: str
    setup: Any  # emulator.provision.Setup
    driver: Any  # emulator.rollout.RolloutDriver
    plans: list[Any]  # Plans for this service's next rollouts, taken in order

    @property
    def key(self) -> str:
        return f"{self.cluster}:{self.name}"


class Stack:
    """N services, their drivers, the ab target, config, producer; workers on demand."""

    def __init__(self, services: int, *, tick: float = 0.01, ab: Mapping[str, Any] | None = None,
                 poll_cap: float | None = None, keep_dir: bool = False, budget: str | None = None) -> None:
        self.n, self.tick, self.poll_cap, self.keep_dir = services, tick, poll_cap, keep_dir
        self.budget = budget
        self.ab = dict(ab or {"duration": 1, "warmup": 0, "concurrency": 4})
        self.exits = ExitStack()
        self.clock = Clock()
        self.calls = MotoCalls()
        self.services: list[Service] = []
        self.workers: list[Any] = []
        self.dir = Path(tempfile.mkdtemp(prefix="servo-bench-"))
        self.env: dict[str, str] = {}
        self.provision_s = 0.0

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> Stack:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        import redis

        from emulator.calllog import CallLog
        from emulator.faultlayer import FaultLayer, PublicEndpoint, moto_app
        from emulator.faults import parse_faults
        from emulator.motoserver import start_moto
        from emulator.rollout import Fleet, Plan, RolloutDriver
        from producer.api import Producer
        from tests.support.aws_setup import config_dict, provision
        from tests.support.http_servers import serve
        from worker.aws.clients import Clients
        from worker.contract.config import load_config
        from worker.contract.records import RecordStore

        self.redis = redis.Redis.from_url(BENCH_REDIS_URL, decode_responses=True)
        self.redis.flushdb()
        self.exits.callback(self.redis.flushdb)
        server, url = start_moto()
        self.exits.callback(server.stop)
        os.environ["AWS_ENDPOINT_URL"] = url
        self.log = CallLog(self.dir / "calls.jsonl")
        self.exits.callback(self.log.close)
        public = PublicEndpoint(FaultLayer(moto_app(), parse_faults("throttle"), log=self.log)).start()
        self.exits.callback(public.stop)
        self.calls.install()
        self.exits.callback(self.calls.uninstall)
        self.clients = Clients.from_env(max_attempts=1)
        self.target = self.exits.enter_context(serve())

        began = time.monotonic()
        raw: dict[str, Any] = {"fargate": {}}
        role: str | bool = True
        for i in range(self.n):
            setup = provision(self.clients, name=f"svc{i}", cluster="bench", execution_role=role,
                              cpu=256, memory=512, desired_count=1)
            role = setup.execution_role_arn or True
            part = config_dict(setup, ab_url=self.target.url, metrics=[])
            part["fargate"][setup.name].update(timeout_service_desired_count=120, rollback_timeout=60)
            raw["fargate"].update(part["fargate"])
            raw["ab"] = part["ab"]
            self.services.append(Service(setup.name, setup.cluster, setup, None, []))
        self.provision_s = time.monotonic() - began
        raw["ab"].update(self.ab)  # no `cloudwatch:` section: the step ends after ab
        self.config_path = self.dir / "config.yaml"
        self.config_path.write_text(yaml.safe_dump(raw))

        for svc in self.services:
            def plan_for(td: str, n: int, svc: Service = svc) -> Plan:
                return svc.plans.pop(0) if svc.plans else Plan()
            svc.driver = RolloutDriver(self.clients.elbv2, svc.cluster, svc.name, plan=plan_for,
                                       tick=self.tick)
        self.exits.enter_context(Fleet([svc.driver for svc in self.services], tick=self.tick))

        # The producer's steps name the endpoint the workers use (worker/aws/target.py compares them).
        os.environ["AWS_ENDPOINT_URL"] = public.url
        self.env = {"SERVO_CONFIG": str(self.config_path), "AWS_ENDPOINT_URL": public.url,
                    "SERVO_REDIS_URL": BENCH_REDIS_URL}
        if self.poll_cap is not None:  # a fixed cap instead of the adaptive one
            self.env["SERVO_POLL_CAP"] = str(self.poll_cap)
        if self.budget:  # the workers' API budget (worker/aws/budget.py), instead of the default
            self.env["SERVO_API_BUDGET"] = self.budget
        self.store = RecordStore.from_url(BENCH_REDIS_URL)
        self.producer = Producer(load_config(str(self.config_path)), self.store)

    def register_ahead(self, svc: Service, settings: Mapping[str, Any]) -> None:
        """Register, directly on moto (not counted, not throttled), the revision a step with
        `settings` will ask for, as an earlier step would have; the step's adjust then finds
        and reuses it. AWS sustains 1 RegisterTaskDefinition a second per account (20 at
        once), so 50 or 200 steps that each need a new revision at the same moment wait on
        registration, which is not what these benches measure (bench/README.md says what it
        does to them)."""
        from worker.aws import fargate
        from worker.contract.steps import validate_step

        config = self.producer.config
        comp = config.component(svc.name)
        state = fargate.read_state(self.clients.ecs, comp)
        current = fargate.registration(state.task_definition)
        wanted = fargate.build_registration(current, comp, validate_step(config, svc.name, settings))
        if fargate.fingerprint(wanted) != fargate.fingerprint(current):
            fargate.register(self.clients.ecs, wanted, state.tags)

    def worker(self, name: str = "w1", **options: Any) -> Any:
        from emulator.workerproc import Worker

        w = Worker(name, self.env, self.dir, **options)
        self.workers.append(w)
        w.wait_ready(timeout=60)
        return w

    def close(self) -> None:
        for w in self.workers:
            w.stop()
        self.workers.clear()
        errors = [(s.name, e) for s in self.services if s.driver is not None for e in s.driver.errors]
        self.exits.close()
        if errors:
            print(f"rollout driver errors: {errors}", file=sys.stderr)
        if not self.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)


# -- per-step timeline ---------------------------------------------------------------------

@dataclass
class Timeline:
    """One step's moments, in epoch seconds."""

    service: str
    submitted: float  # just before Producer.submit
    created: float  # record created_at
    adjust_start: float
    update_service: float  # inside moto
    adjust_end: float
    stable: float  # driver's stable_at
    settle_end: float  # record: the worker saw it stable
    measure_start: float | None
    ab_started: float | None
    ab_finished: float | None
    finished: float | None  # record finished_at
    describes: int  # DescribeServices on this service between update_service and settle_end
    seen_look: float  # the DescribeServices that saw it stable (the last one before settle_end)
    look_gaps: list[float]  # time between consecutive looks while settling

    @property
    def settle(self) -> float:
        return self.stable - self.update_service

    @property
    def detection(self) -> float:
        return self.settle_end - self.stable

    @property
    def ab_run(self) -> float:
        assert self.ab_started is not None and self.ab_finished is not None
        return self.ab_finished - self.ab_started

    @property
    def total(self) -> float:
        assert self.finished is not None
        return self.finished - self.submitted

    @property
    def overhead(self) -> float:
        return self.total - self.settle - self.ab_run

    @property
    def phase_wait(self) -> float:
        """From stable to the look that saw it: where the poll schedule put that look."""
        return self.seen_look - self.stable

    @property
    def look_cost(self) -> float:
        """From that look's DescribeServices to the record saying so (target health, writes)."""
        return self.settle_end - self.seen_look

    def parts(self) -> dict[str, float]:
        """The overhead, split at every moment the record and moto give us."""
        assert self.measure_start and self.ab_started and self.ab_finished and self.finished
        return {
            "submit (validate, record, enqueue)": self.created - self.submitted,
            "queueing to adjust start": self.adjust_start - self.created,
            "adjust until UpdateService": self.update_service - self.adjust_start,
            "detection lag (stable -> seen)": self.detection,
            "poll -> benchmark task start": self.measure_start - self.settle_end,
            "ab start (spawn ab)": self.ab_started - self.measure_start,
            "after ab (parse, record, end)": self.finished - self.ab_finished,
        }


def timeline(stack: Stack, svc: Service, record: Mapping[str, Any], submitted: float,
             rollout: Any) -> Timeline:
    """Join a step record, moto's UpdateService stamp and the driver's rollout."""
    from datetime import datetime

    stages = record["stages"]
    clock = stack.clock
    stable = clock.epoch(rollout.stable_at)
    settle_end = stages["settle"]["end"]
    update_mono = stack.calls.last_update(svc.key, before=rollout.began + 1.0)
    assert update_mono is not None, "no UpdateService seen for the rollout"
    ann = ((record.get("measurement") or {}).get("annotations")) or {}

    def iso(value: str | None) -> float | None:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() if value else None

    measure = stages.get("measure") or {}
    looks = stack.calls.describe_times(svc.key, update_mono, settle_end - clock.offset)
    return Timeline(
        service=svc.name, submitted=submitted, created=record["created_at"],
        adjust_start=stages["adjust"]["start"], update_service=clock.epoch(update_mono),
        adjust_end=stages["adjust"]["end"], stable=stable, settle_end=settle_end,
        measure_start=measure.get("start"), ab_started=iso(ann.get("started")),
        ab_finished=iso(ann.get("finished")), finished=record.get("finished_at"),
        describes=len(looks), seen_look=clock.epoch(looks[-1]) if looks else settle_end,
        look_gaps=[b - a for a, b in pairwise(looks)],
    )


# -- statistics and printing -----------------------------------------------------------------

def pct(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100), linear between closest ranks."""
    data = sorted(values)
    if not data:
        return float("nan")
    k = (len(data) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A Markdown table, right-aligned numbers."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    out = ["| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
           "| " + " | ".join(("-" * w if i == 0 else "-" * (w - 1) + ":") for i, w in enumerate(widths))
           + " |"]
    for r in rows:
        out.append("| " + " | ".join((c.ljust(w) if i == 0 else c.rjust(w))
                                     for i, (c, w) in enumerate(zip(r, widths, strict=True))) + " |")
    return "\n".join(out)


def ms(seconds: float) -> str:
    value = round(seconds * 1000)
    return f"{value if value else 0:,} ms"  # no "-0 ms" from stamps rounded to the millisecond


def summary_row(name: str, values: Sequence[float]) -> list[str]:
    return [name, ms(statistics.median(values)), ms(pct(values, 95)), ms(max(values)),
            ms(min(values))]


SUMMARY_HEADER = ("quantity", "median", "p95", "max", "min")


def random_plan(rng: random.Random, low: float, high: float) -> Any:
    """A healthy rollout whose first task starts after a random delay in [low, high] s."""
    from emulator.rollout import Plan

    return Plan(start_delay=round(rng.uniform(low, high), 3))


@contextmanager
def timed(label: str) -> Iterator[None]:
    began = time.monotonic()
    yield
    print(f"{label}: {time.monotonic() - began:.1f} s", file=sys.stderr)
