"""The Python API an optimizer calls: submit steps and sweeps, wait, cancel, read results.

It validates every step against the config before anything is enqueued, creates the step
records, and sends the stage tasks by name: it never imports boto3 or runs ab.

    producer = Producer.from_config("config.yaml")
    handle = producer.submit("web", {"cpu": 0.5, "mem": 1, "GOGC": 90})
    record = handle.wait(timeout=900)
    print(record["status"], record["measurement"]["metrics"]["requests throughput"])
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from celery import Celery, chain
from celery.canvas import Signature

from worker.aws.target import for_producer, pinned_accounts
from worker.contract import constants as C
from worker.contract import namespace
from worker.contract.config import Config, load_config
from worker.contract.errors import ConfigError, RecordLost
from worker.contract.expiry import DEFAULT_EXPIRES_S, check_expires, why_expired
from worker.contract.namespace import Keys
from worker.contract.records import TERMINAL, RecordStore
from worker.contract.steps import shadow_name, validate_control, validate_step
from worker.flow import recovery

WAIT_POLL_S = 0.5  # wait() looks at the records at least this often, and on every change notice
BENCH_TIME_MARGIN_S = 120  # benchmark hard time limit beyond warmup + duration + timeouts


@dataclass(frozen=True)
class StepSpec:
    """One step to run: a component, the settings to apply, optional load overrides."""

    component: str
    settings: Mapping[str, Any]
    control: Mapping[str, Any] = field(default_factory=dict)
    expires: float | None = None  # seconds it may wait for a worker (default worker.contract.expiry's hour)

    def to_dict(self) -> dict[str, Any]:
        out = {"component": self.component, "settings": dict(self.settings), "control": dict(self.control)}
        return out if self.expires is None else {**out, "expires": self.expires}


class StepHandle:
    def __init__(self, producer: Producer, step_id: str):
        self.producer, self.id = producer, step_id

    def record(self) -> dict[str, Any]:
        return self.producer.store.require(self.id)

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Block until the step ends; return its record. Raises TimeoutError."""
        return self.producer.wait([self.id], timeout)[0]

    def cancel(self) -> None:
        self.producer.cancel(self.id)


class SweepHandle:
    def __init__(self, producer: Producer, sweep_id: str, step_ids: Sequence[str]):
        self.producer, self.id, self.step_ids = producer, sweep_id, list(step_ids)

    @property
    def steps(self) -> list[StepHandle]:
        return [StepHandle(self.producer, i) for i in self.step_ids]

    def records(self) -> list[dict[str, Any]]:
        return self.producer.store.many(self.step_ids)

    def wait(self, timeout: float | None = None) -> list[dict[str, Any]]:
        return self.producer.wait(self.step_ids, timeout)

    def cancel(self) -> None:
        for step_id in self.step_ids:
            self.producer.cancel(step_id)


