"""What a CloudWatch query's datapoints mean, as ALB and ECS really publish them (AWS's "CloudWatch
metrics for your Application Load Balancer": counts exist only for minutes where they are nonzero):
which counts are absent when zero, how many datapoints a window should hold, and what the
value servo-fargate reports for a query is (a mean of per-period statistics, or a sum).

Pure functions; worker/aws/cloudwatch.py applies them to what GetMetricData returned.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# ALB publishes these only for periods where the count is nonzero: a missing datapoint is 0.
# (CloudWatch's metric math FILL(m, 0) says the same; moto does not evaluate FILL, so the
# zeros are filled here, in code, which real CloudWatch and moto both then agree with.)
SPARSE_COUNTS = re.compile(r"^(HTTPCode_.*|RequestCount|RequestCountPerTarget|RejectedConnectionCount|"
                           r"TargetConnectionErrorCount|TargetTLSNegotiationErrorCount|"
                           r"ClientTLSNegotiationErrorCount)$")
COUNT_STATS = ("Sum", "SampleCount")
PERCENTILE = re.compile(r"^(p|tm|wm|tc|ts|pr)\d+(\.\d+)?|^(TM|WM|TC|TS|PR)\(.*\)$")


def is_sparse_count(query: Mapping[str, Any]) -> bool:
    """True for a Sum/SampleCount of a metric that is absent, not zero, in a quiet period."""
    stat = query.get("MetricStat")
    if not stat:
        return False
    metric = stat.get("Metric", {})
    return (stat.get("Stat") in COUNT_STATS and metric.get("Namespace") == "AWS/ApplicationELB"
            and bool(SPARSE_COUNTS.match(str(metric.get("MetricName", "")))))


def expected_points(start: float, end: float, period: int) -> int:
    """Datapoints a window of whole periods holds when the metric is published every period."""
    return max(int((end - start) // period), 0)


def fill_zeros(series: Sequence[tuple[int, float]], start: int, end: int,
               period: int) -> list[tuple[int, float]]:
    """`series` with 0 for every period of [start, end) that has no datapoint (FILL(m, 0))."""
    filled = dict.fromkeys(range(start, end, period), 0.0)
    filled.update(dict(series))
    return sorted(filled.items())


def aggregate(query: Mapping[str, Any], period: int) -> str:
    """What the reported value of `query` is, in words, for the measurement's annotations."""
    stat = query.get("MetricStat")
    if not stat:
        return f"mean of the expression's per-{period} s values"
    name = str(stat.get("Stat", ""))
    if PERCENTILE.match(name):
        return (f"mean of per-{period} s {name} values: not the window's {name} "
                "(percentiles of separate periods do not average into one)")
    if is_sparse_count(query):
        return f"mean per {period} s of {name}, a period without a datapoint counted as 0"
    return f"mean of per-{period} s {name} values"
