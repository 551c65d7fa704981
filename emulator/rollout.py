"""A scripted stand-in for ECS's deployment controller, for tests and benchmarks.

`RolloutDriver` watches one service in moto (in its own thread, or, with `Fleet`, one
thread drives many). Whenever update_service asks for a task definition or desired count
that the PRIMARY deployment does not run, it plays a rollout the way ECS does, following a
`Plan`: tasks start one by one and are registered in the target groups, then the old
deployment drains and disappears and the rollout COMPLETES; or tasks crash with a stopped
reason, the circuit breaker fails the deployment, or nothing ever happens (stuck). Tasks
are state in moto only (no processes), so hundreds of services fit on a small box. The
time each rollout became stable is recorded, so benchmarks can measure how long a watcher
takes to notice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from emulator.moto_ecs import MotoEcs

Outcome = Literal["healthy", "crash", "circuit-breaker", "stuck", "unplaceable"]


@dataclass(frozen=True)
class Plan:
    """How a rollout unfolds. Times are seconds."""

    outcome: Outcome = "healthy"
    start_delay: float = 0.2  # from update_service to the first task running
    task_interval: float = 0.05  # between two tasks starting (or crashing)
    drain_delay: float = 0.1  # old deployment drains this long after the new one is up
    breaker_after: int = 3  # crashes before the circuit breaker fails the deployment
    rollback: bool = True  # the circuit breaker rolls back to the previous deployment
    stopped_reason: str = "Essential container in task exited"
    exit_code: int = 137
    container_reason: str = "OutOfMemoryError: Container killed due to memory usage"


@dataclass
class Rollout:
    deployment_id: str
    task_definition: str
    desired: int
    plan: Plan
    began: float  # time.monotonic()
    stable_at: float | None = None
    failed_at: float | None = None
    tasks: list[tuple[str, str]] = field(default_factory=list)  # (task ARN, IP)
    crashes: int = 0


class RolloutDriver:
    """Background thread that makes one moto service behave like ECS rolling updates."""

    def __init__(self, elbv2: Any, cluster: str, service: str, *,
                 plan: Plan | Callable[[str, int], Plan] = Plan(), tick: float = 0.01,
                 region: str = "us-east-1"):
        self.ecs = MotoEcs(cluster, service, region=region)
        self.elbv2 = elbv2
        self.plan_for = plan if callable(plan) else (lambda _td, _n: plan)
        self.tick = tick
        self.history: list[Rollout] = []
        self._tasks: dict[str, list[tuple[str, str]]] = {}  # deployment id -> tasks
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rollout-{service}", daemon=True)
        self.errors: list[BaseException] = []
        self._adopt_primary()

    def __enter__(self) -> RolloutDriver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    @property
    def current(self) -> Rollout | None:
        return self.history[-1] if self.history else None

    def _adopt_primary(self) -> None:
        """Treat the service's existing deployment as settled, with running tasks and targets."""
        primary = self.ecs.primary()
        td, desired = self.ecs.wanted()
        self.ecs.update(primary["id"], runningCount=0, pendingCount=0, desiredCount=desired)
        tasks = [self._start(td, primary["id"]) for _ in range(desired)]
        self.ecs.update(primary["id"], runningCount=desired, rolloutState="COMPLETED")
        self._tasks[primary["id"]] = tasks

    def _run(self) -> None:
        while not self._stop.is_set() and self.step():
            self._stop.wait(self.tick)

    def step(self, now: float | None = None) -> bool:
        """One tick of the rollout; False once it has failed (the error is in .errors). A
        `Fleet` calls this for many drivers from one thread; a driver it drives is not entered."""
        if self.errors:
            return False
        try:
            self._step(time.monotonic() if now is None else now)
        except Exception as exc:  # surfaced to the test through .errors
            self.errors.append(exc)
            return False
        return True

    def _step(self, now: float) -> None:
        td, desired = self.ecs.wanted()
        primary = self.ecs.primary()
        roll = self.current
        if primary["taskDefinition"] != td:
            roll = self._begin(td, desired, now)
        elif primary["desiredCount"] != desired:
            roll = self._scale(primary["id"], td, desired, now)
        if roll is None or roll.stable_at:
            return
        if roll.failed_at:
            self._after_failure(roll, now)
            return
        getattr(self, f"_play_{roll.plan.outcome.replace('-', '_')}")(roll, now)

    def _begin(self, td: str, desired: int, now: float) -> Rollout:
        dep_id = self.ecs.begin(td, desired)
        self.ecs.update(dep_id, pendingCount=desired)
        roll = Rollout(dep_id, td, desired, self.plan_for(td, desired), began=now)
        self._tasks[dep_id] = roll.tasks
        self.history.append(roll)
        return roll

    def _scale(self, dep_id: str, td: str, desired: int, now: float) -> Rollout:
        """Only the desired count changed: ECS scales the PRIMARY, no new deployment."""
        self.ecs.update(dep_id, desiredCount=desired, rolloutState="IN_PROGRESS")
        tasks = self._tasks.setdefault(dep_id, [])
        roll = Rollout(dep_id, td, desired, self.plan_for(td, desired), began=now, tasks=tasks)
        self.history.append(roll)
        return roll

    def _after_failure(self, roll: Rollout, now: float) -> None:
        """After a circuit-breaker rollback, the failed deployment drains away."""
        if roll.plan.rollback and roll.failed_at and now - roll.failed_at >= roll.plan.drain_delay \
                and any(d["id"] == roll.deployment_id for d in self.ecs.deployments()):
            self._drain(roll.deployment_id)
            self.ecs.complete(self.ecs.primary()["id"])

    def _due(self, roll: Rollout, now: float, n: int) -> bool:
        return now - roll.began >= roll.plan.start_delay + n * roll.plan.task_interval

    def _play_healthy(self, roll: Rollout, now: float) -> None:
        while len(roll.tasks) > roll.desired:  # scale in: stop the newest extra task
            arn, ip = roll.tasks.pop()
            self._deregister(ip)
            self.ecs.stop_task(arn, "Service scaled in", 0)
            self.ecs.update(roll.deployment_id, runningCount=len(roll.tasks))
        running = len(roll.tasks)
        if running < roll.desired:
            if self._due(roll, now, running):
                roll.tasks.append(self._start(roll.task_definition, roll.deployment_id))
                self.ecs.update(roll.deployment_id, runningCount=running + 1,
                                pendingCount=roll.desired - running - 1)
            return
        drain_start = roll.began + roll.plan.start_delay + roll.desired * roll.plan.task_interval
        if now - drain_start < roll.plan.drain_delay:
            return
        for dep in self.ecs.deployments():
            if dep["id"] != roll.deployment_id:
                self._drain(dep["id"])
        self.ecs.complete(roll.deployment_id)
        roll.stable_at = time.monotonic()

    def _play_crash(self, roll: Rollout, now: float) -> None:
        if not self._due(roll, now, roll.crashes):
            return
        arn, _ = self._start(roll.task_definition, roll.deployment_id, register=False)
        plan = roll.plan
        self.ecs.stop_task(arn, plan.stopped_reason, plan.exit_code, plan.container_reason)
        roll.crashes += 1
        self.ecs.update(roll.deployment_id, failedTasks=roll.crashes)
        self.ecs.event(f"(service {self.ecs.service_name}) has stopped 1 running tasks: (task {arn}).")
        if roll.crashes >= plan.breaker_after:
            self._play_circuit_breaker(roll, now)

    def _play_circuit_breaker(self, roll: Rollout, now: float) -> None:
        if not self._due(roll, now, 0):
            return
        reason = (f"ECS deployment circuit breaker: tasks failed to start. "
                  f"{roll.crashes} tasks stopped.")
        self.ecs.fail(roll.deployment_id, reason, rollback=roll.plan.rollback)
        roll.failed_at = time.monotonic()

    def _play_stuck(self, roll: Rollout, now: float) -> None:
        return None

    def _play_unplaceable(self, roll: Rollout, now: float) -> None:
        if self._due(roll, now, 0) and roll.crashes == 0:
            roll.crashes = 1
            self.ecs.event(f"(service {self.ecs.service_name}) was unable to place a task. "
                           "Reason: You've reached the limit on the number of tasks you can run "
                           "concurrently.")

    def _start(self, td: str, dep_id: str, register: bool = True) -> tuple[str, str]:
        arn, ip = self.ecs.start_task(td, dep_id)
        if register:
            for tg, port in self.ecs.target_groups():
                self.elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": ip, "Port": port}])
        return arn, ip

    def _drain(self, dep_id: str) -> None:
        for arn, ip in self._tasks.pop(dep_id, []):
            self._deregister(ip)
            self.ecs.stop_task(arn, f"Scaling activity initiated by (deployment {dep_id})", 0)
        self.ecs.remove(dep_id)

    def _deregister(self, ip: str) -> None:
        for tg, port in self.ecs.target_groups():
            self.elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": ip, "Port": port}])


class Fleet:
    """Many services' rollouts played by one thread: the same RolloutDriver logic, tick by
    tick, without a thread per service (200 threads waking every 20 ms cost a 2-core box
    more than the workers under test do)."""

    def __init__(self, drivers: list[RolloutDriver], tick: float = 0.02):
        self.drivers, self.tick = drivers, tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rollout-fleet", daemon=True)

    def __enter__(self) -> Fleet:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            for driver in self.drivers:
                driver.step()
            self._stop.wait(self.tick)
