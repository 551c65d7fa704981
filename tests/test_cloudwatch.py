"""CloudWatch queries against moto, seeded with put_metric_data.

moto's metric math only evaluates an Expression that names another query's Id, so the
Expression test uses that form; real CloudWatch evaluates any expression the same way.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from worker.aws import cloudwatch as cw
from worker.aws.metric_shape import aggregate, fill_zeros, is_sparse_count
from worker.contract.errors import ConfigError, MeasurementFailed
from worker.load.measurement import cloudwatch_annotations, cloudwatch_metrics

DIMS = [{"Name": "ClusterName", "Value": "default"}, {"Name": "ServiceName", "Value": "web"}]


def stat(qid: str, name: str, statistic: str = "Average", **extra: Any) -> dict[str, Any]:
    return {"Id": qid, "MetricStat": {
        "Metric": {"Namespace": "AWS/ECS", "MetricName": name, "Dimensions": DIMS},
        "Period": 60, "Stat": statistic, **extra}}


@pytest.fixture
def minute0(clients: Any) -> int:
    """Seed CPUUtilization 10, 20, 30, 40 in four whole minutes ending 5 minutes ago."""
    m0 = (int(time.time()) // 60 - 9) * 60
    for i, value in enumerate([10, 20, 30, 40]):
        clients.cloudwatch.put_metric_data(Namespace="AWS/ECS", MetricData=[{
            "MetricName": "CPUUtilization", "Dimensions": DIMS, "Unit": "Percent", "Value": value,
            "Timestamp": datetime.fromtimestamp(m0 + i * 60 + 5, UTC)}])
    return m0


def test_window_is_the_runs_whole_minutes() -> None:
    start, end = cw.query_window(1_000_030.5, 1_000_290.0)  # 1_000_020 is a whole minute
    assert (start.timestamp(), end.timestamp()) == (1_000_080, 1_000_260)


def test_a_run_shorter_than_a_period_gets_the_period_around_it() -> None:
    start, end = cw.query_window(1_000_030, 1_000_040)
    assert (start.timestamp(), end.timestamp()) == (1_000_020, 1_000_080)


def test_metric_stat_query_gives_mean_and_series(clients: Any, minute0: int) -> None:
    window = cw.query_window(minute0 - 30, minute0 + 4 * 60 + 30)
    [cpu] = cw.read_metrics(clients.cloudwatch, [stat("cpu", "CPUUtilization", Unit="Percent")], *window)
    assert cpu.mean == 25.0 and cpu.unit == "Percent" and cpu.note is None
    assert cpu.series == tuple((minute0 + i * 60, v) for i, v in enumerate([10.0, 20.0, 30.0, 40.0]))


def test_expression_query_works_beside_metric_stat(clients: Any, minute0: int) -> None:
    queries = [{**stat("raw", "CPUUtilization", "Maximum"), "ReturnData": False},
               {"Id": "cpu_max", "Expression": "raw", "Label": "cpu max"}]
    window = cw.query_window(minute0, minute0 + 2 * 60)
    [metric] = cw.read_metrics(clients.cloudwatch, queries, *window)  # ReturnData false: not reported
    assert metric.id == "cpu_max" and metric.label == "cpu max"
    assert metric.mean == 15.0 and [v for _, v in metric.series] == [10.0, 20.0]


def test_a_metric_without_datapoints_is_missing_with_a_note(clients: Any, minute0: int) -> None:
    queries = [stat("cpu", "CPUUtilization"), stat("mem", "MemoryUtilization")]
    window = cw.query_window(minute0, minute0 + 60)
    cpu, mem = cw.read_metrics(clients.cloudwatch, queries, *window)
    assert cpu.mean == 10.0
    assert mem.mean is None and mem.series == () and "no datapoints" in (mem.note or "")
    assert "namespace, name and dimensions" in (mem.note or "")  # the record says why
    shown = cloudwatch_metrics([cpu, mem])["mem"].to_dict()
    assert shown["value"] is None and "no datapoints" in shown["note"]


def test_a_refused_query_is_a_measurement_failure(clients: Any, minute0: int) -> None:
    window = cw.query_window(minute0, minute0 + 60)
    with pytest.raises(MeasurementFailed, match="GetMetricData"):  # moto answers p95 with HTTP 500
        cw.read_metrics(clients.cloudwatch, [stat("p", "CPUUtilization", "p95")], *window)


def test_queries_need_unique_ids_and_one_kind_each() -> None:
    with pytest.raises(ConfigError) as info:
        cw.check_queries([stat("a", "X"), stat("a", "Y"), {"Id": "b"},
                          {**stat("c", "Z"), "Expression": "a"}])
    assert len(info.value.problems) == 3


def test_the_window_aligns_to_the_longest_period() -> None:
    queries = [stat("a", "X"),
               {**stat("b", "Y"), "MetricStat": {**stat("b", "Y")["MetricStat"], "Period": 300}}]
    assert cw.period_of(queries) == 300
    assert cw.ready_at(100.0, 60) == 160.0


LB = [{"Name": "LoadBalancer", "Value": "app/web-alb/1234"}]


def alb(qid: str, name: str, statistic: str = "Sum") -> dict[str, Any]:
    return {"Id": qid, "MetricStat": {"Metric": {"Namespace": "AWS/ApplicationELB", "MetricName": name,
                                                 "Dimensions": LB}, "Period": 60, "Stat": statistic}}


def test_an_alb_error_count_absent_in_quiet_minutes_counts_them_as_zero(clients: Any, minute0: int) -> None:
    """ALB publishes HTTPCode_* only for minutes with errors: 3 errors in one of four minutes
    is a mean of 0.75 per minute, not 3, and no datapoint at all is 0, not missing."""
    clients.cloudwatch.put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[{
        "MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": LB, "Value": 3,
        "Timestamp": datetime.fromtimestamp(minute0 + 65, UTC)}])
    window = cw.query_window(minute0, minute0 + 4 * 60)
    errors, quiet = cw.read_metrics(clients.cloudwatch, [alb("errors", "HTTPCode_Target_5XX_Count"),
                                                         alb("rejected", "RejectedConnectionCount")], *window)
    assert errors.series == ((minute0, 0.0), (minute0 + 60, 3.0), (minute0 + 120, 0.0), (minute0 + 180, 0.0))
    assert errors.mean == 0.75 and errors.partial is None
    assert "counted as 0" in errors.aggregate
    assert quiet.mean == 0.0 and quiet.note is None
    assert cw.short([errors, quiet]) == []


def test_a_window_short_of_datapoints_is_partial_and_named(clients: Any, minute0: int) -> None:
    window = cw.query_window(minute0, minute0 + 6 * 60)  # six minutes, four of them published
    [cpu] = cw.read_metrics(clients.cloudwatch, [stat("cpu", "CPUUtilization")], *window)
    assert cpu.mean == 25.0 and cpu.expected == 6 and cpu.partial == "4 of 6 datapoints"
    assert cw.short([cpu]) == ["cpu"]
    notes = cloudwatch_annotations([cpu])
    assert notes["partial metrics"] == {"cpu": "4 of 6 datapoints"}
    assert notes["cloudwatch values"] == {"cpu": "mean of per-60 s Average values"}


def test_a_percentile_is_named_a_mean_of_per_period_percentiles() -> None:
    how = aggregate(stat("lat", "TargetResponseTime", "p95"), 60)
    assert how.startswith("mean of per-60 s p95 values: not the window's p95")
    assert aggregate(alb("req", "RequestCount"), 60) == (
        "mean per 60 s of Sum, a period without a datapoint counted as 0")
    assert not is_sparse_count(stat("cpu", "CPUUtilization", "Sum"))  # ECS publishes every minute


def test_a_short_window_is_read_again_a_delay_or_a_period_later() -> None:
    assert cw.reread_at(1000.0, 3, 10) == 1010.0
    assert cw.reread_at(1000.0, 90, 60) == 1090.0


@given(st.dictionaries(st.integers(0, 19), st.floats(0, 1e6, allow_nan=False), max_size=20),
       st.sampled_from([1, 10, 60]))
def test_filling_zeros_keeps_every_datapoint_and_covers_every_period(
        points: dict[int, float], period: int) -> None:
    start = 1_000_020
    series = sorted((start + i * period, v) for i, v in points.items())
    filled = fill_zeros(series, start, start + 20 * period, period)
    assert [ts for ts, _ in filled] == list(range(start, start + 20 * period, period))
    assert sum(v for _, v in filled) == pytest.approx(sum(points.values()))
    assert set(series) <= set(filled)
