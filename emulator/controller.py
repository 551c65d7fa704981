"""The sandbox's ECS: makes one moto service real, with local processes as its tasks.

A thread watches what update_service asked for (through `MotoEcs.wanted()`), and runs
rolling updates as ECS does with minimumHealthyPercent 100 / maximumPercent 200: a new
PRIMARY deployment launches its tasks (demo app processes, each on its own loopback IP);
a task counts as RUNNING once it listens, and is registered in the target group only
after real HTTP health checks pass; for each new healthy task an old one is deregistered,
drains for the deregistration delay and is stopped. A task that dies is recorded with
its stopped reason and exit code and replaced, until the circuit breaker fails the
deployment (and rolls back, when the service enables rollback). With task faults
(emulator/taskfaults.py), some starts find no capacity and some healthy tasks are
interrupted; neither counts toward the circuit breaker.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from emulator.logdriver import TaskLog, open_log
from emulator.moto_ecs import MotoEcs
from emulator.profiles import Profile
from emulator.taskfaults import SPOT_REASON, SPOT_STOP_CODE, TaskFaults, capacity_event
from emulator.taskproc import TaskProcess, demo_app_command, free_port, loopback_addresses, task_environment
from emulator.taskrecord import Task, TaskState

Targets = list[tuple[str, int]]
CONTAINER_EXITED = "Essential container in task exited"
FAILED_TO_START = "Task failed to start"
BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."


def probe(host: str, port: int, path: str, timeout: float) -> bool:
    """One ALB-style health check: GET `path`, healthy on HTTP 200."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"User-Agent": "ELB-HealthChecker/2.0"})
        resp = conn.getresponse()
        resp.read()
        return resp.status == 200
    except OSError:
        return False
    finally:
        conn.close()


