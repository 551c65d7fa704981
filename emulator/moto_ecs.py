"""Drive moto's in-process ECS backend through the states of a real rolling update.

moto (pinned: moto[server]==5.2.5) never advances a deployment: after update_service its
`deployments` list keeps one stale PRIMARY entry forever. This module is the only place
that touches moto internals. It rewrites a service's deployments, counts and events, and
starts and stops task records, the way ECS would; load balancer targets go through the
real ELBv2 API so that callers see them exactly as the worker does.

Used by the test driver (`emulator.rollout`) and by the local sandbox's controller.
"""

from __future__ import annotations

import copy
import itertools
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

ACCOUNT = "123456789012"  # moto's default account
_lock = threading.RLock()  # one writer at a time; moto's request threads read under the GIL


_addresses = itertools.count(10)


def _next_ip() -> str:
    n = next(_addresses)
    return f"10.0.{n // 250 % 250}.{n % 250 + 2}"


def _now() -> datetime:
    return datetime.now(UTC)


class MotoEcs:
    """A handle on one service in moto's ECS backend of this process."""

    def __init__(self, cluster: str, service: str, region: str = "us-east-1", account: str = ACCOUNT):
        from moto.backends import get_backend

        self.backend = get_backend("ecs")[account][region]
        self.cluster = cluster
        self.service_name = service

    @property
    def service(self) -> Any:
        return self.backend.services[f"{self.cluster}:{self.service_name}"]

    # -- reading -------------------------------------------------------------------------
    def deployments(self) -> list[dict[str, Any]]:
        return [dict(d) for d in self.service.deployments]

    def primary(self) -> dict[str, Any]:
        return next(d for d in self.service.deployments if d["status"] == "PRIMARY")

    def wanted(self) -> tuple[str, int]:
        """What update_service last asked for: (task definition ARN, desired count)."""
        return self.service.task_definition, int(self.service.desired_count)

    def circuit_breaker(self) -> tuple[bool, bool]:
        """(enable, rollback) of the service's deploymentCircuitBreaker."""
        conf = getattr(self.service, "deployment_configuration", None) or {}
        breaker = conf.get("deploymentCircuitBreaker") or {}
        return bool(breaker.get("enable")), bool(breaker.get("rollback"))

    def target_groups(self) -> list[tuple[str, int]]:
        return [(lb["targetGroupArn"], int(lb.get("containerPort") or 80))
                for lb in self.service.load_balancers if lb.get("targetGroupArn")]

    # -- deployments ---------------------------------------------------------------------
    def begin(self, task_definition: str, desired: int) -> str:
        """A new PRIMARY deployment at 0 running; the previous PRIMARY becomes ACTIVE."""
        dep_id = f"ecs-svc/{uuid.uuid4().int % 10**19}"
        with _lock:
            old = [dict(d, status="ACTIVE", updatedAt=_now()) for d in self.service.deployments
                   if d["status"] in ("PRIMARY", "ACTIVE") and d["runningCount"] + d["pendingCount"] > 0]
            new = {
                "id": dep_id, "status": "PRIMARY", "taskDefinition": task_definition,
                "desiredCount": desired, "pendingCount": 0, "runningCount": 0, "failedTasks": 0,
                "createdAt": _now(), "updatedAt": _now(), "launchType": self.service.launch_type,
                "platformFamily": "FARGATE", "rolloutState": "IN_PROGRESS",
                "rolloutStateReason": f"ECS deployment {dep_id} in progress.",
            }
            self._set([new, *old])
        self.event(f"(service {self.service_name}) has started 0 tasks: deployment {dep_id}.")
        return dep_id

    def update(self, dep_id: str, **fields: Any) -> None:
        """Set fields (runningCount, pendingCount, desiredCount, failedTasks, ...) of one deployment."""
        with _lock:
            deps = [dict(d, **fields, updatedAt=_now()) if d["id"] == dep_id else dict(d)
                    for d in self.service.deployments]
            self._set(deps)

    def remove(self, dep_id: str) -> None:
        with _lock:
            self._set([dict(d) for d in self.service.deployments if d["id"] != dep_id])

    def complete(self, dep_id: str) -> None:
        self.update(dep_id, rolloutState="COMPLETED",
                    rolloutStateReason=f"ECS deployment {dep_id} completed.")
        self.event(f"(service {self.service_name}) has reached a steady state.")

    def fail(self, dep_id: str, reason: str, *, rollback: bool) -> None:
        """Circuit breaker: the deployment FAILED; with rollback the previous one is PRIMARY."""
        with _lock:
            deps = []
            for d in self.service.deployments:
                if d["id"] == dep_id:
                    deps.append(dict(d, status="ACTIVE" if rollback else "PRIMARY", rolloutState="FAILED",
                                     rolloutStateReason=reason, updatedAt=_now()))
                elif rollback and d["status"] == "ACTIVE":
                    deps.append(dict(d, status="PRIMARY", rolloutState="IN_PROGRESS", updatedAt=_now()))
                else:
                    deps.append(dict(d))
            deps.sort(key=lambda d: d["status"] != "PRIMARY")
            self._set(deps)
            if rollback:
                self.service.task_definition = deps[0]["taskDefinition"]
        self.event(f"(service {self.service_name}) deployment {dep_id} deployment failed: {reason}")

    def event(self, message: str) -> None:
        with _lock:
            entry = {"id": str(uuid.uuid4()), "createdAt": _now(), "message": message}
            self.service.events = [entry, *self.service.events][:100]  # newest first, as ECS

    def _set(self, deps: list[dict[str, Any]]) -> None:
        self.service.deployments = deps
        self.service.running_count = sum(d["runningCount"] for d in deps)
        self.service.pending_count = sum(d["pendingCount"] for d in deps)

    # -- tasks ---------------------------------------------------------------------------
    def start_task(self, task_definition: str, dep_id: str, ip: str | None = None) -> tuple[str, str]:
        """Record a RUNNING Fargate task of `dep_id` at private `ip`; return (task ARN, ip)."""
        from moto.ecs.models import Task

        with _lock:
            td = copy.copy(self.backend.describe_task_definition(task_definition))
            # moto 5.2.5 builds awsvpc tasks with an ENI attribute it lacks (private_dns_name),
            # and run_task insists on container memory limits Fargate does not need: build the
            # record directly, as bridge-mode, and attach the address ourselves.
            td.network_mode = "bridge"
            task = Task(cluster=self.backend.clusters[self.cluster], task_definition=td,
                        container_instance_arn=None, resource_requirements={}, backend=self.backend,
                        group=f"service:{self.service_name}", launch_type="FARGATE", started_by=dep_id)
            ip = ip or _next_ip()
            task.attachments = [{"id": str(uuid.uuid4()), "type": "ElasticNetworkInterface",
                                 "status": "ATTACHED",
                                 "details": [{"name": "privateIPv4Address", "value": ip}]}]
            self.backend.tasks.setdefault(self.cluster, {})[task.task_arn] = task
        return task.task_arn, ip

    def set_task_status(self, task_arn: str, last_status: str) -> None:
        """Set a task's lastStatus (PENDING while its container starts, then RUNNING)."""
        with _lock:
            task = self.backend.tasks[self.cluster][task_arn]
            task.last_status = last_status
            for container in task.containers:
                container.last_status = last_status

    def stop_task(self, task_arn: str, reason: str, exit_code: int | None = None,
                  container_reason: str | None = None, stop_code: str | None = None) -> None:
        """Stop a task with ECS's stoppedReason, stopCode and its container's exit code."""
        with _lock:
            task = self.backend.stop_task(self.cluster, task_arn, reason)
            if stop_code:
                task.stop_code = stop_code  # type: ignore[attr-defined]  # described as stopCode
            for container in task.containers:
                container.exitCode = exit_code  # type: ignore[assignment]
                container.last_status = "STOPPED"
                if container_reason:
                    container.reason = container_reason  # type: ignore[attr-defined]
            task.stopped_at = _now()  # type: ignore[attr-defined]


