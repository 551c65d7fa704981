"""The Measurement: servo measure format, the original's metric names, JSON round trip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.support import http_servers as hs
from worker.aws.cloudwatch import CloudWatchMetric
from worker.contract.config import AbConfig
from worker.load.abrun import AbRun, run_ab
from worker.load.measurement import Measurement, build_measurement, with_cloudwatch

ORIGINAL = {
    "requests throughput": "requests/second",
    "time taken": "s",
    "number of errors": "count",
    "time per request": "ms",
    "time per request (across all concurrent requests)": "ms",
}


@pytest.fixture(scope="module")
def run() -> Iterator[AbRun]:
    with hs.serve(responder=hs.THIRTY_PERCENT_FIRST_OK) as server:
        yield run_ab(AbConfig(url=server.url, concurrency=2, duration=1, warmup=0))


def cloudwatch() -> list[CloudWatchMetric]:
    return [CloudWatchMetric("cpu", "CPU", "Percent", 25.0, ((1_700_000_000, 10.0), (1_700_000_060, 40.0))),
            CloudWatchMetric("mem", "Memory", "", None, note="no datapoints in ...")]


def test_keeps_the_original_five_names_and_units(run: AbRun) -> None:
    out = build_measurement(run).to_dict()
    for name, unit in ORIGINAL.items():
        assert out["metrics"][name]["unit"] == unit
        assert isinstance(out["metrics"][name]["value"], int | float)
    assert out["metrics"]["number of errors"]["value"] == run.result.errors > 0
    assert out["metrics"]["time per request p99"]["unit"] == "ms"
    assert out["metrics"]["error rate"]["value"] == pytest.approx(0.3, abs=0.02)


def test_cloudwatch_series_use_the_original_time_series_form(run: AbRun) -> None:
    window = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, 0, 2, tzinfo=UTC))
    out = build_measurement(run, cloudwatch(), window).to_dict()
    assert out["metrics"]["cpu"] == {
        "value": 25.0, "unit": "Percent",
        "values": [{"id": "0", "data": [[1_700_000_000, 10.0], [1_700_000_060, 40.0]]}]}
    assert out["annotations"]["missing metrics"] == {"mem": "no datapoints in ..."}
    assert out["annotations"]["cloudwatch window"] == ["2024-01-01T00:00:00.000Z", "2024-01-01T00:02:00.000Z"]


def test_round_trips_through_json(run: AbRun) -> None:
    measurement = build_measurement(run, cloudwatch())
    again = Measurement.from_dict(json.loads(json.dumps(measurement.to_dict())))
    assert again == measurement
    assert again.value("requests throughput") == run.result.requests_per_second
    assert again.value("mem") is None and again.value("nonexistent") is None


def test_cloudwatch_added_from_the_step_record_reads_as_the_cli_writes_it(run: AbRun) -> None:
    """The benchmark stage stores ab's part and adds CloudWatch's later (worker/flow/runtime.py);
    `measure` builds both at once: one result, one time format."""
    window = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, 0, 2, tzinfo=UTC))
    stored = json.loads(json.dumps(build_measurement(run).to_dict()))
    later = with_cloudwatch(Measurement.from_dict(stored), cloudwatch(), window)
    assert later.to_dict() == build_measurement(run, cloudwatch(), window).to_dict()
