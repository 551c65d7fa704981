"""The preflight gate: a worker refuses steps for a component whose critical checks fail
(worker/aws/preflight), runs them once at start, and shares a pass through Redis so a new
pool child does not check again."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from typing import Any

from celery import signals

from worker.flow import logs, runtime

log = logs.get("servo.tasks")
PREFLIGHT_TTL_S = 600  # critical checks are repeated this often, so a fixed setup is noticed
_passed: dict[str, float] = {}  # component -> when its critical checks last passed


def blocked(component: str) -> str | None:
    """Why the worker refuses steps for `component` (failed critical checks), or None.
    A pass is trusted for PREFLIGHT_TTL_S, and shared through Redis with every process of
    every worker running the same component config against the same endpoint, so a new
    pool child does not run the checks again. A failure is checked again at the next
    step, so a setup the user fixes is taken at once."""
    now = time.time()
    if now - _passed.get(component, 0.0) < PREFLIGHT_TTL_S:
        return None
    rt = runtime.current()
    left = rt.store.r.ttl(_pass_key(rt, component))
    if left > 0:
        _passed[component] = now - (PREFLIGHT_TTL_S - left)
        return None
    from worker.aws.preflight import critical_failures

    found = critical_failures(rt.config, rt.clients)
    pipe = rt.store.r.pipeline()
    for name in rt.config.components:
        if name not in found:
            _passed[name] = now
            pipe.set(_pass_key(rt, name), now, ex=PREFLIGHT_TTL_S)
    pipe.execute()
    results = found.get(component)
    return "; ".join(f"{r.id}: {r.finding}" for r in results) if results else None


def _pass_key(rt: runtime.Runtime, component: str) -> str:
    """The Redis key of a preflight pass: the component's config and the AWS endpoint and
    region it was checked against, hashed (a worker with other settings checks for itself)."""
    basis = json.dumps([dataclasses.asdict(rt.config.component(component)), rt.clients.ecs.meta.endpoint_url,
                        rt.clients.ecs.meta.region_name], sort_keys=True, default=str)
    return rt.store.keys.preflight(component, hashlib.sha256(basis.encode()).hexdigest()[:16])


@signals.worker_ready.connect
def _preflight_at_start(**_: Any) -> None:
    """Run the critical checks once at start, saying in the log why a component is refused."""
    try:
        for name in runtime.current().config.components:
            why = blocked(name)
            if why:
                log.error("preflight.refused", component=name, why=why)
            else:
                log.info("preflight.ok", component=name)
    except Exception as exc:  # the worker still starts; each step checks again
        log.exception("preflight.error", error=str(exc))
