"""The pure half of apache bench: command line, report parser, merge. Reports are real ab
output captured into tests/data/ab/ (see its README for how each was made)."""

from __future__ import annotations

from pathlib import Path

import pytest

from worker.contract.config import AbAuth, AbConfig
from worker.contract.errors import ConfigError, MeasurementFailed
from worker.load.ab import (
    AbResult,
    ab_command,
    merge,
    mix_percentiles,
    normalize_url,
    parse_ab,
    redact,
    split_concurrency,
)

DATA = Path(__file__).parent / "data" / "ab"


def captured(name: str) -> AbResult:
    return parse_ab((DATA / f"{name}.txt").read_text(), (DATA / f"{name}.csv").read_text())


# --- command -----------------------------------------------------------------------------

def test_command_has_length_timeout_and_time_limit_before_a_large_request_cap() -> None:
    cmd = ab_command(AbConfig(url="http://h:8080/x?y=1", concurrency=8, duration=2.5, timeout=4),
                     csv_path="/tmp/p.csv")
    assert cmd[0] == "ab" and "-l" in cmd and "-k" not in cmd
    assert cmd[cmd.index("-s") + 1] == "4"
    assert cmd[cmd.index("-c") + 1] == "8"
    assert cmd[cmd.index("-t") + 1] == "3"  # ab takes whole seconds; never run short
    # ab's -t resets -n to 50,000, so -n must follow -t to take effect.
    assert cmd.index("-t") < cmd.index("-n")
    assert int(cmd[cmd.index("-n") + 1]) >= 1_000_000
    assert cmd[cmd.index("-e") + 1] == "/tmp/p.csv"
    assert cmd[-1] == "http://h:8080/x?y=1"


def test_command_adds_keepalive_headers_and_a_path_to_a_bare_url() -> None:
    cfg = AbConfig(url="http://h:8080", keepalive=True, headers=("Host: a.example", "X-Y: 1"))
    cmd = ab_command(cfg, csv_path="c", concurrency=3, duration=1)
    assert "-k" in cmd
    assert [cmd[i + 1] for i, a in enumerate(cmd) if a == "-H"] == ["Host: a.example", "X-Y: 1"]
    assert cmd[cmd.index("-c") + 1] == "3"
    assert cmd[-1] == "http://h:8080/"


def test_request_cap_never_below_concurrency() -> None:
    cmd = ab_command(AbConfig(url="http://h/", concurrency=50, requests=10), csv_path="c")
    assert cmd[cmd.index("-n") + 1] == "50"  # ab refuses -c above -n


def test_basic_auth_comes_from_the_environment_and_is_redacted() -> None:
    cfg = AbConfig(url="http://h/", auth=AbAuth("U_VAR", "P_VAR"))
    cmd = ab_command(cfg, csv_path="c", environ={"U_VAR": "alice", "P_VAR": "s3cret"})
    assert cmd[cmd.index("-A") + 1] == "alice:s3cret"
    shown = redact(cmd)
    assert shown[shown.index("-A") + 1] == "***"
    assert "s3cret" not in " ".join(shown)


def test_missing_auth_variable_is_a_config_error_naming_the_variable_only() -> None:
    cfg = AbConfig(url="http://h/", auth=AbAuth("U_VAR", "P_VAR"))
    with pytest.raises(ConfigError, match=r"\$P_VAR") as info:
        ab_command(cfg, csv_path="c", environ={"U_VAR": "alice"})
    assert "alice" not in str(info.value)


@pytest.mark.parametrize("url", ["ftp://h/", "h:80/", "http:///x", "http://u:p@h/"])
def test_bad_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        normalize_url(url)


def test_concurrency_is_split_over_processes() -> None:
    assert split_concurrency(10, 3) == [4, 3, 3]
    with pytest.raises(ConfigError, match="processes"):
        split_concurrency(1, 2)


# --- parser ------------------------------------------------------------------------------

def test_parses_a_keepalive_report_with_csv_percentiles() -> None:
    r = captured("keepalive")
    assert r.requests_per_second == 68680.73
    assert r.complete == 68681 and r.keepalive == 68681
    assert r.time_per_request_ms == 0.058 and r.time_per_request_all_ms == 0.015
    assert r.time_taken_s == 1.0 and r.concurrency == 4
    assert r.bytes_transferred == 6249971
    assert r.errors == 0 and r.error_rate == 0.0
    assert r.length_checked is False and r.interrupted is False
    assert (r.percentile(50), r.percentile(99), r.percentile(100)) == (0.058, 0.142, 2.054)
    assert len(r.percentiles_ms) == 101


