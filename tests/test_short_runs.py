"""A run shorter than a CloudWatch period would silently lose its CloudWatch metrics: the
CLI warns at submit, naming the field and the length that works, and a missing metric in
the record says why."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.support.cli_run import CONFIG, run, write_config
from worker.aws.cloudwatch import CloudWatchMetric, explain_short_run

METRIC = {"Id": "cpu", "MetricStat": {"Metric": {"Namespace": "AWS/ECS", "MetricName": "CPUUtilization",
                                                 "Dimensions": [{"Name": "ServiceName", "Value": "web"}]},
                                      "Period": 60, "Stat": "Average"}}


def config_with_cloudwatch(tmp_path: Path) -> str:
    raw: dict[str, Any] = copy.deepcopy(CONFIG)
    raw["cloudwatch"] = {"metrics": [METRIC], "delay": 60}
    raw["ab"]["duration"] = 60
    return write_config(tmp_path, raw)


def test_a_run_shorter_than_the_cloudwatch_period_is_warned_about_at_submit(tmp_path: Path,
                                                                           redis_db: Any) -> None:
    cfg = config_with_cloudwatch(tmp_path)
    short = run("step", "web", "GOGC=90", "--control", "duration=20", "--config", cfg)
    assert short.code == 0, short
    assert "warning: control.duration: 20 s is shorter than the CloudWatch period (60 s" in short.err
    whole = run("step", "web", "GOGC=90", "--config", cfg)
    assert whole.code == 0 and "warning" not in whole.err


def test_a_missing_metric_of_a_short_run_says_the_run_was_too_short() -> None:
    missing = CloudWatchMetric("cpu", "CPU", "", None,
                               note="no datapoints in a .. b: CloudWatch returned none")
    present = CloudWatchMetric("mem", "Memory", "", 12.0)
    out = explain_short_run([missing, present], 20.4, 60)
    assert out[0].note == ("no datapoints in a .. b: the run (20 s) was shorter than the CloudWatch period "
                           "(60 s), so no whole period lay inside it; run at least 60 s")
    assert out[1].mean == 12.0 and out[1].note == ("averages a whole 60 s period, of which the run was 20 s: "
                                                   "partly idle, so lower than under load; run at least 60 s")
    assert explain_short_run([missing], 60, 60) == [missing]
