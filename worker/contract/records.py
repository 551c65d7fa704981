"""Step records: the project's own, durable account of every step, kept in Redis.

Celery's result backend expires; these records do not (90 days). The pipeline writes
them as a step moves; the producer creates them at submission and reads them back.
A record's status only moves forward, and a terminal status is final.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import redis

from worker.contract import constants as C
from worker.contract.namespace import Keys, process_keys

TERMINAL = frozenset({"succeeded", "failed", "rejected", "cancelled", "expired"})


def new_id() -> str:
    return uuid.uuid4().hex[:16]


def now() -> float:
    return round(time.time(), 3)


class RecordStore:
    """Read and write step and sweep records in one Redis database."""

    def __init__(self, client: redis.Redis, keys: Keys | None = None) -> None:
        self.r = client
        self.keys = keys or process_keys()  # this process's namespace unless told otherwise

    @classmethod
    def from_url(cls, url: str, keys: Keys | None = None) -> RecordStore:
        return cls(redis.Redis.from_url(url, decode_responses=True, socket_timeout=10,
                                        health_check_interval=30), keys)

    # -- creation ------------------------------------------------------------------------
    def create_step(self, component: str, settings: Mapping[str, Any], target: Mapping[str, Any],
                    control: Mapping[str, Any], *, sweep_id: str | None = None, index: int | None = None,
                    step_id: str | None = None, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """A queued step; `extra` adds fields (the service target, expires: producer.api)."""
        record: dict[str, Any] = {
            "id": step_id or new_id(), "component": component, "sweep_id": sweep_id, "index": index,
            "settings": dict(settings), "target": dict(target), "control": dict(control),
            "status": "queued", "reason": None, "message": None,
            "created_at": now(), "updated_at": now(),
            "stages": {}, "previous": None, "applied": None, "rollback": None,
            "progress": {"percent": 0, "stage": "queued", "message": "waiting for a worker"},
            "measurement": None, "task_ids": {}, **(extra or {}),
        }
        pipe = self.r.pipeline()
        pipe.set(self.keys.step(record["id"]), json.dumps(record), ex=C.RECORD_TTL_S)
        pipe.zadd(self.keys.steps, {record["id"]: record["created_at"]})
        pipe.execute()
        return record

    def create_sweep(self, step_ids: Iterable[str], *, name: str | None = None,
                     source: Any = None, sweep_id: str | None = None) -> dict[str, Any]:
        sweep = {"id": sweep_id or new_id(), "name": name, "created_at": now(), "source": source}
        ids = list(step_ids)
        pipe = self.r.pipeline()
        pipe.set(self.keys.sweep(sweep["id"]), json.dumps(sweep), ex=C.RECORD_TTL_S)
        if ids:
            pipe.rpush(self.keys.sweep_steps(sweep["id"]), *ids)
            pipe.expire(self.keys.sweep_steps(sweep["id"]), C.RECORD_TTL_S)
        pipe.zadd(self.keys.sweeps, {sweep["id"]: sweep["created_at"]})
        pipe.execute()
        return sweep

    # -- reading -------------------------------------------------------------------------
    def get(self, step_id: str) -> dict[str, Any] | None:
        raw = self.r.get(self.keys.step(step_id))
        return json.loads(raw) if raw else None

    def require(self, step_id: str) -> dict[str, Any]:
        record = self.get(step_id)
        if record is None:
            raise KeyError(f"no step record {step_id!r}")
        return record

    def many(self, step_ids: Iterable[str]) -> list[dict[str, Any]]:
        ids = list(step_ids)
        if not ids:
            return []
        raws = self.r.mget([self.keys.step(i) for i in ids])
        return [json.loads(raw) for raw in raws if raw]

    def sweep(self, sweep_id: str) -> dict[str, Any] | None:
        raw = self.r.get(self.keys.sweep(sweep_id))
        if not raw:
            return None
        sweep: dict[str, Any] = json.loads(raw)
        sweep["step_ids"] = self.r.lrange(self.keys.sweep_steps(sweep_id), 0, -1)
        return sweep

    def sweep_steps(self, sweep_id: str) -> list[dict[str, Any]]:
        return self.many(map(str, self.r.lrange(self.keys.sweep_steps(sweep_id), 0, -1)))

    def recent_steps(self, limit: int = 100) -> list[dict[str, Any]]:
        ids = self.r.zrevrange(self.keys.steps, 0, limit - 1)
        return list(reversed(self.many(map(str, ids))))

    def latest_sweep_id(self) -> str | None:
        ids = self.r.zrevrange(self.keys.sweeps, 0, 0)
        return str(ids[0]) if ids else None

    # -- updates -------------------------------------------------------------------------
    def update(self, step_id: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """Apply `change` to the record atomically (optimistic, retried on conflict).
        A terminal record is never changed again."""
        key = self.keys.step(step_id)
        while True:
            with self.r.pipeline() as pipe:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if not raw:
                        raise KeyError(f"no step record {step_id!r}")
                    record: dict[str, Any] = json.loads(raw)
                    if record["status"] in TERMINAL:
                        pipe.unwatch()
                        return record
                    change(record)
                    record["updated_at"] = now()
                    pipe.multi()
                    pipe.set(key, json.dumps(record), keepttl=True)
                    pipe.publish(self.keys.events, step_id)
                    pipe.execute()
                    return record
                except redis.WatchError:
                    continue

    def set_fields(self, step_id: str, **fields: Any) -> dict[str, Any]:
        return self.update(step_id, lambda rec: rec.update(fields))

    def stage(self, step_id: str, stage: str, edge: str, **fields: Any) -> dict[str, Any]:
        """Stamp a stage's start or end time (the first start is kept across redeliveries)."""
        def change(rec: dict[str, Any]) -> None:
            times = rec["stages"].setdefault(stage, {})
            if edge == "end" or "start" not in times:
                times[edge] = now()
            rec.update(fields)
        return self.update(step_id, change)

    def finish(self, step_id: str, status: str, *, reason: str | None = None,
               message: str | None = None, **fields: Any) -> dict[str, Any]:
        if status not in TERMINAL:
            raise ValueError(f"{status!r} is not a terminal status")

        def change(rec: dict[str, Any]) -> None:
            rec.update(fields, status=status, reason=reason, message=message, finished_at=now())
            rec["progress"] = {"percent": 100, "stage": status, "message": message or status}
            for times in rec["stages"].values():
                times.setdefault("end", rec["finished_at"])
        return self.update(step_id, change)

    # -- cancel --------------------------------------------------------------------------
    def request_cancel(self, step_id: str) -> None:
        self.r.set(self.keys.cancel(step_id), "1", ex=C.RECORD_TTL_S)
        self.r.publish(self.keys.events, step_id)

    def cancel_requested(self, step_id: str) -> bool:
        return bool(self.r.exists(self.keys.cancel(step_id)))
