"""The project's errors, each saying what the caller should do next.

- `ConfigError`: fix the config or the step; nothing was changed.
- `TransientError`: any AWS call, read or write, failed transiently (throttling, AWS 5xx,
  network, a concurrent-revision conflict); look again later, up to the step's deadline.
  `AwsTransient` names the action; `AwsUnreachable` means the endpoint did not answer at all.
- `AwsTerminal`: AWS refused in a way retrying will not fix (access denied, expired
  credentials, not found, invalid parameter); it names the action, the resource and, for
  access denied, the missing permission. `reason` is one of `FAIL_REASONS`.
- `AdjustmentRejected`: this configuration cannot run; do not retry it. `reason`
  is one of `REJECT_REASONS`, as in the original servo protocol.
- `MeasurementFailed`: the benchmark could not produce a trustworthy number;
  `CloudWatchUnreachable` when CloudWatch's endpoint did not answer at all.
- `Unreachable`: mixed into the errors above whose service did not answer; the CLI exits 3.

`worker.aws.clients.classify` is the one map from an AWS error onto these.
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

# Reasons of a step that ends `failed`: not the configuration's fault (README "Step statuses and
# reasons"); a failed benchmark also ends with one of ab's kinds (worker/load/abrun.py, AbFailed).
FAIL_REASONS = (
    "access-denied",  # AWS refused the worker's credentials or a permission (the message names it)
    "no-credentials",  # the worker found no AWS credentials at all (the CLI exits 3 with the remedy)
    "aws-not-found",  # the cluster, service or another resource the step uses is gone
    "aws-invalid",  # AWS called a request parameter invalid
    "aws-transient",  # AWS kept failing transiently until the step's deadline; the step was rolled back
    "rollback-failed",  # a rollback could not complete; the record says what the service runs
    "lease-lost",  # another step took the service while this step's worker was down
    "lost",  # the step's newest message vanished again and again: revoked, time limits (worker.flow.recovery)
    "no-load-url",  # ab.url is not set
    "measurement",  # the benchmark produced no usable number
    "enqueue",  # the producer could not enqueue the step
    "error",  # a bug: the message has the exception
)


class ServoError(Exception):
    """Base of every error servo-fargate raises on purpose."""


class Unreachable(ServoError):
    """The service did not answer at all (no route, refused, DNS): not the request's fault.
    The CLI exits 3 (EXIT_UNREACHABLE) for every error of this kind."""


class ConfigError(ServoError):
    """The config file or a requested step is invalid. Every problem is listed."""

    def __init__(self, problems: Iterable[str] | str) -> None:
        # One string is one problem: so is the message an exception is rebuilt from after a
        # pickle (a process pool) or a Celery result, not a list of its characters.
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


class RecordLost(ServoError):
    """A step record that was written is gone from Redis (flushed, or restarted without
    its append-only file)."""


class TransientError(ServoError):
    """A transient failure of an AWS call, a read as well as a write: the same call may
    succeed a moment later, so the step looks again until its deadline."""


class AwsUnreachable(TransientError, Unreachable):
    """AWS's endpoint did not answer (no route, refused, DNS)."""


class AwsTransient(TransientError):
    """AWS answered an action with a transient error (throttling, 5xx, a concurrent-revision
    conflict): the same call may succeed a moment later."""

    def __init__(self, action: str, code: str, message: str):
        self.action, self.code = action, code
        super().__init__(f"{action}: {code}: {message}")


class AwsTerminal(ServoError):
    """AWS refused an action in a way no retry fixes: fix the permission, credentials or
    resource it names, then run the step again."""

    def __init__(self, reason: str, action: str, code: str, message: str, *, resource: str | None = None,
                 permission: str | None = None):
        if reason not in FAIL_REASONS:
            raise ValueError(f"unknown failure reason {reason!r}")
        self.reason, self.action, self.code = reason, action, code
        self.resource, self.permission = resource, permission
        self.message = message
        where = f" on {resource}" if resource else ""
        need = f"; grant {permission} to the worker's role" if permission else ""
        super().__init__(f"{action}{where}: {code}: {message}{need}")


class AdjustmentRejected(ServoError):
    """The requested configuration cannot run; retrying the same step will not help."""

    def __init__(self, reason: str, message: str, *, rollback: dict[str, Any] | None = None):
        if reason not in REJECT_REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        self.reason = reason
        self.message = message
        self.rollback = rollback
        super().__init__(f"{reason}: {message}")


class MeasurementFailed(ServoError):
    """The benchmark did not produce a usable result."""


class CloudWatchUnreachable(MeasurementFailed, Unreachable):
    """CloudWatch's endpoint did not answer (no route, refused, DNS)."""