class Producer:
    """Submits steps for one config; several producers may share one Redis."""

    def __init__(self, config: Config, store: RecordStore, app: Celery | None = None):
        from worker.flow.app import app as default_app

        self.config, self.store, self.app = config, store, app or default_app

    @classmethod
    def from_config(cls, path: str | None = None, redis_url: str | None = None) -> Producer:
        """A producer for the config at `path`; records and tasks both go to `redis_url`
        (default: $SERVO_REDIS_URL)."""
        from worker.flow.app import make_app
        from worker.flow.app import redis_url as default_url

        url = redis_url or default_url()
        config = load_config(path)
        keys = Keys(namespace.resolve(config_ns=config.namespace))
        return cls(config, RecordStore.from_url(url, keys), make_app(url, keys))

    def validate(self, specs: Sequence[StepSpec]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        """Every step's target and control, or ConfigError naming every bad field."""
        problems: list[str] = []
        out = []
        for i, spec in enumerate(specs):
            try:
                target = validate_step(self.config, spec.component, spec.settings).to_dict()
                out.append((target, self.check_options(spec.control, spec.expires, "step.expires")))
            except ConfigError as exc:
                problems += [p.replace("step.", f"steps[{i}].", 1) if len(specs) > 1 else p
                             for p in exc.problems]
        if not specs:
            problems.append("steps: the sweep holds no step")
        if problems:
            raise ConfigError(problems)
        return out

    def check_options(self, control: Mapping[str, Any], expires: float | None,
                      expires_path: str = "--expires") -> dict[str, Any]:
        """A step's load overrides, checked (and its `expires`), or ConfigError naming each bad one:
        what `validate` checks besides the settings, for a caller that checks before it submits."""
        checked = validate_control(control, self.config.ab)
        self._check_bench_time(checked)
        if expires is not None and (bad := check_expires(expires, expires_path)):
            raise ConfigError(bad)
        return checked

    def bench_limit(self, control: Mapping[str, Any]) -> float:
        """The benchmark's hard time limit for a step with these load overrides."""
        ab = self.config.ab
        return (float(control.get("warmup", ab.warmup)) + float(control.get("duration", ab.duration))
                + 2 * ab.timeout + BENCH_TIME_MARGIN_S)

    def _check_bench_time(self, control: Mapping[str, Any]) -> None:
        from worker.flow.app import visibility_timeout

        limit, visible = self.bench_limit(control), visibility_timeout()
        if limit >= visible:  # the broker would hand the running benchmark to a second worker
            raise ConfigError([f"control: warmup + duration + timeouts ({limit:g} s) must stay below "
                               f"the broker visibility timeout ({visible} s); shorten the run or raise "
                               "SERVO_VISIBILITY_TIMEOUT for every worker, producer and Flower"])

    def warnings(self, specs: Sequence[StepSpec]) -> list[str]:
        """What would make these steps' results mislead, without refusing them: a run
        shorter than a CloudWatch period holds no whole period, so its CloudWatch metrics
        would be missing (the record then says so). The CLI prints these at submit."""
        from worker.aws.cloudwatch import period_of

        cw = self.config.cloudwatch
        if cw is None or not cw.metrics:
            return []
        period = period_of(cw.metrics)
        short = sorted({float(spec.control.get("duration", self.config.ab.duration)) for spec in specs
                        if float(spec.control.get("duration", self.config.ab.duration)) < period})
        if not short:
            return []
        return [f"control.duration: {', '.join(f'{d:g}' for d in short)} s is shorter than the CloudWatch "
                f"period ({period} s, cloudwatch.metrics): no whole period lies inside such a run, so its "
                f"CloudWatch metrics will be missing or averaged over a partly idle period; run at least "
                f"{period} s"]

    def submit(self, component: str, settings: Mapping[str, Any],
               control: Mapping[str, Any] | None = None, expires: float | None = None) -> StepHandle:
        """Validate one step, record it, and enqueue its chain. `expires`: seconds it may
        wait for a worker before it ends `expired` (default an hour)."""
        sweep = self.submit_sweep([StepSpec(component, settings, control or {}, expires)], sweep=False)
        return sweep.steps[0]

    def submit_sweep(self, specs: Sequence[StepSpec], *, name: str | None = None,
                     sweep: bool = True) -> SweepHandle:
        """Validate every step first (nothing is enqueued if one is bad), then run them
        one after another in this order, as one chain that outlives this process."""
        checked = self.validate(specs)
        sweep_id = None
        if sweep:
            from worker.contract.records import new_id
            sweep_id = new_id()
        pinned = pinned_accounts(self.store)
        records = [self.store.create_step(spec.component, spec.settings, target, control,
                                          sweep_id=sweep_id, index=i if sweep else None,
                                          extra=self._identity(spec, pinned))
                   for i, (spec, (target, control)) in enumerate(zip(specs, checked, strict=True))]
        ids = [r["id"] for r in records]
        if sweep_id:
            self.store.create_sweep(ids, name=name, source=[s.to_dict() for s in specs], sweep_id=sweep_id)
        try:
            with recovery.stamping(self.store):  # the first message is in flight too: a loss is mended
                chain(*[sig for record in records for sig in self._signatures(record)]).apply_async()
        except Exception as exc:
            for step_id in ids:  # a record never claims to be queued when it is not
                self.store.finish(step_id, "failed", reason="enqueue", message=f"could not enqueue: {exc}")
            raise
        return SweepHandle(self, sweep_id or ids[0], ids)

    def _identity(self, spec: StepSpec, pinned: Mapping[str, str]) -> dict[str, Any]:
        """Where the step may run and how long it may wait (worker.aws.target, worker.contract.expiry)."""
        where = for_producer(self.config.component(spec.component), os.environ, pinned, self.config.aws)
        return {"service_target": where.to_dict(), "namespace": self.store.keys.namespace,
                "expires": float(spec.expires or DEFAULT_EXPIRES_S)}

    def _signatures(self, record: Mapping[str, Any]) -> list[Signature]:
        step_id = record["id"]
        bench_limit = self.bench_limit(record["control"])

        def sig(name: str, stage: str, **options: Any) -> Signature:
            return self.app.signature(name, kwargs={"step_id": step_id}, immutable=True).set(
                task_id=f"{step_id}.{stage}", shadow=shadow_name(record, stage), **options)

        keys = self.store.keys  # the queues of the records' namespace, whatever the app routes to
        return [sig(C.TASK_ADJUST, "adjust", queue=keys.control),
                sig(C.TASK_POLL, "poll", queue=keys.control),
                sig(C.TASK_BENCHMARK, "benchmark", queue=keys.load,
                    time_limit=bench_limit, soft_time_limit=bench_limit - 30)]

    def replay(self, sweep_id: str) -> SweepHandle:
        """Run a stored sweep's steps again, in the same order, as a new sweep."""
        stored = self.store.sweep(sweep_id)
        if stored is None:
            raise ConfigError([f"sweep: no sweep {sweep_id!r} in Redis"])
        specs = [StepSpec(s["component"], s["settings"], s.get("control") or {}, s.get("expires"))
                 for s in stored.get("source") or []]
        return self.submit_sweep(specs, name=f"replay of {sweep_id}")

    def cancel(self, step_id: str) -> None:
        """Ask the step to stop; a step still queued ends at once, a running one rolls back."""
        self.store.require(step_id)
        self.store.request_cancel(step_id)
        self.store.update(step_id, _cancel_if_queued)

    def wait(self, step_ids: Sequence[str], timeout: float | None = None,
             on_look: Callable[[list[dict[str, Any]]], None] | None = None) -> list[dict[str, Any]]:
        """Block until every step ends. Woken by the records' change notices (pub/sub), with a
        periodic look as well, so a missed notice only delays, never hangs. Raises RecordLost
        when a record vanishes. `on_look` sees the records after every look (the CLI's live
        view draws them there); an exception it raises ends the wait."""
        deadline = None if timeout is None else time.monotonic() + timeout
        pubsub = self.store.r.pubsub(ignore_subscribe_messages=True)
        pubsub.subscribe(self.store.keys.events)
        try:
            while True:
                records = self.store.many(step_ids)
                if self._expire_overdue(records):
                    records = self.store.many(step_ids)
                if len(records) < len(step_ids):
                    found = {r["id"] for r in records}
                    lost = [i for i in step_ids if i not in found]
                    raise RecordLost(f"no step record {', '.join(lost)} in Redis: was the database "
                                     "flushed, or Redis restarted without its append-only file?")
                if on_look is not None:
                    on_look(records)
                if all(r["status"] in TERMINAL for r in records):
                    return records
                if deadline is not None and time.monotonic() >= deadline:
                    pending = [r["id"] for r in records if r["status"] not in TERMINAL]
                    raise TimeoutError(f"steps still running after {timeout:g} s: {', '.join(pending)}")
                pubsub.get_message(timeout=WAIT_POLL_S)
        finally:
            pubsub.close()

    def _expire_overdue(self, records: Sequence[dict[str, Any]]) -> bool:
        """End the steps no worker started in time (worker.contract.expiry), so a wait with no worker
        running ends too. Only a sweep's first waiting step can be overdue: the clocks of
        the later ones have not started. True when one was ended."""
        ended, seen = False, set()
        for rec in records:
            sweep = rec.get("sweep_id") or rec["id"]
            if rec["status"] != "queued" or sweep in seen:
                continue
            seen.add(sweep)
            if why := why_expired(self.store, rec):
                self.store.update(rec["id"], lambda r, why=why: _expire_if_queued(r, why))  # type: ignore[misc]
                ended = True
        return ended

    def results(self, sweep_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        if sweep_id:
            if self.store.sweep(sweep_id) is None:
                raise ConfigError([f"sweep: no sweep {sweep_id!r} in Redis"])
            return self.store.sweep_steps(sweep_id)
        return self.store.recent_steps(limit)


def _expire_if_queued(record: dict[str, Any], why: str) -> None:
    if record["status"] == "queued":  # a worker that started it meanwhile wins
        record.update(status="expired", reason="expired", message=why, finished_at=time.time())
        record["progress"] = {"percent": 100, "stage": "expired", "message": why}


def _cancel_if_queued(record: dict[str, Any]) -> None:
    if record["status"] == "queued":
        record.update(status="cancelled", reason="cancelled", message="cancelled before it started",
                      finished_at=time.time())
        record["progress"] = {"percent": 100, "stage": "cancelled", "message": "cancelled before it started"}
