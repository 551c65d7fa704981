"""`servo-fargate measure` end to end: real ab against a local server, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from producer.cli import EXIT_BAD_INPUT, EXIT_OK, EXIT_UNREACHABLE, main
from tests.support import http_servers as hs


@pytest.fixture(autouse=True)
def no_default_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./config.yaml: measure runs on defaults and flags


def test_measure_prints_the_servo_format_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    with hs.serve() as server:
        code = main(["measure", "--url", server.url, "--duration", "1", "--warmup", "0",
                     "--concurrency", "2", "--format", "json"])
    assert code == EXIT_OK
    out = json.loads(capsys.readouterr().out)
    assert out["metrics"]["requests throughput"]["value"] > 100
    assert out["annotations"]["ab command"][0] == "ab"


def test_measure_reads_ab_settings_from_the_config(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with hs.serve() as server:
        config = tmp_path / "c.yaml"
        config.write_text(f"fargate: {{web: {{service_name: web}}}}\n"
                          f"ab: {{url: '{server.url}', duration: 1, warmup: 0, concurrency: 3, "
                          "keepalive: true}\n")
        code = main(["measure", "--config", str(config)])
    assert code == EXIT_OK
    table = capsys.readouterr().out
    assert "requests throughput" in table and "keep-alive requests" in table


def test_measure_against_a_closed_port_exits_unreachable(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["measure", "--url", f"http://127.0.0.1:{hs.closed_port()}/", "--duration", "1",
                 "--warmup", "0"])
    assert code == EXIT_UNREACHABLE
    assert "connection refused" in capsys.readouterr().err


def test_measure_without_a_url_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["measure", "--duration", "1"]) == EXIT_BAD_INPUT
    assert "ab.url" in capsys.readouterr().err


CW_CONFIG = """fargate: {web: {service_name: web}}
cloudwatch:
  delay: 600
  metrics:
  - Id: cpu
    MetricStat: {Metric: {Namespace: AWS/ECS, MetricName: CPUUtilization}, Period: 60, Stat: Average}
"""


def test_measure_with_a_url_runs_ab_alone_and_says_so(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "config.yaml").write_text(CW_CONFIG)  # ./config.yaml, found by default
    with hs.serve() as server:
        code = main(["measure", "--url", server.url, "--duration", "1", "--warmup", "0",
                     "--format", "json"])  # would wait 600 s for CloudWatch otherwise
    assert code == EXIT_OK
    captured = capsys.readouterr()
    assert "ab only (--url names the target)" in captured.err and "--cloudwatch" in captured.err
    out = json.loads(captured.out)
    assert "cpu" not in out["metrics"] and "cloudwatch window" not in out["annotations"]


def test_measure_cloudwatch_without_queries_says_there_are_none(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with hs.serve() as server:
        code = main(["measure", "--url", server.url, "--duration", "1", "--warmup", "0", "--cloudwatch"])
    assert code == EXIT_OK
    assert "no CloudWatch metrics: the config has no cloudwatch.metrics; ab only" in capsys.readouterr().err
