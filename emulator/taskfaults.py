"""Fargate's bad days for the sandbox's tasks: capacity shortages and Spot interruptions.

Both are drawn from the fault spec's seeded dice (emulator/faults.py) and played by the
controller (emulator/controller.py). Neither counts toward the deployment circuit breaker,
as on ECS: a task that was never placed did not fail, and an interrupted one was healthy.
"""

from __future__ import annotations

from emulator.faults import Dice, Faults
from emulator.profiles import Profile

CAPACITY_REASON = ("Capacity is unavailable at this time. Please try again later or in a different "
                   "availability zone.")
SPOT_STOP_CODE = "SpotInterruption"
SPOT_REASON = "Your Spot Task was interrupted."  # ECS's stoppedReason for a reclaimed Spot task
CAPACITY_RETRY_HEALTH_INTERVALS = 4  # ECS's scheduler tries to place again a while later
SPOT_WINDOW_HEALTH_INTERVALS = 10  # an interrupted task goes within this after it turns healthy


def capacity_event(service: str) -> str:
    """The service event ECS writes when Fargate has no capacity for a task."""
    return f"(service {service}) was unable to place a task. Reason: {CAPACITY_REASON}"


class TaskFaults:
    """When a task start finds no capacity, and when a healthy task is interrupted."""

    def __init__(self, faults: Faults, profile: Profile, dice: Dice | None = None):
        self.faults, self.profile = faults, profile
        self.dice = dice if dice is not None else Dice(faults.seed)

    def no_capacity(self) -> bool:
        """Draw for one task start: True when Fargate has no capacity for it now."""
        return self.dice.hit(self.faults.capacity, "capacity")

    @property
    def capacity_retry_s(self) -> float:
        return CAPACITY_RETRY_HEALTH_INTERVALS * self.profile.health_interval

    def interruption_at(self, now: float) -> float | None:
        """Draw for a task that just turned healthy: when Spot reclaims it, or None."""
        if not self.dice.hit(self.faults.spot, "spot"):
            return None
        window = SPOT_WINDOW_HEALTH_INTERVALS * self.profile.health_interval
        return now + self.dice.uniform(0.0, window, "spot-delay")
