"""CloudWatch metrics over the measured run's window: one GetMetricData call (paginated)
for every `cloudwatch.metrics` query, MetricStat and metric-math Expression alike.

CloudWatch data arrives a minute or more late. This module does not wait: `ready_at` says
when to read, and the caller (a Celery countdown, or the CLI's sleep) decides how to wait.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from worker.aws import metric_shape as shape
from worker.contract.config import check_metric_queries
from worker.contract.errors import CloudWatchUnreachable, MeasurementFailed
from worker.contract.problems import Problems

DEFAULT_PERIOD_S = 60  # AWS/ECS and AWS/ApplicationELB publish at 1-minute resolution


@dataclass(frozen=True)
class CloudWatchMetric:
    """One query's result: its mean over the window and its time series."""

    id: str
    label: str
    unit: str  # MetricStat.Unit when the query names one, else ""
    mean: float | None  # None when CloudWatch returned no datapoints
    series: tuple[tuple[int, float], ...] = ()  # (unix seconds, value), oldest first
    note: str | None = None
    expected: int = 0  # datapoints the window should hold (0: not known, an expression)
    aggregate: str = ""  # what `mean` is, in words (metric_shape.aggregate)

    @property
    def partial(self) -> str | None:
        """'n of m datapoints' when the window holds fewer datapoints than expected."""
        if self.mean is not None and 0 < len(self.series) < self.expected:
            return f"{len(self.series)} of {self.expected} datapoints"
        return None


def short(metrics: Sequence[CloudWatchMetric]) -> list[str]:
    """Ids of the metrics whose window is missing datapoints (none at all, or some)."""
    return [m.id for m in metrics if m.mean is None or m.partial]


def check_queries(queries: Sequence[Mapping[str, Any]]) -> None:
    """Raise ConfigError unless the queries pass the config's check (queries handed to
    read_metrics by a caller of the API have not been through load_config)."""
    problems = Problems()
    check_metric_queries(queries, problems)
    problems.raise_if_any()


def period_of(queries: Sequence[Mapping[str, Any]]) -> int:
    """The longest period among the queries, which the window is aligned to."""
    periods = [int(q["MetricStat"].get("Period", DEFAULT_PERIOD_S)) if "MetricStat" in q
               else int(q.get("Period", DEFAULT_PERIOD_S)) for q in queries]
    return max(periods, default=DEFAULT_PERIOD_S)


def query_window(
    started: float, finished: float, period: int = DEFAULT_PERIOD_S,
) -> tuple[datetime, datetime]:
    """The run's window aligned to whole periods.

    Whole periods inside the run when there is at least one (a partly idle period would
    dilute the mean); otherwise the smallest aligned window that covers the run.
    CloudWatch (and moto) start buckets at StartTime, so alignment keeps them on the minute.
    """
    start, end = math.ceil(started / period) * period, math.floor(finished / period) * period
    if end <= start:
        start, end = math.floor(started / period) * period, math.ceil(finished / period) * period
        end = max(end, start + period)
    return datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)


def reread_at(ready: float, delay: float, period: int) -> float:
    """When to read a window short of datapoints once more: a delay or a period later,
    whichever is longer (late datapoints arrive with the next period's publishing)."""
    return ready + max(delay, period)


def ready_at(finished: float, delay: float) -> float:
    """Unix time after which CloudWatch should hold the run's data (`cloudwatch.delay`)."""
    return finished + delay


