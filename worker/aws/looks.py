"""Looks at settling services shared by every poll on every worker.

The newest DescribeServices view of each service is kept in Redis (one hash per cluster,
with the time the call was made); a poll that finds a view younger than `fresh_s` makes no
call. Otherwise it claims one call from the budget (worker/aws/budget.py), which names up to 10
services of the cluster (itself and the oldest views that no other call is describing), and
stores every view it gets; reading the view and claiming are one round trip to Redis. With
the budget spent it gets the newest view there is (detection slows, nothing is throttled),
or None when there is none since the step began. Target health is kept per target group
for a few seconds. The settle decision never sees any of this: it gets the service.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from worker.aws.budget import CLAIMED, ELB, IN_FLIGHT, TASKS, Budget
from worker.aws.clients import aws_errors
from worker.aws.fargate import service_resource
from worker.contract.config import Component
from worker.contract.errors import AdjustmentRejected

FRESH_S = 0.25  # a view this young answers a poll without a call
TARGETS_FRESH_S = 3.0  # health checks run every 5-30 s: a few seconds' old counts are news enough
VIEW_TTL_S = 600
IN_FLIGHT_WAIT_S = 0.5  # how long a poll waits for another claim's call that names its service
IN_FLIGHT_POLL_S = 0.02


def dumps(value: Any) -> str:
    """JSON with datetimes (boto's createdAt and the like) kept as epoch seconds."""
    return json.dumps(value, default=lambda d: {"$epoch": d.timestamp()} if isinstance(d, datetime)
                      else str(d))


def loads(text: str) -> Any:
    return json.loads(text, object_hook=lambda o: datetime.fromtimestamp(o["$epoch"], UTC)
                      if set(o) == {"$epoch"} else o)


@dataclass(frozen=True)
class View:
    at: float  # epoch seconds when the call that saw it was made
    service: Mapping[str, Any]


@dataclass(frozen=True)
class Watched:
    """What one round of the watch loop did for a cluster."""

    wait: float  # seconds before the cluster is due again (0: at once)
    looked: Sequence[str] = ()
    changed: Sequence[str] = ()  # sleeping polls' services whose view changed (handed to on_news)


DEPLOYMENT_FIELDS = ("id", "status", "taskDefinition", "desiredCount", "runningCount", "pendingCount",
                     "failedTasks", "rolloutState")


def digest(service: Mapping[str, Any]) -> str:
    """What a poll's judgement of a view depends on (worker.aws.stability): the counts and
    rollout of every deployment and the newest event. Equal digests: nothing to wake for."""
    deployments = sorted(tuple(str(d.get(f)) for f in DEPLOYMENT_FIELDS)
                         for d in service.get("deployments") or [])
    events = service.get("events") or []
    newest = str(events[0].get("id") or events[0].get("message")) if events else None
    fields = (service.get("status"), service.get("taskDefinition"), service.get("desiredCount"),
              service.get("runningCount"), service.get("pendingCount"), deployments, newest)
    return hashlib.sha256(json.dumps(fields, default=str).encode()).hexdigest()[:16]


def _view(raw: str | None) -> View | None:
    if not raw:
        return None
    data = loads(raw)
    return View(float(data["at"]), data["service"])


class SharedLooks:
    """A worker's door to the shared views and the budget (one per process is enough)."""

    def __init__(self, budget: Budget, fresh_s: float = FRESH_S,
                 on_news: Callable[[str, Sequence[str]], None] | None = None):
        self.budget, self.r, self.keys, self.fresh_s = budget, budget.r, budget.keys, fresh_s
        self.on_news = on_news  # (cluster, services): sleeping polls whose service changed
        self.calls = 0  # AWS calls this object made, for tests and benches

    def view(self, comp: Component) -> View | None:
        return _view(self.r.hget(self.keys.view(comp.cluster), comp.service_name))

    def service(self, ecs: Any, comp: Component, since: float) -> Mapping[str, Any] | None:
        """The service as newly seen as the budget allows; None: no view since `since` yet.

        One round trip (budget.LOOK) reads the view and, when it is stale, claims the call.
        When another poll's call is describing this service right now, its view is waited
        for (briefly) rather than paid for twice."""
        key = self.keys.view(comp.cluster)
        deadline = time.monotonic() + IN_FLIGHT_WAIT_S
        while True:
            kind, raw, names = self.budget.look(comp.cluster, key, comp.service_name, now=time.time(),
                                                since=since, fresh=self.fresh_s)
            if kind == CLAIMED:
                return self._describe(ecs, comp, names)
            have = _view(raw)
            if have is not None and have.at < since:
                have = None  # from before the step: it would judge the wrong deployment
            if kind != IN_FLIGHT or time.monotonic() >= deadline:
                return have.service if have else None
            time.sleep(IN_FLIGHT_POLL_S)

    def _describe(self, ecs: Any, comp: Component, names: Sequence[str]) -> Mapping[str, Any]:
        resp, found, _ = self._call(ecs, comp.cluster, names, service_resource(comp))
        if comp.service_name not in found:
            failure = "; ".join(f.get("reason", "") for f in resp.get("failures", [])
                                if str(f.get("arn", "")).endswith(comp.service_name)) or "not found"
            raise AdjustmentRejected("invalid-service", f"service {comp.service_name} in cluster "
                                     f"{comp.cluster}: {failure}")
        return found[comp.service_name]

    def _call(self, ecs: Any, cluster: str, names: Sequence[str], resource: str,
              ) -> tuple[Mapping[str, Any], dict[str, Mapping[str, Any]], list[str]]:
        """One DescribeServices for `names` (claimed: in flight); every view it gets is stored
        with the time of the call, in one round trip. Returns the answer, the views, and the
        news: the named services whose poll sleeps and whose view is no longer the one it
        judged (handed to `on_news` too), whichever look made the call."""
        at = time.time()
        looked = self.keys.looked(cluster)
        try:
            with aws_errors("DescribeServices", resource):
                resp = ecs.describe_services(cluster=cluster, services=list(names))
        except BaseException:
            self.r.zrem(looked, *names)  # not in flight any more: the next look claims them again
            raise
        self.calls += 1
        found: dict[str, Mapping[str, Any]] = {
            s["serviceName"]: s for s in resp.get("services", []) if s.get("status") != "INACTIVE"}
        key = self.keys.view(cluster)
        pipe = self.r.pipeline(transaction=False)  # one round trip stores the views and their times
        if found:
            pipe.hset(key, mapping={n: dumps({"at": at, "service": s}) for n, s in found.items()})
            pipe.expire(key, VIEW_TTL_S)
        pipe.zadd(looked, {n: at for n in names})
        pipe.hmget(self.keys.wake(cluster), list(names))  # the polls that sleep, and what they saw
        sleepers = pipe.execute()[-1]
        news = [name for name, entry in zip(names, sleepers, strict=True)
                if entry and (name not in found or json.loads(entry).get("digest") != digest(found[name]))]
        if news and self.on_news is not None:
            self.on_news(cluster, news)
        return resp, found, news

    def watch(self, ecs: Any, cluster: str, stale: float) -> Watched:
        """One round of the watch loop for a cluster: when a sleeping poll's view is older than
        `stale` and the budget allows, one DescribeServices for up to 10 of them. The services
        whose view changed in what a poll judges (counts, deployments, rollout, events) are
        the ones to wake."""
        kind, wait, names = self.budget.watch(cluster, now=time.time(), stale=stale)
        if kind != CLAIMED:
            return Watched(wait=wait)
        _, _, news = self._call(ecs, cluster, names, f"cluster {cluster}")
        return Watched(wait=0.0, looked=names, changed=news)

    def forget(self, comp: Component) -> None:
        """The service settled (or its step ended): later looks no longer name it."""
        pipe = self.r.pipeline()
        pipe.zrem(self.keys.wanted(comp.cluster), comp.service_name)
        pipe.zrem(self.keys.looked(comp.cluster), comp.service_name)
        pipe.hdel(self.keys.view(comp.cluster), comp.service_name)
        pipe.zrem(self.keys.sleeping(comp.cluster), comp.service_name)
        pipe.hdel(self.keys.wake(comp.cluster), comp.service_name)
        pipe.execute()

    def target_health(self, elbv2: Any, tg: str) -> list[str] | None:
        """The target states of a target group, at most a few seconds old; None: budget short."""
        key = self.keys.target_health(tg)
        raw = self.r.get(key)
        if raw:
            return list(json.loads(raw))
        if not self.budget.take(ELB):
            return None
        with aws_errors("DescribeTargetHealth", f"target group {tg}"):
            health = elbv2.describe_target_health(TargetGroupArn=tg)
        self.calls += 1
        states = [d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"]]
        self.r.set(key, json.dumps(states), px=int(TARGETS_FRESH_S * 1000))
        return states

    def may_call(self, family: str, calls: int = 1) -> bool:
        """Tokens for `calls` calls of one family (worker/aws/budget.py), or spend nothing."""
        if self.budget.take(family, calls):
            self.calls += calls
            return True
        return False

    def may_list_tasks(self) -> bool:
        """Tokens for ListTasks and DescribeTasks, or wait for them."""
        if self.budget.take(TASKS, 2):
            self.calls += 2
            return True
        return False
