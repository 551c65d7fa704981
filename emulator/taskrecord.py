"""What the controller knows about one task: its process, address, state and health."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Literal

from emulator.logdriver import TaskLog
from emulator.taskproc import TaskProcess

# PENDING: launched, not listening yet. RUNNING: listening, not yet a healthy target.
# HEALTHY: registered in the target group. DRAINING: deregistered, in-flight requests finish.
# STOPPING: signalled to stop. STOPPED: the process has ended and been reaped.
TaskState = Literal["PENDING", "RUNNING", "HEALTHY", "DRAINING", "STOPPING", "STOPPED"]


@dataclass(eq=False)
class Task:
    arn: str
    deployment_id: str
    task_definition: str
    ip: str
    port: int
    proc: TaskProcess
    launched: float  # time.monotonic()
    state: TaskState = "PENDING"
    passes: int = 0  # health checks passed in a row
    fails: int = 0  # health checks failed in a row
    next_check: float = 0.0
    check: Future[bool] | None = None
    drain_until: float = 0.0
    interrupt_at: float | None = None  # a Spot interruption is due then (emulator/taskfaults.py)
    log: TaskLog | None = None  # its awslogs stream (emulator/logdriver.py)

    @property
    def id(self) -> str:
        return self.arn.rsplit("/", 1)[-1]

    def record_check(self, ok: bool) -> None:
        self.passes, self.fails = (self.passes + 1, 0) if ok else (0, self.fails + 1)
