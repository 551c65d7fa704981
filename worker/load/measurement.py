"""The benchmark stage's result, in the servo measure format that users of the original know:
`{"metrics": {name: {"value", "unit"}}, "annotations": {...}}`, a time series carried as
`{"values": [{"id": "0", "data": [[ts, v], ...]}]}` beside the metric's mean.

It travels as JSON (Celery, step records), so `from_dict(to_dict(m)) == m`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from worker.aws.cloudwatch import CloudWatchMetric
from worker.contract import constants as C
from worker.load.ab import NAMED_PERCENTILES, AbResult
from worker.load.abrun import AbRun


@dataclass(frozen=True)
class Metric:
    """A value with its unit; CloudWatch metrics also carry their series."""

    value: float | None
    unit: str
    series: tuple[tuple[int, float], ...] = ()
    note: str | None = None  # why the value is missing, when it is

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "unit": self.unit}
        if self.series:
            out["values"] = [{"id": "0", "data": [[ts, v] for ts, v in self.series]}]
        if self.note is not None:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Metric:
        series = tuple((int(ts), v) for item in raw.get("values", []) for ts, v in item["data"])
        return cls(value=raw.get("value"), unit=raw.get("unit", ""), series=series, note=raw.get("note"))


@dataclass(frozen=True)
class Measurement:
    """Named metrics and free-form (JSON-safe) annotations."""

    metrics: Mapping[str, Metric]
    annotations: Mapping[str, Any] = field(default_factory=dict)

    def value(self, name: str) -> float | None:
        """The metric's value, or None when it is missing or unknown."""
        metric = self.metrics.get(name)
        return None if metric is None else metric.value

    def to_dict(self) -> dict[str, Any]:
        """The servo measure format."""
        return {"metrics": {name: m.to_dict() for name, m in self.metrics.items()},
                "annotations": dict(self.annotations)}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Measurement:
        """Inverse of `to_dict`."""
        return cls(metrics={name: Metric.from_dict(m) for name, m in raw.get("metrics", {}).items()},
                   annotations=dict(raw.get("annotations", {})))


def ab_metrics(result: AbResult) -> dict[str, Metric]:
    """apache bench's numbers under their servo names."""
    out = {
        C.METRIC_THROUGHPUT: Metric(result.requests_per_second, "requests/second"),
        C.METRIC_TIME_TAKEN: Metric(result.time_taken_s, "s"),
        C.METRIC_ERRORS: Metric(result.errors, "count"),
        C.METRIC_TIME_PER_REQUEST: Metric(result.time_per_request_ms, "ms"),
        C.METRIC_TIME_PER_REQUEST_ALL: Metric(result.time_per_request_all_ms, "ms"),
        C.METRIC_ERROR_RATE: Metric(result.error_rate, "ratio"),
        "complete requests": Metric(result.complete, "count"),
        "non-2xx responses": Metric(result.non_2xx, "count"),
        "connect errors": Metric(result.connect_errors, "count"),
        "receive errors": Metric(result.receive_errors, "count"),
        "exceptions": Metric(result.exceptions, "count"),
        "write errors": Metric(result.write_errors, "count"),
        "keep-alive requests": Metric(result.keepalive, "count"),
        "bytes transferred": Metric(result.bytes_transferred, "bytes"),
    }
    for percent in NAMED_PERCENTILES:
        out[C.METRIC_PERCENTILE.format(percent)] = Metric(result.percentile(percent), "ms")
    out["time per request max"] = Metric(result.percentile(100), "ms")
    return out


def cloudwatch_metrics(metrics: Sequence[CloudWatchMetric]) -> dict[str, Metric]:
    """CloudWatch results keyed by query Id (unique, and never clashing with ab's names)."""
    return {m.id: Metric(m.mean, m.unit, m.series, m.note) for m in metrics}


def cloudwatch_annotations(metrics: Sequence[CloudWatchMetric]) -> dict[str, Any]:
    """What each CloudWatch value is (a mean of per-period statistics, zeros filled in for
    absent counts), and which metrics are missing or partial."""
    out: dict[str, Any] = {}
    if metrics:
        out["cloudwatch values"] = {m.id: m.aggregate for m in metrics if m.aggregate}
    missing = {m.id: m.note for m in metrics if m.mean is None}
    if missing:
        out["missing metrics"] = missing
    partial = {m.id: m.partial for m in metrics if m.partial}
    if partial:
        out["partial metrics"] = partial
    return out


def build_measurement(
    run: AbRun, cloudwatch: Sequence[CloudWatchMetric] = (),
    window: tuple[datetime, datetime] | None = None,
) -> Measurement:
    """The stage's Measurement: ab's metrics, CloudWatch's, and what produced them."""
    annotations: dict[str, Any] = {
        "ab command": list(run.command),  # redacted: no -A secret
        "ab processes": run.processes,
        "started": _iso(run.started),
        "finished": _iso(run.finished),
        "cancelled": run.cancelled,
        "interrupted": run.result.interrupted,
    }
    return with_cloudwatch(Measurement(metrics=ab_metrics(run.result), annotations=annotations),
                           cloudwatch, window)


def with_cloudwatch(base: Measurement, cloudwatch: Sequence[CloudWatchMetric],
                    window: tuple[datetime, datetime] | None) -> Measurement:
    """`base` with CloudWatch's metrics, what they are, and the window they were read over:
    the one way to add them (the benchmark stage adds them later, from the step record)."""
    annotations = {**base.annotations, **cloudwatch_annotations(cloudwatch)}
    if window is not None:
        annotations["cloudwatch window"] = [_iso(window[0].timestamp()), _iso(window[1].timestamp())]
    return Measurement(metrics={**base.metrics, **cloudwatch_metrics(cloudwatch)}, annotations=annotations)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