def test_without_l_length_failures_count_with_non_2xx() -> None:
    r = captured("length_failures")  # ab without -l, first response a 503
    assert r.length_checked is True
    assert (r.failed, r.length_errors, r.non_2xx) == (700, 700, 300)
    assert r.errors == 1000 and r.error_rate == 1.0


def test_non_2xx_responses_are_errors_ab_does_not_call_failed() -> None:
    r = captured("non2xx")
    assert r.failed == 0 and r.non_2xx == 300
    assert r.errors == 300 and r.error_rate == 0.3
    assert r.complete == 1000 and r.requests_per_second == 8109.38


def test_failure_breakdown_and_write_errors_all_count() -> None:
    r = captured("receive_errors")
    assert (r.connect_errors, r.receive_errors, r.length_errors, r.exceptions) == (0, 24, 0, 34)
    assert r.write_errors == 76 and r.keepalive == 100
    assert r.errors == 24 + 34 + 76
    assert r.error_rate == pytest.approx(134 / 200)
    assert r.interrupted is False  # "Send request failed!" lines precede "..done"


def test_write_errors_outside_failed_requests_still_count() -> None:
    r = captured("write_errors")
    assert r.failed == 0 and r.write_errors == 20
    assert r.errors == 20 and r.error_rate == 1.0
    # ab's 99% row reads past its 20 requests; rows never exceed the longest request.
    assert r.percentile(99) == r.percentile(100) == 0.232


def test_an_aborted_run_keeps_its_numbers_and_is_marked() -> None:
    r = captured("aborted")
    assert r.interrupted is True
    assert r.complete == 3129 and r.requests_per_second == 6299.48
    assert r.time_taken_s == 0.497


def test_unknown_keys_are_ignored_and_csv_is_optional() -> None:
    text = (DATA / "non2xx.txt").read_text().replace("Concurrency Level:",
                                                     "Brand New Key:  7\nConcurrency Level:")
    r = parse_ab(text, None)
    assert r.non_2xx == 300 and r.percentiles_ms == () and r.percentile(50) is None


def test_a_report_without_requests_per_second_is_a_failed_run() -> None:
    text = "Benchmarking 127.0.0.1 (be patient)...\nTotal of 12 requests completed\n"
    with pytest.raises(MeasurementFailed, match="Total of 12 requests completed"):
        parse_ab(text, None)


# --- merge -------------------------------------------------------------------------------

def uniform(lo: float, hi: float) -> tuple[float, ...]:
    return tuple(lo + (hi - lo) * p / 100 for p in range(101))


def test_mixed_percentiles_of_two_equal_processes_are_exact() -> None:
    # Uniform on 0..100 ms and on 100..200 ms, same count: the mixture is uniform on 0..200.
    mixed = mix_percentiles([(uniform(0, 100), 1000), (uniform(100, 200), 1000)])
    assert mixed == pytest.approx([2.0 * p for p in range(101)])


def test_mixed_percentiles_weigh_processes_by_requests() -> None:
    # 3/4 of requests uniform on 0..100, 1/4 on 100..200: F(t) = 0.75 t/100 below 100 ms.
    mixed = mix_percentiles([(uniform(0, 100), 3000), (uniform(100, 200), 1000)])
    assert mixed[50] == pytest.approx(200 / 3)
    assert mixed[75] == pytest.approx(100)
    assert mixed[90] == pytest.approx(160)
    assert mixed[0] == 0 and mixed[100] == 200
    # Averaging the percentiles would claim p50 = 100 ms.


def test_merge_sums_throughput_and_counts() -> None:
    a = AbResult(requests_per_second=1000, time_per_request_ms=4, time_per_request_all_ms=1,
                 time_taken_s=2.0, complete=2000, concurrency=4, non_2xx=10, keepalive=2000,
                 bytes_transferred=100, percentiles_ms=uniform(0, 10))
    b = AbResult(requests_per_second=500, time_per_request_ms=10, time_per_request_all_ms=2,
                 time_taken_s=2.1, complete=1000, concurrency=5, exceptions=5, keepalive=1000,
                 bytes_transferred=50, percentiles_ms=uniform(0, 10))
    m = merge([a, b])
    assert m.requests_per_second == 1500 and m.complete == 3000 and m.concurrency == 9
    assert m.errors == 15 and m.keepalive == 3000 and m.bytes_transferred == 150
    assert m.time_per_request_ms == pytest.approx((4 * 2000 + 10 * 1000) / 3000)
    assert m.time_per_request_all_ms == pytest.approx(1000 / 1500)
    assert m.time_taken_s == 2.1
    assert m.percentiles_ms == pytest.approx(uniform(0, 10))
