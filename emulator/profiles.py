"""Timing profiles of the sandbox: how fast tasks start, health checks pass and targets drain.

`fast` settles a deployment in a few seconds, for demos and tests. `aws` uses the timings a
default AWS setup has, so the tool's behaviour under real timings can be studied.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    """Every timing the controller, the demo app and the metrics feed use. Seconds."""

    name: str
    task_start_delay: float  # from launch to the container listening (image pull + start)
    health_interval: float  # between two health checks of one target
    health_timeout: float  # one health check's HTTP timeout
    healthy_threshold: int  # the target group's HealthyThresholdCount (as provisioned)
    new_target_checks: int  # passing checks before a new target is registered (AWS: one)
    unhealthy_threshold: int  # failing checks in a row before ECS replaces the task
    deregistration_delay: float  # an old target drains this long before its task stops
    ready_timeout: float  # a task that does not listen within this is stopped
    stop_timeout: float  # SIGTERM, then SIGKILL after this (ECS stopTimeout)
    breaker_min_failures: int  # the deployment circuit breaker's lower threshold
    metrics_period: int  # CloudWatch datapoints are published once per period
    relaunch_backoff: float  # after a task of a deployment fails, the next launch waits this,
    #                          doubling with each failure (ECS throttles crash-looping services)
    time_scale: float = 1.0  # passed to the demo app: how fast its modeled clock runs
    tick: float = 0.05  # the controller looks at its tasks this often

    def breaker_threshold(self, desired: int) -> int:
        """Failed tasks before the circuit breaker trips: ECS uses half the desired count,
        at least 3 (here: at least `breaker_min_failures`) and at most 200."""
        return min(max(self.breaker_min_failures, math.ceil(desired / 2)), 200)

    def relaunch_delay(self, failures: int) -> float:
        """How long after a deployment's latest task failure its next task may launch."""
        return 0.0 if failures <= 0 else self.relaunch_backoff * 2 ** min(failures - 1, 6)



FAST = Profile(
    name="fast", task_start_delay=0.5, health_interval=0.5, health_timeout=2.0,
    healthy_threshold=2, new_target_checks=2, unhealthy_threshold=3,
    deregistration_delay=1.0, ready_timeout=15.0, stop_timeout=2.0,
    breaker_min_failures=3, metrics_period=10, relaunch_backoff=1.0,
)
AWS = Profile(
    name="aws", task_start_delay=40.0, health_interval=30.0, health_timeout=5.0,
    healthy_threshold=5, new_target_checks=1, unhealthy_threshold=2,
    deregistration_delay=300.0, ready_timeout=300.0, stop_timeout=30.0,
    breaker_min_failures=3, metrics_period=60, relaunch_backoff=10.0,
)
PROFILES = {p.name: p for p in (FAST, AWS)}


def profile_named(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown profile {name!r} (known: {', '.join(PROFILES)})") from None
