"""What `results` and `show` print: newest first, `latest` as the newest step or its sweep,
causes instead of cut messages, one format per column, ISO times, CSV and JSON unchanged."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from producer import results
from producer.causes import cause
from tests.support.cli_run import run, write_config

OOM = ("task 0123456789abcdef stopped: Essential container in task exited (container web exit code 137: "
       "OutOfMemoryError: Container killed due to memory usage)")


def record(step_id: str, status: str = "succeeded", **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": step_id, "component": "web", "status": status, "settings": {"cpu": 0.5, "GOGC": 90},
        "reason": None, "message": None, "created_at": 1_790_000_000.25,
        "stages": {"adjust": {"start": 1_790_000_001.0, "end": 1_790_000_001.5},
                   "settle": {"start": 1_790_000_001.5, "end": 1_790_000_004.0}},
        "measurement": {"metrics": {"requests throughput": {"value": 812.0},
                                    "time per request p95": {"value": 12.25},
                                    "number of errors": {"value": 0}, "error rate": {"value": 0.0}}},
    }
    return {**base, **extra}


@pytest.fixture
def cfg(tmp_path: Path) -> str:
    return write_config(tmp_path)


def submit(cfg: str, *steps: dict[str, Any], sweep: bool = False) -> list[str]:
    from producer.api import Producer, StepSpec

    producer = Producer.from_config(cfg)
    specs = [StepSpec("web", s) for s in steps]
    if sweep:
        return producer.submit_sweep(specs).step_ids
    return [producer.submit("web", s).id for s in steps]


def ids_in(table: str) -> list[str]:
    return [line.split()[0] for line in table.strip().splitlines()[1:]]


def test_results_latest_is_the_newest_step_even_when_it_ran_alone(cfg: str, redis_db: Any) -> None:
    sweep_ids = submit(cfg, {"GOGC": 50}, {"GOGC": 70}, sweep=True)
    assert ids_in(run("results", "latest", "--config", cfg).out) == sweep_ids  # the sweep, in its order
    [single] = submit(cfg, {"GOGC": 90})
    result = run("results", "latest", "--config", cfg)
    assert result.code == 0, result
    assert ids_in(result.out) == [single]


def test_results_lists_newest_first(cfg: str, redis_db: Any) -> None:
    first, second, third = submit(cfg, {"GOGC": 50}, {"GOGC": 60}, {"GOGC": 70})
    assert ids_in(run("results", "--config", cfg).out) == [third, second, first]


def test_show_prints_iso_times(cfg: str, redis_db: Any) -> None:
    [step] = submit(cfg, {"GOGC": 90})
    shown = run("show", step, "--config", cfg).out
    assert "created_at: '20" in shown and "Z'" in shown
    assert json.loads(run("show", step, "--config", cfg, "--format", "json").out)["created_at"] > 1e9


def test_show_converts_every_epoch_time_a_record_holds() -> None:
    from producer.steps_cmd import iso_times

    shown = iso_times({"ran_by": [{"stage": "adjust", "worker": "w", "at": 1796181049.706}],
                       "measurement": {"metrics": {"cpu": {"value": 3.0, "values": [
                           {"id": "0", "data": [[1796180940, 21.5]]}]}}}})
    assert shown["ran_by"][0]["at"] == "2026-12-02T03:10:49.706Z"
    assert shown["measurement"]["metrics"]["cpu"]["values"][0]["data"] == [["2026-12-02T03:09:00.000Z", 21.5]]


def test_a_rejection_shows_its_cause_in_the_table_and_keeps_the_message_in_csv() -> None:
    oom = record("s1", "rejected", reason="start-failed", message=OOM)
    table = results.render([oom], "table")
    assert "start-failed: OutOfMemoryError, exit 137" in table
    [row] = csv.DictReader(io.StringIO(results.render([oom], "csv")))
    assert row["reason"] == f"start-failed: {OOM}"


def test_csv_and_json_formats_are_unchanged() -> None:
    rec = record("s1")
    assert results.render([rec], "csv").splitlines() == [
        "id,component,status,settings,adjust_s,settle_s,measure_s,req_per_s,p95_ms,errors,error_rate,"
        "cpu_pct,reason",
        "s1,web,succeeded,cpu=0.5 GOGC=90,0.5,2.5,,812.0,12.25,0.0,0.0,,",
    ]
    assert json.loads(results.render([rec], "json")) == [rec]


def test_each_table_column_has_one_format() -> None:
    rows = [record("a", settings={"GOGC": 90}),
            record("b", settings={"GOGC": 80}, measurement={"metrics": {
                "requests throughput": {"value": 3.0},
                "time per request p95": {"value": 0.5}}})]
    table = results.render(rows, "table").splitlines()
    header = table[0].split()
    p95 = [line.split()[header.index("p95_ms")] for line in table[1:]]
    rps = [line.split()[header.index("req_per_s")] for line in table[1:]]
    assert p95 == ["12.2", "0.5"] and rps == ["812.0", "3.0"]


@given(st.integers(min_value=-255, max_value=255), st.from_regex(r"[A-Z][A-Za-z]{2,20}Error", fullmatch=True),
       st.text(max_size=200))
def test_the_cause_names_the_exit_reason_and_code_whatever_surrounds_them(code: int, why: str,
                                                                          tail: str) -> None:
    message = (f"task x stopped: Essential container in task exited (container web exit code {code}: "
               f"{why}: {tail}")
    text = cause({"status": "rejected", "reason": "start-failed", "message": message})
    assert text == f"start-failed: {why}, exit {code}"
