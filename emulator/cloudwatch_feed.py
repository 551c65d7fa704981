"""Publish the metrics ECS and the ALB would, once per period, into moto's CloudWatch.

`AWS/ECS` CPUUtilization and MemoryUtilization (dimensions ClusterName, ServiceName) come
from the running tasks' own `/stats` (the demo app's model of its container); one datum
per period carries the tasks' SampleCount/Sum/Minimum/Maximum, as ECS aggregates over a
service's tasks. `AWS/ApplicationELB` RequestCount, HTTPCode_Target_5XX_Count and
HTTPCode_ELB_5XX_Count (Sum; zeros are published too) and TargetResponseTime (seconds,
SampleCount/Sum) come from the local load balancer, dimension LoadBalancer =
`app/<name>/<id>`.

Periods are aligned to the clock: the datum for [B - period, B) is put at B with
Timestamp B - period, so a query window aligned to the period (worker.cloudwatch) finds
each whole period's datum as soon as the period has ended.
"""

from __future__ import annotations

import http.client
import json
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
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
    """RequestCount, HTTPCode_Target_5XX_Count and TargetResponseTime for one period (pure)."""
    if target.load_balancer is None:
        return []
    dims = [{"Name": "LoadBalancer", "Value": target.load_balancer}]
    base = {"Dimensions": dims, "Timestamp": when, "StorageResolution": resolution}
    out: list[dict[str, Any]] = [
        {**base, "MetricName": "RequestCount", "Value": float(lb.requests), "Unit": "Count"},
        {**base, "MetricName": "HTTPCode_Target_5XX_Count", "Value": float(lb.http_5xx), "Unit": "Count"},
        {**base, "MetricName": "HTTPCode_ELB_5XX_Count", "Value": float(getattr(lb, "elb_5xx", 0)),
         "Unit": "Count"},
    ]
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
                 lb_stats: Callable[[], LbStatsLike] | None = None):
        self.cloudwatch, self.target, self.period = cloudwatch, target, period
        self.tasks, self.lb_stats = tasks, lb_stats
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
        while True:
            boundary = math.floor(time.time() / self.period + 1) * self.period
            if self._stop.wait(max(boundary - time.time(), 0)):
                return
            try:
                self.publish(datetime.fromtimestamp(boundary - self.period, UTC))
            except Exception as exc:  # keep publishing; the sandbox reports what failed
                self.errors.append(exc)

    def publish(self, when: datetime) -> None:
        """Put one period's data, stamped `when` (the period's start)."""
        stats = [s for s in (read_stats(host, port) for host, port in self.tasks()) if s]
        data = ecs_metric_data(stats, self.target, when, self.resolution)
        if data:
            self.cloudwatch.put_metric_data(Namespace="AWS/ECS", MetricData=data)
        if self.lb_stats is not None:
            alb = alb_metric_data(self.lb_stats(), self.target, when, self.resolution)
            if alb:
                self.cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=alb)
        self.published += 1
