"""`servo-fargate check`: output formats, `--only`, and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.taskproc import free_port
from producer.cli import main
from tests.support.aws_setup import provision, write_config
from tests.support.http_servers import serve
from worker.aws.preflight import CHECK_IDS


def test_check_exits_0_on_a_clean_setup_and_groups_the_table_by_component(
        clients: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    setup = provision(clients)
    with serve() as server:
        code = main(["check", "--config", str(write_config(tmp_path, setup, ab_url=server.url))])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "(all components)" and "web" in lines
    assert lines.index("web") > max(i for i, line in enumerate(lines) if "config.valid" in line)
    assert "UNVERIFIED permissions.iam" in out
    assert "0 fail" in lines[-1]


def test_check_json_gives_id_verdict_finding_and_remedy_and_exits_1_on_a_failure(
        clients: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    setup = provision(clients, target_type="instance", deregistration_delay=300)
    config = write_config(tmp_path, setup, ab_url=f"http://127.0.0.1:{free_port()}/")
    code = main(["check", "--config", str(config), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1
    assert {c["id"] for c in report["checks"]} == {*CHECK_IDS, "api.budget"}
    by_id = {c["id"]: c for c in report["checks"]}
    assert by_id["lb.target-type"]["verdict"] == "fail"
    assert by_id["lb.target-type"]["remedy"]
    assert by_id["lb.deregistration-delay"]["verdict"] == "warn"
    assert set(by_id["lb.target-type"]) == {"id", "component", "verdict", "finding", "remedy"}
    assert report["summary"]["fail"] >= 2  # lb.target-type and loadpath.reachable


def test_check_shows_the_api_budget_in_use_and_warns_above_aws_sustained_rate(
        clients: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    config = str(write_config(tmp_path, provision(clients)))
    monkeypatch.delenv("SERVO_API_BUDGET", raising=False)
    main(["check", "--config", config, "--format", "json"])
    by_id = {c["id"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert by_id["api.budget"]["verdict"] == "pass"
    assert "services=10/s, tasks=10/s, elb=5/s" in by_id["api.budget"]["finding"]
    monkeypatch.setenv("SERVO_API_BUDGET", "elb=25")
    main(["check", "--config", config, "--format", "json"])
    by_id = {c["id"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert by_id["api.budget"]["verdict"] == "warn" and "elb (25/s; AWS sustains 10/s)" in by_id[
        "api.budget"]["finding"]
    monkeypatch.setenv("SERVO_API_BUDGET", "elb=lots")
    main(["check", "--config", config, "--format", "json"])
    by_id = {c["id"]: c for c in json.loads(capsys.readouterr().out)["checks"]}
    assert by_id["api.budget"]["verdict"] == "fail"
    assert "SERVO_API_BUDGET elb" in by_id["api.budget"]["finding"]


def test_check_only_runs_the_named_checks_and_areas(
        clients: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    setup = provision(clients, circuit_breaker=False)
    code = main(["check", "--config", str(write_config(tmp_path, setup)), "--format", "json",
                 "--only", "lb,service.circuit-breaker"])
    ids = [c["id"] for c in json.loads(capsys.readouterr().out)["checks"]]
    assert code == 0  # a warning does not fail
    assert ids == ["service.circuit-breaker"] + [i for i in CHECK_IDS if i.startswith("lb.")]
    # The API budget is listed by `check`, so --only takes it too, alone or with others.
    main(["check", "--config", str(write_config(tmp_path, setup)), "--format", "json",
          "--only", "api.budget"])
    assert [c["id"] for c in json.loads(capsys.readouterr().out)["checks"]] == ["api.budget"]


def test_check_exits_2_on_a_bad_config_and_reports_it_as_a_check(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("fargate:\n  web:\n    cluster: c\n", encoding="utf-8")
    code = main(["check", "--config", str(path), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 2
    assert report["checks"][0]["id"] == "config.valid"
    assert report["checks"][0]["verdict"] == "fail"
    assert "fargate.web.service_name" in report["checks"][0]["finding"]


def test_check_exits_2_on_an_unknown_check_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--config", str(tmp_path / "none.yaml"), "--only", "lb.nope"])
    assert code == 2
    assert "unknown check id lb.nope" in capsys.readouterr().err
