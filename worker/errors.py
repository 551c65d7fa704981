"""The project's errors, each saying what the caller should do next.

- `ConfigError`: fix the config or the step; nothing was changed.
- `AdjustmentFailed`: transient (throttling, AWS 5xx, network); retry the step.
- `AdjustmentRejected`: this configuration cannot run; do not retry it. `reason`
  is one of `REJECT_REASONS`, as in the original servo protocol.
- `MeasurementFailed`: the benchmark could not produce a trustworthy number.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REJECT_REASONS = (
    "invalid-settings",  # the step asks for something the config or Fargate does not allow
    "invalid-service",  # the service is missing, inactive or not on Fargate
    "start-failed",  # tasks of the new deployment stopped or could not be placed
    "unstable",  # the deployment failed or was rolled back by ECS
    "timeout",  # the deployment did not settle in time
    "cancelled",  # someone asked the step to stop
)


class ServoError(Exception):
    """Base of every error servo-fargate raises on purpose."""

    retryable = False

    def to_dict(self) -> dict[str, Any]:
        return {"error": type(self).__name__, "message": str(self)}


class ConfigError(ServoError):
    """The config file or a requested step is invalid. Every problem is listed."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "problems": self.problems}


class RecordLost(ServoError):
    """A step record that was written is gone from Redis (flushed, or restarted without
    its append-only file)."""


class AdjustmentFailed(ServoError):
    """A transient failure while changing the service; the step may be retried."""

    retryable = True


class AdjustmentRejected(ServoError):
    """The requested configuration cannot run; retrying the same step will not help."""

    def __init__(self, reason: str, message: str, *, rollback: dict[str, Any] | None = None):
        if reason not in REJECT_REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        self.reason = reason
        self.message = message
        self.rollback = rollback
        super().__init__(f"{reason}: {message}")

    def to_dict(self) -> dict[str, Any]:
        out = {**super().to_dict(), "reason": self.reason}
        if self.rollback is not None:
            out["rollback"] = self.rollback
        return out


class MeasurementFailed(ServoError):
    """The benchmark did not produce a usable result."""
