"""AWS's API token buckets, per account and region, as the hostile sandbox enforces them.

Every action belongs to one family; each family is one bucket of `burst` tokens that
refills at `rate` tokens per second (ECS "Request throttling for the Amazon ECS API", ELB
API throttling; the table with its sources is in emulator/README.md). A call takes one
token; an empty bucket answers the throttling error. Actions of no family are not
throttled. The buckets start full, as an account nobody has used for a while.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    burst: float  # bucket size: calls allowed at once
    rate: float  # refill, calls per second sustained


# (service, family) -> rate. Services are boto3 client names.
RATES: dict[str, Rate] = {
    "ecs.cluster-read": Rate(50, 20),
    "ecs.service-read": Rate(50, 20),
    "ecs.task-read": Rate(50, 20),
    "ecs.task-definition-read": Rate(50, 20),
    "ecs.task-definition-write": Rate(20, 1),
    "ecs.service-write": Rate(20, 5),
    "elbv2.describe": Rate(40, 10),
    "elbv2.targets": Rate(20, 5),
    "cloudwatch.get-metric-data": Rate(50, 50),
    "cloudwatch.list-metrics": Rate(25, 25),
    "ec2.describe": Rate(100, 20),
    "logs.get-log-events": Rate(25, 25),
}

FAMILIES: dict[str, str] = {  # "service:Action" -> family
    **{f"ecs:{a}": "ecs.cluster-read" for a in ("DescribeClusters", "ListClusters")},
    **{f"ecs:{a}": "ecs.service-read" for a in ("DescribeServices", "ListServices")},
    **{f"ecs:{a}": "ecs.task-read" for a in ("DescribeTasks", "ListTasks")},
    **{f"ecs:{a}": "ecs.task-definition-read" for a in (
        "DescribeTaskDefinition", "ListTaskDefinitions", "ListTaskDefinitionFamilies")},
    **{f"ecs:{a}": "ecs.task-definition-write" for a in (
        "RegisterTaskDefinition", "DeregisterTaskDefinition")},
    **{f"ecs:{a}": "ecs.service-write" for a in ("UpdateService", "CreateService", "DeleteService")},
    **{f"elbv2:{a}": "elbv2.describe" for a in (
        "DescribeTargetHealth", "DescribeTargetGroups", "DescribeLoadBalancers", "DescribeListeners",
        "DescribeRules", "DescribeTags", "DescribeTargetGroupAttributes", "DescribeLoadBalancerAttributes")},
    **{f"elbv2:{a}": "elbv2.targets" for a in ("RegisterTargets", "DeregisterTargets")},
    "cloudwatch:GetMetricData": "cloudwatch.get-metric-data",
    "cloudwatch:ListMetrics": "cloudwatch.list-metrics",
    "logs:GetLogEvents": "logs.get-log-events",
}


def family_of(service: str, action: str) -> str | None:
    """The bucket an action draws from; EC2 Describe* share one; None: not throttled."""
    family = FAMILIES.get(f"{service}:{action}")
    if family is None and service == "ec2" and action.startswith("Describe"):
        return "ec2.describe"
    return family


class TokenBucket:
    """`burst` tokens, refilled continuously at `rate` per second; not thread-safe alone."""

    def __init__(self, burst: float, rate: float, now: float):
        self.burst, self.rate = burst, rate
        self.tokens, self.updated = burst, now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + max(now - self.updated, 0.0) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Throttle:
    """One bucket per family, scaled by `factor`; `customer` of each sustained rate is spent
    by the account's other users (the console, CI deploys), so only the rest refills for us."""

    def __init__(self, factor: float, customer: float = 0.0,
                 clock: Callable[[], float] = time.monotonic):
        self.factor, self.customer, self.clock = factor, customer, clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    def admit(self, service: str, action: str) -> bool:
        """Take a token for one call; False when it is throttled. Always True when off."""
        family = family_of(service, action)
        if not self.factor or family is None:
            return True
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(family)
            if bucket is None:
                spec = RATES[family]
                bucket = self._buckets[family] = TokenBucket(
                    spec.burst * self.factor, spec.rate * self.factor * (1.0 - self.customer), now)
            return bucket.take(now)
