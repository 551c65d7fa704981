"""Publish the metrics ECS and the ALB would, once per period, into moto's CloudWatch.

`AWS/ECS` CPUUtilization and MemoryUtilization (dimensions ClusterName, ServiceName) come
from the running tasks' own `/stats` (the demo app's model of its container); one datum
per period carries the tasks' SampleCount/Sum/Minimum/Maximum, as ECS aggregates over a
service's tasks. `AWS/ApplicationELB` RequestCount, HTTPCode_Target_5XX_Count and
HTTPCode_ELB_5XX_Count (Sum) and TargetResponseTime (seconds, SampleCount/Sum) come from
the local load balancer, dimension LoadBalancer = `app/<name>/<id>`. Published as the ALB
does (AWS's "CloudWatch metrics for your Application Load Balancer"): RequestCount and
TargetResponseTime only for periods with requests, HTTPCode_* only when nonzero.

Periods are aligned to the clock: the datum for [B - period, B) is put at B with
Timestamp B - period, so a query window aligned to the period (worker.aws.cloudwatch) finds
each whole period's datum as soon as the period has ended; with `delay` (the fault spec's
`metrics-delay`) it is put `delay` seconds later, as CloudWatch data lands late on AWS.
"""

from __future__ import annotations

import http.client
import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

STATS_TIMEOUT_S = 1.0


class LbStatsLike(Protocol):
    requests: int
    http_5xx: int
    target_response_time_sum_s: float
    target_response_time_samples: int


@dataclass(frozen=True)
class FeedTarget:
    """Where the metrics go: the service's and the load balancer's dimensions."""

    cluster: str
    service: str
    load_balancer: str | None  # `app/name/id`, None without a load balancer


def lb_dimension(load_balancer_arn: str) -> str:
    """`app/name/id` from an ALB ARN, as CloudWatch's LoadBalancer dimension."""
    return load_balancer_arn.split(":loadbalancer/", 1)[1]


def read_stats(host: str, port: int, timeout: float = STATS_TIMEOUT_S) -> dict[str, Any] | None:
    """A task's `/stats`, or None when it does not answer."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", "/stats")
        resp = conn.getresponse()
        body = resp.read()
        return dict(json.loads(body)) if resp.status == 200 else None
    except (OSError, ValueError):
        return None
    finally:
        conn.close()


def _aggregate(name: str, values: Sequence[float], dims: list[dict[str, str]], unit: str,
               when: datetime, resolution: int) -> dict[str, Any]:
    return {"MetricName": name, "Dimensions": dims, "Timestamp": when, "Unit": unit,
            "StorageResolution": resolution,
            "StatisticValues": {"SampleCount": float(len(values)), "Sum": float(sum(values)),
                                "Minimum": float(min(values)), "Maximum": float(max(values))}}


def ecs_metric_data(stats: Sequence[dict[str, Any]], target: FeedTarget, when: datetime,
                    resolution: int) -> list[dict[str, Any]]:
    """CPUUtilization and MemoryUtilization over the tasks' stats (pure)."""
    dims = [{"Name": "ClusterName", "Value": target.cluster},
            {"Name": "ServiceName", "Value": target.service}]
    out = []
    for name, key in (("CPUUtilization", "cpu_utilization_percent"),
                      ("MemoryUtilization", "memory_utilization_percent")):
        values = [float(s[key]) for s in stats if isinstance(s.get(key), int | float)]
        if values:
            out.append(_aggregate(name, values, dims, "Percent", when, resolution))
    return out


def alb_metric_data(lb: LbStatsLike, target: FeedTarget, when: datetime,
                    resolution: int) -> list[dict[str, Any]]:
    """RequestCount, HTTPCode_*_5XX_Count and TargetResponseTime for one period (pure);
    like the ALB, nothing for a count that is zero."""
    if target.load_balancer is None:
        return []
    dims = [{"Name": "LoadBalancer", "Value": target.load_balancer}]
    base = {"Dimensions": dims, "Timestamp": when, "StorageResolution": resolution}
    counts = (("RequestCount", lb.requests), ("HTTPCode_Target_5XX_Count", lb.http_5xx),
              ("HTTPCode_ELB_5XX_Count", getattr(lb, "elb_5xx", 0)))
    out: list[dict[str, Any]] = [{**base, "MetricName": name, "Value": float(value), "Unit": "Count"}
                                 for name, value in counts if value]
    if lb.target_response_time_samples:
        mean = lb.target_response_time_sum_s / lb.target_response_time_samples
        out.append({**base, "MetricName": "TargetResponseTime", "Unit": "Seconds", "StatisticValues": {
            "SampleCount": float(lb.target_response_time_samples),
            "Sum": float(lb.target_response_time_sum_s), "Minimum": mean, "Maximum": mean}})
    return out


class MetricsFeed:
    """A thread that publishes every `period` seconds until stopped."""

    def __init__(self, cloudwatch: Any, target: FeedTarget, period: int, *,
                 tasks: Callable[[], list[tuple[str, int]]],
                 lb_stats: Callable[[], LbStatsLike] | None = None, delay: float = 0.0):
        self.cloudwatch, self.target, self.period = cloudwatch, target, period
        self.tasks, self.lb_stats, self.delay = tasks, lb_stats, delay
        self._late: list[tuple[float, str, list[dict[str, Any]]]] = []  # (due, namespace, data)
        self.resolution = 1 if period < 60 else 60
        self.published = 0  # periods published, for tests
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-feed", daemon=True)

    def start(self) -> MetricsFeed:
        if self.lb_stats is not None:
            self.lb_stats()  # start the first period from zero
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        boundary = math.floor(time.time() / self.period + 1) * self.period
        while True:
            wake = min([boundary, *(due for due, _, _ in self._late)])
            if self._stop.wait(max(wake - time.time(), 0)):
                return
            try:
                if time.time() >= boundary:
                    self.publish(datetime.fromtimestamp(boundary - self.period, UTC))
                    boundary += self.period
                self._put_due(time.time())
            except Exception as exc:  # keep publishing; the sandbox reports what failed
                self.errors.append(exc)

    def publish(self, when: datetime) -> None:
        """Collect one period's data, stamped `when` (the period's start), and put it
        `delay` seconds after the period's end (at once without a delay)."""
        stats = [s for s in (read_stats(host, port) for host, port in self.tasks()) if s]
        due = (when + timedelta(seconds=self.period)).timestamp() + self.delay
        data = ecs_metric_data(stats, self.target, when, self.resolution)
        if data:
            self._late.append((due, "AWS/ECS", data))
        if self.lb_stats is not None:
            alb = alb_metric_data(self.lb_stats(), self.target, when, self.resolution)
            if alb:
                self._late.append((due, "AWS/ApplicationELB", alb))
        self.published += 1
        if not self.delay:
            self._put_due(math.inf)

    def _put_due(self, now: float) -> None:
        due = [item for item in self._late if item[0] <= now]
        self._late = [item for item in self._late if item[0] > now]
        for _, namespace, data in due:
            self.cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)