class ServiceController:
    """Runs one service's tasks and deployments until `stop()`."""

    def __init__(self, ecs: MotoEcs, ecs_api: Any, elbv2: Any, profile: Profile, *,
                 health_path: str = "/", on_targets: Callable[[Targets], None] | None = None,
                 app_command: Callable[[str, int], list[str]] = demo_app_command,
                 task_faults: TaskFaults | None = None, logs: Any = None):
        self.ecs, self.ecs_api, self.elbv2, self.profile = ecs, ecs_api, elbv2, profile
        self.logs = logs  # a CloudWatch Logs client on moto: the awslogs driver's (emulator/logdriver.py)
        self.task_faults = task_faults
        self._no_capacity_until: dict[str, float] = {}  # deployment id -> next placement try
        self.health_path, self.on_targets, self.app_command = health_path, on_targets, app_command
        self.tasks: list[Task] = []  # every task ever launched, stopped ones included
        self.errors: list[BaseException] = []
        self._failures: dict[str, int] = {}  # deployment id -> tasks that failed
        self._failed_at: dict[str, float] = {}  # deployment id -> time of its latest failure
        self._counts: dict[str, tuple[int, int]] = {}  # deployment id -> (running, pending) last set
        self._targets: Targets | None = None
        self._td_cache: dict[str, dict[str, Any]] = {}
        self._ips: Iterator[str] = loopback_addresses()
        self._checks = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"ecs-{ecs.service_name}", daemon=True)

    # -- lifecycle -----------------------------------------------------------------------
    def start(self) -> ServiceController:
        primary = self.ecs.primary()  # what create_service made: launch its tasks for real
        self.ecs.update(primary["id"], runningCount=0, pendingCount=0, rolloutState="IN_PROGRESS",
                        rolloutStateReason=f"ECS deployment {primary['id']} in progress.")
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread, then every task process (SIGTERM, SIGKILL after the timeout)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        live = [t for t in self.tasks if t.proc.poll() is None]
        for task in live:
            task.proc.terminate()
        for task in live:
            task.proc.stop(self.profile.stop_timeout)
        self._checks.shutdown(wait=False, cancel_futures=True)

    @property
    def pids(self) -> list[int]:
        return [t.proc.pid for t in self.tasks]

    def settled(self) -> bool:
        deps = self.ecs.deployments()
        return len(deps) == 1 and deps[0].get("rolloutState") == "COMPLETED"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except Exception as exc:  # kept for the sandbox to report; the service freezes
                self.errors.append(exc)
                return
            self._stop.wait(self.profile.tick)

    # -- one look ------------------------------------------------------------------------
    def step(self) -> None:
        now = time.monotonic()
        self._follow_wanted()
        primary = self.ecs.primary()
        for task in self._live():
            self._watch(task, now)
            if task.log is not None:
                task.log.flush()
        self._place(primary, now)
        self._replace_old(self.ecs.primary(), now)  # the circuit breaker may have rolled back
        self._count()
        self._complete(self.ecs.primary())
        self._publish_targets()

    def _live(self) -> list[Task]:
        return [t for t in self.tasks if t.state != "STOPPED"]

    def _of(self, dep_id: str, *states: TaskState) -> list[Task]:
        return [t for t in self.tasks if t.deployment_id == dep_id and t.state in states]

    def _follow_wanted(self) -> None:
        td, desired = self.ecs.wanted()
        primary = self.ecs.primary()
        if primary["taskDefinition"] != td:
            self.ecs.begin(td, desired)
        elif primary["desiredCount"] != desired and primary.get("rolloutState") != "FAILED":
            self.ecs.update(primary["id"], desiredCount=desired, rolloutState="IN_PROGRESS")

    def _watch(self, task: Task, now: float) -> None:
        code = task.proc.poll()
        if task.state == "STOPPING":
            if task.proc.enforce(self.profile.stop_timeout):
                task.state = "STOPPED"
            return
        if code is not None:
            reason = task.proc.container_reason()  # waits for the last lines to be read
            if task.log is not None:
                task.log.flush()  # in CloudWatch Logs before ECS shows the task stopped
            self._fail(task, CONTAINER_EXITED, code, reason)
            return
        if task.state == "PENDING":
            if task.proc.ready.is_set():
                task.state, task.next_check = "RUNNING", now
                self.ecs.set_task_status(task.arn, "RUNNING")
            elif now - task.launched > self.profile.ready_timeout:
                self._fail(task, FAILED_TO_START, None,
                           f"did not listen within {self.profile.ready_timeout:g} s")
        elif task.state == "DRAINING":
            if now >= task.drain_until:
                self._stop_task(task, f"Scaling activity initiated by (deployment {task.deployment_id})")
        elif task.state == "HEALTHY" and task.interrupt_at is not None and now >= task.interrupt_at:
            self._interrupt(task)
        elif task.state in ("RUNNING", "HEALTHY"):
            self._health(task, now)

    def _health(self, task: Task, now: float) -> None:
        check = task.check
        if check is not None and check.done():
            task.check = None
            task.record_check(check.result())
            if task.state == "RUNNING" and task.passes >= self.profile.new_target_checks:
                self._register(task)
            elif task.fails >= self.profile.unhealthy_threshold:
                tgs = ", ".join(tg for tg, _ in self.ecs.target_groups())
                self.ecs.event(f"(service {self.ecs.service_name}) (task {task.id}) (port {task.port}) "
                               f"is unhealthy in (target-group {tgs}) due to (reason Health checks failed).")
                self._fail(task, f"Task failed ELB health checks in (target-group {tgs})", None, None)
                return
        if task.check is None and now >= task.next_check:
            task.next_check = now + self.profile.health_interval
            future: Future[bool] = self._checks.submit(probe, task.ip, task.port, self.health_path,
                                                       self.profile.health_timeout)
            task.check = future

    # -- placing and replacing -----------------------------------------------------------
    def _place(self, primary: dict[str, Any], now: float) -> None:
        dep_id, desired = str(primary["id"]), int(primary["desiredCount"])
        if primary.get("rolloutState") == "FAILED":
            return
        enabled, rollback = self.ecs.circuit_breaker()
        failed = self._failures.get(dep_id, 0)
        if enabled and primary.get("rolloutState") == "IN_PROGRESS" \
                and failed >= self.profile.breaker_threshold(desired):
            self.ecs.fail(dep_id, BREAKER_REASON, rollback=rollback)
            return
        live = self._of(dep_id, "PENDING", "RUNNING", "HEALTHY")
        throttled = now < self._failed_at.get(dep_id, 0.0) + self.profile.relaunch_delay(failed) \
            or now < self._no_capacity_until.get(dep_id, 0.0)
        for _ in range(0 if throttled else desired - len(live)):
            if self.task_faults is not None and self.task_faults.no_capacity():
                self._no_capacity_until[dep_id] = now + self.task_faults.capacity_retry_s
                self.ecs.event(capacity_event(self.ecs.service_name))
                break
            self._launch(str(primary["taskDefinition"]), dep_id, desired, now)
        # scale in: unhealthy extras first, newest first
        extras = sorted(live, key=lambda t: (t.state == "HEALTHY", -t.launched))[:max(len(live) - desired, 0)]
        for task in extras:
            self._retire(task, now, "Service scaled in")

    def _replace_old(self, primary: dict[str, Any], now: float) -> None:
        """Old deployments give way as the PRIMARY's tasks turn healthy (min healthy 100%)."""
        keep = int(primary["desiredCount"]) - len(self._of(str(primary["id"]), "HEALTHY"))
        for task in self._live():
            if task.deployment_id == primary["id"] or task.state in ("DRAINING", "STOPPING"):
                continue
            if task.state == "HEALTHY" and keep > 0:
                keep -= 1
                continue
            self._retire(task, now, f"Scaling activity initiated by (deployment {task.deployment_id})")
        for dep in self.ecs.deployments():
            if dep["id"] != primary["id"] and not [t for t in self._live() if t.deployment_id == dep["id"]]:
                self.ecs.remove(dep["id"])

    def _complete(self, primary: dict[str, Any]) -> None:
        dep_id, desired = str(primary["id"]), int(primary["desiredCount"])
        if primary.get("rolloutState") != "IN_PROGRESS" or len(self.ecs.deployments()) != 1:
            return
        if len(self._of(dep_id, "HEALTHY")) == desired == len(self._of(dep_id, "PENDING", "RUNNING",
                                                                            "HEALTHY")):
            self.ecs.complete(dep_id)

    # -- one task ------------------------------------------------------------------------
    def _launch(self, td_arn: str, dep_id: str, desired: int, now: float) -> None:
        td = self._task_definition(td_arn)
        container = td["containerDefinitions"][0]
        ip = next(self._ips)
        port = free_port(ip)
        env = task_environment(
            {e["name"]: e["value"] for e in container.get("environment") or []},
            {"SANDBOX_CPU_UNITS": str(td["cpu"]), "SANDBOX_MEMORY_MIB": str(td["memory"]),
             "SANDBOX_REPLICAS": str(desired), "SANDBOX_START_DELAY": str(self.profile.task_start_delay),
             "SANDBOX_TIME_SCALE": str(self.profile.time_scale)})
        arn, _ = self.ecs.start_task(td_arn, dep_id, ip)
        log = open_log(self.logs, container, arn.rsplit("/", 1)[-1])
        stream = log if isinstance(log, TaskLog) else None
        proc = TaskProcess(self.app_command(ip, port), env, on_line=stream.line if stream else None)
        self.ecs.set_task_status(arn, "PENDING")
        task = Task(arn, dep_id, td_arn, ip, port, proc, launched=now, log=stream)
        self.tasks.append(task)
        self.ecs.event(f"(service {self.ecs.service_name}) has started 1 tasks: (task {task.id}).")
        if isinstance(log, str):  # the log driver could not start: the task never runs
            self._fail(task, log, None, None)

    def _task_definition(self, arn: str) -> dict[str, Any]:
        if arn not in self._td_cache:
            self._td_cache[arn] = self.ecs_api.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        return self._td_cache[arn]

    def _register(self, task: Task) -> None:
        for tg, _port in self.ecs.target_groups():
            self.elbv2.register_targets(TargetGroupArn=tg, Targets=[{"Id": task.ip, "Port": task.port}])
            self.ecs.event(f"(service {self.ecs.service_name}) registered 1 targets in (target-group {tg})")
        task.state = "HEALTHY"
        if self.task_faults is not None:
            task.interrupt_at = self.task_faults.interruption_at(time.monotonic())

    def _deregister(self, task: Task) -> None:
        for tg, _port in self.ecs.target_groups():
            self.elbv2.deregister_targets(TargetGroupArn=tg, Targets=[{"Id": task.ip, "Port": task.port}])

    def _retire(self, task: Task, now: float, reason: str) -> None:
        """A healthy task drains first; any other stops at once."""
        if task.state != "HEALTHY":
            self._stop_task(task, reason)
            return
        self._deregister(task)
        task.state, task.drain_until = "DRAINING", now + self.profile.deregistration_delay
        self.ecs.event(f"(service {self.ecs.service_name}) has begun draining connections on 1 tasks.")

    def _stop_task(self, task: Task, reason: str) -> None:
        task.proc.terminate()
        self.ecs.stop_task(task.arn, reason, 0)
        task.state = "STOPPING"

    def _interrupt(self, task: Task) -> None:
        """Spot reclaims a healthy task: it stops and is replaced, not held against the deployment."""
        self._deregister(task)
        task.proc.terminate()
        self.ecs.stop_task(task.arn, SPOT_REASON, 0, stop_code=SPOT_STOP_CODE)
        task.state = "STOPPING"
        self.ecs.event(f"(service {self.ecs.service_name}) has stopped 1 running tasks: (task {task.id}).")

    def _fail(self, task: Task, reason: str, exit_code: int | None, container_reason: str | None) -> None:
        """A task died or failed its checks: record why, count it against its deployment."""
        if task.state == "HEALTHY":
            self._deregister(task)
        task.proc.terminate()
        self.ecs.stop_task(task.arn, reason, exit_code, container_reason)
        task.state = "STOPPING"
        self._failures[task.deployment_id] = failed = self._failures.get(task.deployment_id, 0) + 1
        self._failed_at[task.deployment_id] = time.monotonic()
        if any(d["id"] == task.deployment_id for d in self.ecs.deployments()):
            self.ecs.update(task.deployment_id, failedTasks=failed)
        self.ecs.event(f"(service {self.ecs.service_name}) has stopped 1 running tasks: (task {task.id}).")

    # -- what others see -----------------------------------------------------------------
    def _count(self) -> None:
        for dep in self.ecs.deployments():
            running = len(self._of(dep["id"], "RUNNING", "HEALTHY", "DRAINING", "STOPPING"))
            pending = len(self._of(dep["id"], "PENDING"))
            if self._counts.get(dep["id"]) != (running, pending):
                self._counts[dep["id"]] = (running, pending)
                self.ecs.update(dep["id"], runningCount=running, pendingCount=pending)

    def running_addresses(self) -> Targets:
        """Tasks whose container is up (for the metrics feed); safe from other threads."""
        return [(t.ip, t.port) for t in list(self.tasks) if t.state in ("RUNNING", "HEALTHY", "DRAINING")]

    def healthy_targets(self) -> Targets:
        return [(t.ip, t.port) for t in self.tasks if t.state == "HEALTHY"]

    def _publish_targets(self) -> None:
        targets = self.healthy_targets()
        if targets != self._targets:
            self._targets = targets
            if self.on_targets is not None:
                self.on_targets(targets)