def freeze_task_states() -> dict[str, Any]:
    """Keep task statuses where the emulator puts them; return the setting to restore.

    moto's state manager moves a task one state on (RUNNING -> DEACTIVATING -> ...) every
    time describe_tasks reads it; in the sandbox only the controller changes a task's state.
    """
    from moto.moto_api import state_manager

    before: dict[str, Any] = dict(state_manager.get_transition("ecs::task"))
    state_manager.set_transition("ecs::task", {"progression": "manual", "times": 2**62})
    return before


def restore_task_states(before: dict[str, Any]) -> None:
    from moto.moto_api import state_manager

    state_manager.set_transition("ecs::task", before)


def fill_create_service_gaps(region: str, cluster: str, service: str,
                             create_args: Mapping[str, Any], account: str = ACCOUNT) -> bool:
    """Copy what moto drops from `create_service` onto its in-process service object.

    moto accepts but never returns `deploymentConfiguration` and `capacityProviderStrategy`
    (and reports launch type EC2 for a capacity provider strategy). Return False when moto
    is not installed or holds no such service in this process.
    """
    try:
        from moto.backends import get_backend
    except ImportError:
        return False
    backend = get_backend("ecs")[account][region]
    moto_service: Any = backend.services.get(f"{cluster}:{service}")
    if moto_service is None:
        return False
    with _lock:
        if "deploymentConfiguration" in create_args:
            moto_service.deployment_configuration = dict(create_args["deploymentConfiguration"])
        if "capacityProviderStrategy" in create_args:
            moto_service.capacity_provider_strategy = list(create_args["capacityProviderStrategy"])
            moto_service.launch_type = None  # moto reports EC2; AWS reports no launch type here
    return True