def read_metrics(
    client: Any, queries: Sequence[Mapping[str, Any]], start: datetime, end: datetime,
) -> list[CloudWatchMetric]:
    """Every query's mean and series between `start` and `end`.

    Args:
        client: a boto3 CloudWatch client.
        queries: boto3 MetricDataQuery dicts (`cloudwatch.metrics`).
        start: window start, aligned (see `query_window`).
        end: window end, aligned.

    Returns:
        One CloudWatchMetric per query that returns data (ReturnData is not false), in the
        queries' order; a query without datapoints has `mean=None` and a note.

    Raises:
        MeasurementFailed: CloudWatch refused the request or cannot be reached.
    """
    check_queries(queries)
    values: dict[str, list[tuple[int, float]]] = {}
    labels: dict[str, str] = {}
    messages: dict[str, list[str]] = {}
    try:
        pages = client.get_paginator("get_metric_data").paginate(
            MetricDataQueries=[dict(q) for q in queries], StartTime=start, EndTime=end,
            ScanBy="TimestampAscending")
        for page in pages:
            for res in page.get("MetricDataResults", []):
                qid = res["Id"]
                labels.setdefault(qid, res.get("Label") or qid)
                points = values.setdefault(qid, [])
                points += [(int(ts.timestamp()), float(v))
                           for ts, v in zip(res.get("Timestamps", []), res.get("Values", []), strict=False)]
                messages.setdefault(qid, []).extend(m.get("Value", "") for m in res.get("Messages", []))
    except EndpointConnectionError as exc:
        raise CloudWatchUnreachable(f"cannot reach CloudWatch ({exc})") from exc
    except (ClientError, BotoCoreError) as exc:
        raise MeasurementFailed(f"CloudWatch GetMetricData failed: {exc}") from exc
    window = f"{start:%Y-%m-%dT%H:%M:%SZ} .. {end:%Y-%m-%dT%H:%M:%SZ}"
    # A query CloudWatch left out entirely is as missing as one with no datapoints.
    bounds = (int(start.timestamp()), int(end.timestamp()))
    return [_metric(q, labels.get(q["Id"], q.get("Label") or q["Id"]), sorted(values.get(q["Id"], [])),
                    messages.get(q["Id"], []), window, bounds)
            for q in queries if q.get("ReturnData", True) is not False]


# Why a metric can be missing, for the record (a run shorter than a period is refused at submit).
MISSING_WHY = ("CloudWatch returned none for this query in the run's window; check the metric's namespace, "
               "name and dimensions against the service, or raise cloudwatch.delay if its data comes later "
               "(it was read once more before it was left out)")


def read_run(client: Any, queries: Sequence[Mapping[str, Any]], started: float, finished: float,
             ) -> tuple[list[CloudWatchMetric], tuple[datetime, datetime]]:
    """The queries read over a run's aligned window, a run too short for a whole period said
    so; and that window. The benchmark stage and `servo-fargate measure` both read this way."""
    period = period_of(queries)
    window = query_window(started, finished, period)
    return explain_short_run(read_metrics(client, queries, *window), finished - started, period), window


def explain_short_run(metrics: Sequence[CloudWatchMetric], run_s: float,
                      period: int) -> list[CloudWatchMetric]:
    """A run shorter than the period: its missing metrics say that this is why, and its present
    ones that they average a whole period, partly idle (the window widened to one period)."""
    if run_s >= period:
        return list(metrics)
    why = (f"the run ({run_s:.0f} s) was shorter than the CloudWatch period ({period} s), so no whole "
           f"period lay inside it; run at least {period} s")
    diluted = (f"averages a whole {period} s period, of which the run was {run_s:.0f} s: partly idle, "
               f"so lower than under load; run at least {period} s")
    return [replace(m, note=f"{(m.note or '').split(': ', 1)[0]}: {why}") if m.mean is None
            else replace(m, note=f"{m.note}; {diluted}" if m.note else diluted) for m in metrics]


def _metric(query: Mapping[str, Any], label: str, series: list[tuple[int, float]],
            messages: list[str], window: str, bounds: tuple[int, int]) -> CloudWatchMetric:
    unit = str(query.get("MetricStat", {}).get("Unit", ""))
    period = period_of([query])
    expected = shape.expected_points(*bounds, period) if "MetricStat" in query else 0
    how = shape.aggregate(query, period)
    if shape.is_sparse_count(query):  # absent means zero: FILL(m, 0), done here (moto lacks FILL)
        series = shape.fill_zeros(series, *bounds, period)
    if not series:
        extra = f" ({'; '.join(m for m in messages if m)})" if any(messages) else ""
        return CloudWatchMetric(query["Id"], label, unit, None, note=f"no datapoints in {window}{extra}: "
                                f"{MISSING_WHY}", expected=expected, aggregate=how)
    mean = sum(v for _, v in series) / len(series)
    return CloudWatchMetric(query["Id"], label, unit, mean, tuple(series), expected=expected, aggregate=how)
