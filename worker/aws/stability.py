"""Know, fast and for sure, when a deployment has settled or failed.

Stable means: our deployment (PRIMARY, our task definition) is the only one, running ==
desired and nothing pending, rolloutState COMPLETED where AWS reports it, and every target
group of the service has at least `desired` healthy targets and none draining.

It fails fast when AWS already knows the answer: the rollout FAILED (circuit breaker),
our deployment was replaced, tasks of our deployment stopped, or ECS says it cannot place
a task. Capacity shortages and Spot interruptions are not held against the settings: ECS
tries again, and so do we. What to do about a look is `worker.aws.settle`'s decision.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from worker.aws import fargate
from worker.aws.clients import Clients, aws_errors
from worker.aws.looks import SharedLooks
from worker.aws.tasklogs import TASKS_PER_LOOK, TaskLogs
from worker.contract.config import Component

State = Literal["settling", "stable", "failed"]
TARGETS_PERCENT = 90  # a settling look whose counts are done: the target groups are checked next
# Events that say tasks are failing: stopped tasks are listed only after one (or fewer running).
FAILURE_EVENT = re.compile(r"fail|stopped|unhealthy|essential container", re.I)
PLACEMENT_FAILURE = re.compile(r"unable to place a task|failed to launch", re.I)
# Fargate's own shortages: ECS retries the placement, and it says nothing about the settings.
CAPACITY = re.compile(r"capacity is unavailable|insufficient capacity|spot interruption", re.I)
NORMAL_STOPS = ("Scaling activity initiated by", "Service scaled in", "Task stopped by user")
TRANSIENT_STOP_CODES = ("SpotInterruption",)  # the task was taken back, not killed by its settings


@dataclass(frozen=True)
class Expectation:
    """The deployment a step waits for."""

    task_definition: str
    desired_count: int
    deployment_id: str | None = None
    since: float = field(default_factory=time.time)  # epoch seconds: older events are not ours


@dataclass(frozen=True)
class Observation:
    state: State
    message: str
    percent: int = 0
    reason: str | None = None  # with state "failed": start-failed, unstable or timeout

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TargetCounts:
    healthy: int = 0
    draining: int = 0
    other: int = 0  # initial, unhealthy, unavailable


@dataclass(frozen=True)
class StoppedTask:
    arn: str
    reason: str
    exit_codes: tuple[str, ...] = ()
    task_definition: str = ""
    log_lines: tuple[str, ...] = ()  # its service's last failure lines (worker/aws/tasklogs.py)
    logs_read: bool = False  # read once: a retried look does not read them again

    def describe(self) -> str:
        detail = f" ({'; '.join(self.exit_codes)})" if self.exit_codes else ""
        said = f"; its log: {' | '.join(self.log_lines)}" if self.log_lines else ""
        return f"task {self.arn.rsplit('/', 1)[-1]} stopped: {self.reason}{detail}{said}"

    @classmethod
    def from_memo(cls, memo: Mapping[str, Any]) -> StoppedTask:
        return cls(memo["arn"], memo["reason"], tuple(memo["exit_codes"]), memo.get("task_definition", ""),
                   tuple(memo.get("log_lines", ())), bool(memo.get("logs_read", False)))


def evaluate(service: Mapping[str, Any], expect: Expectation, *, stopped: Sequence[StoppedTask] = (),
             targets: Mapping[str, TargetCounts] | None = None, max_task_failures: int = 1) -> Observation:
    """Judge one look at the service (pure). `targets` is None when not yet read."""
    deployments = list(service.get("deployments") or [])
    ours = find_ours(deployments, expect)
    placement = _placement_failure(service, expect.since)
    if placement and not (ours and _counts_done(ours, deployments, expect)):  # done: the event is stale
        return Observation("failed", placement, reason="start-failed")
    if len(stopped) >= max_task_failures:
        text = "; ".join(t.describe() for t in stopped[:3])
        return Observation("failed", text, reason="start-failed")
    asked = service.get("taskDefinition")
    if asked and asked != expect.task_definition:
        said = _event_about(service, expect.deployment_id, expect.since) or "no event explains it"
        return Observation("failed", f"the service now asks for {asked.rsplit('/', 1)[-1]} instead of "
                           f"{expect.task_definition.rsplit('/', 1)[-1]}: {said}", reason="unstable")
    if ours is None:
        if expect.deployment_id:
            said = _event_about(service, expect.deployment_id, expect.since) or \
                "it was replaced by another deployment"
            return Observation("failed", f"deployment {expect.deployment_id} is gone from the service: "
                               f"{said}", reason="unstable")
        return Observation("settling", "waiting for the new deployment to appear", 0)
    if ours.get("rolloutState") == "FAILED":
        return Observation("failed", ours.get("rolloutStateReason") or "rollout FAILED", reason="unstable")
    if ours.get("status") != "PRIMARY":
        said = _event_about(service, str(ours["id"]), expect.since) or ours.get("rolloutStateReason") \
            or "no reason given"
        return Observation("failed", f"deployment {ours['id']} was rolled back by ECS: {said}",
                           reason="unstable")
    running, desired = int(ours.get("runningCount", 0)), int(ours.get("desiredCount", 0))
    pending = int(ours.get("pendingCount", 0))
    others = [d for d in deployments if d is not ours]
    old_running = sum(int(d.get("runningCount", 0)) for d in others)
    message = f"new deployment {running}/{expect.desired_count} running"
    if pending:
        message += f", {pending} pending"
    if others:
        message += f", old deployment draining {old_running}"
    percent = int(80 * min(running, expect.desired_count) / max(expect.desired_count, 1))
    if not _counts_done(ours, deployments, expect):
        return Observation("settling", message, percent)
    if targets is None:
        return Observation("settling", message + ", checking targets", TARGETS_PERCENT)
    for tg, counts in targets.items():
        if counts.healthy < expect.desired_count or counts.draining:
            name = tg.rsplit(":", 1)[-1]
            return Observation("settling", f"{message}, target group {name}: {counts.healthy}/"
                               f"{expect.desired_count} healthy, {counts.draining} draining", TARGETS_PERCENT)
    return Observation("stable", f"stable: {running}/{desired} running on "
                       f"{expect.task_definition.rsplit('/', 1)[-1]}", 100)


def _counts_done(ours: Mapping[str, Any], deployments: Sequence[Mapping[str, Any]],
                 expect: Expectation) -> bool:
    """Our deployment alone, with every task it wants running and its rollout COMPLETED."""
    running, desired = int(ours.get("runningCount", 0)), int(ours.get("desiredCount", 0))
    return (desired == expect.desired_count and running == desired and not int(ours.get("pendingCount", 0))
            and len(deployments) == 1 and ours.get("rolloutState", "COMPLETED") == "COMPLETED")


def find_ours(deployments: Sequence[Mapping[str, Any]], expect: Expectation) -> Mapping[str, Any] | None:
    for dep in deployments:
        if expect.deployment_id and dep.get("id") == expect.deployment_id:
            return dep
    if expect.deployment_id:
        return None
    for dep in deployments:
        if dep.get("status") == "PRIMARY" and dep.get("taskDefinition") == expect.task_definition:
            return dep
    return None


def _event_about(service: Mapping[str, Any], deployment_id: str | None, since: float) -> str | None:
    """The newest service event that says our deployment failed: by its id, or, when no look
    saw the deployment before ECS rolled it back and drained it (its id is then unknown), any
    deployment failure since the step began. One step at a time holds the service's lease, so
    a deployment that failed since then is ours."""
    for event in service.get("events") or []:
        message = str(event.get("message", ""))
        if "fail" not in message.lower():
            continue
        if deployment_id is not None:
            if deployment_id in message:
                return message
        elif "deployment" in message and _created(event) >= since - 1:
            return message
    return None


def _created(event: Mapping[str, Any]) -> float:
    created = event.get("createdAt")
    return created.timestamp() if isinstance(created, datetime) else 0.0


def _placement_failure(service: Mapping[str, Any], since: float) -> str | None:
    for event in service.get("events") or []:
        message = str(event.get("message", ""))
        if _created(event) >= since - 1 and PLACEMENT_FAILURE.search(message) \
                and not CAPACITY.search(message):
            return message
    return None


class Watcher:
    """Looks at one service as often as asked, with as few AWS calls as it can: the
    service's view (shared by every worker when `looks` is given: worker/aws/looks.py); target
    health only once the counts are done; stopped tasks only when ECS counts a failed task,
    the running count falls, or a new event points at a failure."""

    def __init__(self, clients: Clients, comp: Component, expect: Expectation,
                 memo: Mapping[str, Any] | None = None, looks: SharedLooks | None = None):
        self.clients, self.comp, self.expect, self.looks = clients, comp, expect, looks
        self.seen: Mapping[str, Any] | None = None  # the service as the last look saw it
        self.deferred = False  # the last look left a check for the next one (the budget was short)
        memo = memo or {}
        self._failed_seen = int(memo.get("failed_seen", 0))
        self._running_seen = int(memo.get("running_seen", 0))
        self._event_seen = float(memo.get("event_seen", 0.0))
        self._stopped = [StoppedTask.from_memo(t) for t in memo.get("stopped", [])]
        self.logs = TaskLogs(clients, looks.may_call if looks is not None else None)

    def memo(self) -> dict[str, Any]:
        """What the next look needs to remember, as JSON (a retried task carries it)."""
        return {"failed_seen": self._failed_seen, "running_seen": self._running_seen,
                "event_seen": self._event_seen, "stopped": [asdict(t) for t in self._stopped]}

    def poll(self) -> Observation:
        self.deferred = False
        service = self.seen = self._service()
        if service is None:
            return Observation("settling", "waiting for a look: the account's API budget is spent for now")
        ours = find_ours(service.get("deployments") or [], self.expect)
        if ours is not None and self.expect.deployment_id is None:
            self.expect = Expectation(self.expect.task_definition, self.expect.desired_count,
                                      str(ours["id"]), self.expect.since)
        if ours is not None:
            self._check_stopped(service, ours)
        obs = evaluate(service, self.expect, stopped=self._stopped,
                       max_task_failures=self.comp.max_task_failures)
        if obs.state == "failed" and ours is None and not self._stopped:
            # ECS's circuit breaker may have rolled the deployment back, and it may have
            # drained away, before this look: its stopped tasks still say why it failed.
            self._stopped = self._stopped_of_vanished()
            obs = evaluate(service, self.expect, stopped=self._stopped,
                           max_task_failures=self.comp.max_task_failures)
        if obs.state == "settling" and obs.percent == TARGETS_PERCENT \
                and obs.message.endswith("checking targets"):
            targets = self._targets(service)
            if targets is not None:
                obs = evaluate(service, self.expect, stopped=self._stopped, targets=targets,
                               max_task_failures=self.comp.max_task_failures)
        return obs

    def _service(self) -> Mapping[str, Any] | None:
        if self.looks is None:
            return fargate.describe_service(self.clients.ecs, self.comp)
        return self.looks.service(self.clients.ecs, self.comp, self.expect.since)

    def _check_stopped(self, service: Mapping[str, Any], ours: Mapping[str, Any]) -> None:
        failed, running = int(ours.get("failedTasks") or 0), int(ours.get("runningCount") or 0)
        event = _newest_failure_event(service, max(self.expect.since - 1, self._event_seen))
        if failed <= self._failed_seen and running >= self._running_seen and event is None:
            self._running_seen = running
            return
        if self.looks is not None and not self.looks.may_list_tasks():
            self.deferred = True  # the budget is short: the next look asks again (and soon)
            return
        self._failed_seen, self._running_seen = failed, running
        self._event_seen = event if event is not None else self._event_seen
        self._stopped = self._with_logs(stopped_tasks(self.clients.ecs, self.comp.cluster,
                                                      self.comp.service_name, deployment_id=str(ours["id"]),
                                                      since=self.expect.since))

    def _stopped_of_vanished(self) -> list[StoppedTask]:
        if self.expect.deployment_id:
            return self._with_logs(stopped_tasks(self.clients.ecs, self.comp.cluster, self.comp.service_name,
                                                 deployment_id=self.expect.deployment_id,
                                                 since=self.expect.since))
        # Not yet seen (moto, or a look that came late): the task definition's own tasks
        # that stopped since the step began.
        return self._with_logs(stopped_tasks(self.clients.ecs, self.comp.cluster, self.comp.service_name,
                                             task_definition=self.expect.task_definition,
                                             since=self.expect.since))

    def _with_logs(self, stopped: list[StoppedTask]) -> list[StoppedTask]:
        """`stopped` with their services' last failure lines: remembered from an earlier look
        (the memo), else read for the first few (the ones a failed step's message names); a
        read that must wait (a short budget, throttling) is tried again by the next look."""
        known = {t.arn: t for t in self._stopped if t.logs_read}
        out, reads = [], 0
        for task in stopped:
            if task.arn in known:
                out.append(replace(task, log_lines=known[task.arn].log_lines, logs_read=True))
            elif reads < TASKS_PER_LOOK and task.task_definition:
                reads += 1
                lines = self.logs.lines(task.arn, task.task_definition)
                out.append(task if lines is None else replace(task, log_lines=lines, logs_read=True))
            else:
                out.append(task)
        return out

    def _targets(self, service: Mapping[str, Any]) -> dict[str, TargetCounts] | None:
        """Counts per target group; None while the budget cannot pay for one of them."""
        out = {}
        for lb in service.get("loadBalancers") or []:
            tg = lb.get("targetGroupArn")
            if not tg:
                continue
            states = self._target_states(tg)
            if states is None:
                return None
            out[tg] = TargetCounts(healthy=states.count("healthy"), draining=states.count("draining"),
                                   other=len(states) - states.count("healthy") - states.count("draining"))
        return out

    def _target_states(self, tg: str) -> list[str] | None:
        if self.looks is not None:
            return self.looks.target_health(self.clients.elbv2, tg)
        with aws_errors("DescribeTargetHealth", f"target group {tg}"):
            health = self.clients.elbv2.describe_target_health(TargetGroupArn=tg)
        return [d["TargetHealth"]["State"] for d in health["TargetHealthDescriptions"]]


def _newest_failure_event(service: Mapping[str, Any], after: float) -> float | None:
    """When the newest event after `after` that points at a failure was made, if any."""
    newest = None
    for event in service.get("events") or []:
        created = event.get("createdAt")
        when = created.timestamp() if isinstance(created, datetime) else 0.0
        if when > after and FAILURE_EVENT.search(str(event.get("message", ""))):
            newest = max(newest or 0.0, when)
    return newest


def stopped_tasks(ecs: Any, cluster: str, service: str, *, deployment_id: str | None = None,
                  task_definition: str | None = None, since: float = 0.0) -> list[StoppedTask]:
    """The service's tasks of one deployment, or of one task definition (an ARN), that
    stopped after `since` for a reason held against the settings: not normal scaling, not
    a capacity shortage or Spot interruption. Stopped tasks stay listed for an hour, hence
    `since`. ListTasks takes `startedBy` only as its sole filter, and lists RUNNING tasks
    unless told otherwise, so it is asked for the service's STOPPED tasks and the
    deployment (a task's `startedBy`) is matched here."""
    where = f"stopped tasks of service {service} in cluster {cluster}"
    with aws_errors("ListTasks", where):
        arns = ecs.list_tasks(cluster=cluster, serviceName=service, desiredStatus="STOPPED")["taskArns"]
    if not arns:
        return []
    with aws_errors("DescribeTasks", where):
        tasks = ecs.describe_tasks(cluster=cluster, tasks=arns[:100])["tasks"]
    return [_stopped(t) for t in tasks if _counts(t, deployment_id, task_definition, since)]


def _counts(task: Mapping[str, Any], deployment_id: str | None, task_definition: str | None,
            since: float) -> bool:
    """A task held against the step: ours, stopped after `since`, for a reason of its own."""
    if deployment_id and task.get("startedBy") != deployment_id:
        return False
    if task_definition and task.get("taskDefinitionArn") != task_definition:
        return False
    reason = task.get("stoppedReason") or ""
    if reason.startswith(NORMAL_STOPS) or CAPACITY.search(reason):
        return False
    if task.get("stopCode") in TRANSIENT_STOP_CODES:
        return False
    return _epoch(task.get("stoppedAt")) >= since - 1


def _stopped(task: Mapping[str, Any]) -> StoppedTask:
    reason = task.get("stoppedReason") or "no reason given"
    codes = tuple(_container_exit(c) for c in task.get("containers") or []
                  if c.get("exitCode") not in (None, 0) or c.get("reason"))
    return StoppedTask(task["taskArn"], reason, codes, str(task.get("taskDefinitionArn") or ""))


def _epoch(when: Any) -> float:
    return when.timestamp() if isinstance(when, datetime) else float("inf")  # unknown: keep it


def _container_exit(container: Mapping[str, Any]) -> str:
    text = f"container {container.get('name')} exit code {container.get('exitCode')}"
    return f"{text}: {container['reason']}" if container.get("reason") else text
