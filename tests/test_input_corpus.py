"""The nastiest inputs found against the CLI (issue 14), kept as examples: each ends with
exit 2 (3 for a service that cannot be reached) within seconds, one short line naming the
field, no traceback, and nothing enqueued."""

from __future__ import annotations

import copy
import csv
import io
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from producer import results
from producer.outfiles import write_text
from tests.support.cli_run import CONFIG, MAX_OUTPUT, assert_clean_failure, run, write_config
from worker.contract.errors import ConfigError
from worker.contract.safetext import csv_cell, terminal_safe


@pytest.fixture
def cfg(tmp_path: Path, redis_db: Any) -> str:
    return write_config(tmp_path)


def changed(path: str, value: Any) -> dict[str, Any]:
    raw = copy.deepcopy(CONFIG)
    *parents, last = path.split(".")
    node = raw
    for key in parents:
        node = node[key]
    node[last] = value
    return raw


def bomb(levels: int = 9) -> str:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines)


def nothing_enqueued(redis_db: Any) -> None:
    assert redis_db.dbsize() == 0, redis_db.keys()


# -- config files -------------------------------------------------------------------------
CONFIG_TEXTS = {
    "alias bomb": (CONFIG_BOMB := bomb() + "\nfargate: {web: {service_name: *l8}}\n",
                   "expands to more than 200000 values"),
    "20k-deep nesting": ("fargate: " + "[" * 20_000 + "]" * 20_000 + "\n", "nested deeper than 64 levels"),
    "duplicate key": ("fargate:\n  web: {service_name: a}\n  web: {service_name: b}\n",
                      "duplicate key 'web'"),
    "octal-looking": ("fargate: {web: {service_name: w, max_task_failures: 010}}\n",
                      "fargate.web.max_task_failures: must be a whole number, got '010'"),
    "nan deadline": ("fargate: {web: {service_name: w, timeout_service_desired_count: .nan}}\n",
                     "fargate.web.timeout_service_desired_count: must be a finite number"),
    "5000-digit int": ("fargate: {web: {service_name: w, max_task_failures: " + "9" * 5000 + "}}\n",
                       "fargate.web.max_task_failures: must be a whole number, got '99999"),
    "escape in a name": ('fargate: {web: {service_name: "web\\e[31m"}}\n', "fargate.web.service_name"),
    # found by the fuzz test: a \U escape past Unicode's range made PyYAML's scanner raise
    "escape past unicode": ('fargate: {web: {service_name: "\\U01200001"}}\n', "not valid YAML"),
    "newline in the url": ('fargate: {web: {service_name: w}}\nab: {url: "http://a/\\nb"}\n', "ab.url"),
    "formula as a component": ("fargate: {'=HYPERLINK(\"http://x\")': {service_name: w}}\n",
                               "fargate: component '=HYPERLINK"),
    "NUL in an env value": ("fargate: {web: {service_name: w, "
                            'environment: {M: {type: enum, values: ["a\\0"]}}}}\n',
                            "fargate.web.environment.M.values[0]"),
    "wrong shape": ("fargate: {web: {service_name: w, settings: 5}}\n",
                    "fargate.web.settings: must be a mapping"),
    "binary tag": ("fargate: !!binary aGk=\n", "tag 'tag:yaml.org,2002:binary' is not accepted"),
}


@pytest.mark.parametrize(("text", "fragment"), CONFIG_TEXTS.values(), ids=list(CONFIG_TEXTS))
def test_a_hostile_config_is_one_line_naming_the_field(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    result = run("validate", "--config", str(path))
    assert_clean_failure(result)
    assert fragment in result.err, result.err


NAN_EVERYWHERE = {
    "fargate.web.rollback_timeout": float("nan"), "ab.duration": float("nan"), "ab.warmup": float("inf"),
    "ab.concurrency": 1_000_000_000, "ab.timeout": -float("inf"),
    "fargate.web.settings.memory.max": float("nan"), "fargate.web.environment.GOGC.step": float("inf"),
}


@pytest.mark.parametrize(("path", "value"), NAN_EVERYWHERE.items(), ids=list(NAN_EVERYWHERE))
def test_non_finite_and_out_of_range_numbers_in_a_config_are_refused(tmp_path: Path, path: str,
                                                                     value: Any) -> None:
    result = run("validate", "--config", write_config(tmp_path, changed(path, value)))
    assert_clean_failure(result)
    assert path.rsplit(".", 1)[0] in result.err


@pytest.mark.parametrize(("data", "said"), [
    (b"fargate:\x00\x01\x02", "holds NUL bytes; a binary file is not"),
    (b"fargate:\n  web: caf\xe9\n", "not UTF-8 text (byte 19)"),  # Latin-1, no NUL
], ids=["nul-bytes", "latin-1"])
def test_a_binary_config_file_is_refused(tmp_path: Path, data: bytes, said: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(data)
    result = run("validate", "--config", str(path))
    assert_clean_failure(result)
    assert said in result.err


def test_a_config_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + yaml.safe_dump(CONFIG).encode())
    assert run("validate", "--config", str(path)).code == 0


# -- step arguments -----------------------------------------------------------------------
STEP_ARGS = {
    "GOGC=0120": (["GOGC=0120"], "step.web.settings.GOGC: '0120' is not a number"),
    "GOGC=0x64": (["GOGC=0x64"], "step.web.settings.GOGC"),
    "GOGC=1_0_0": (["GOGC=1_0_0"], "step.web.settings.GOGC"),
    "GOGC=1:30": (["GOGC=1:30"], "step.web.settings.GOGC"),
    "cpu=1e999": (["cpu=1e999"], "step.web.settings.cpu"),
    "cpu=nan": (["cpu=nan"], "step.web.settings.cpu"),
    "replicas=5000 digits": (["replicas=" + "9" * 5000], "step.web.settings.replicas"),
    "MODE with an escape": (["MODE=\x1b[2Jfast"], "step.web.settings.MODE"),
    "duration=.nan": (["cpu=0.5", "--control", "duration=.nan"], "control.duration: must be a number"),
    "duration=nan": (["cpu=0.5", "--control", "duration=nan"], "control.duration: must be a number"),
    "concurrency=1e9": (["cpu=0.5", "--control", "concurrency=1000000000"],
                        "control.concurrency: must be at most 20000"),
    "timeout nan": (["cpu=0.5", "--wait", "--timeout", "nan"], "--timeout: 'nan' is not a finite number"),
    "undeclared": (["LD_PRELOAD=/x.so"], "step.web.settings.LD_PRELOAD: is not declared"),
}


@pytest.mark.parametrize(("args", "fragment"), STEP_ARGS.values(), ids=list(STEP_ARGS))
def test_a_hostile_step_is_refused_and_nothing_is_enqueued(cfg: str, redis_db: Any, args: list[str],
                                                           fragment: str) -> None:
    result = run("step", "--config", cfg, "web", *args)
    assert_clean_failure(result)
    assert fragment in result.err, result.err
    assert "\x1b" not in result.output
    nothing_enqueued(redis_db)


def test_an_environment_setting_that_is_not_a_number_is_exit_2(cfg: str, redis_db: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVO_VISIBILITY_TIMEOUT", "abc")
    result = run("step", "--config", cfg, "web", "cpu=0.5")
    assert_clean_failure(result)
    assert result.err.startswith("$SERVO_VISIBILITY_TIMEOUT: 'abc' is not a number")
    nothing_enqueued(redis_db)


def test_a_good_step_is_still_enqueued(cfg: str, redis_db: Any) -> None:
    result = run("step", "--config", cfg, "web", "cpu=0.5", "GOGC=90", "MODE=-x", "--format", "json")
    assert result.code == 0, result
    record = json.loads(result.out)
    assert record["target"] == {"component": "web", "cpu": 512, "memory": None, "replicas": None,
                                "env": {"GOGC": "90", "MODE": "-x"}}


# -- original JSON adjust messages -------------------------------------------------------
JSON_INPUTS = {
    "component as a list": ('{"application": {"components": {"web": [1]}}}',
                            "input.application.components.web: must be a mapping, got a list"),
    "application as a number": ('{"application": 5}', "input.application: must be a mapping"),
    "settings as a number": ('{"application": {"components": {"web": {"settings": 5}}}}',
                             "input.application.components.web.settings: must be a mapping"),
    "NaN": ('{"application": {"components": {"web": {"settings": {"cpu": {"value": NaN}}}}}}',
            "NaN is not a number JSON allows"),
    "1e999": ('{"application": {"components": {"web": {"settings": {"cpu": 1e999}}}}}', "too large"),
    "deep": ("[" * 20_000 + "]" * 20_000, "nested deeper than 64 levels"),
    "top-level list": ("[1, 2]", "input: must be a mapping, got a list"),
}


@pytest.mark.parametrize(("text", "fragment"), JSON_INPUTS.values(), ids=list(JSON_INPUTS))
def test_a_hostile_adjust_message_is_refused(cfg: str, redis_db: Any, tmp_path: Path, text: str,
                                             fragment: str) -> None:
    path = tmp_path / "adjust.json"
    path.write_text(text, encoding="utf-8")
    result = run("step", "--config", cfg, "--json", str(path))
    assert_clean_failure(result)
    assert fragment in result.err, result.err
    nothing_enqueued(redis_db)


# -- sweep files --------------------------------------------------------------------------
SWEEPS = {
    "bomb.yaml": (bomb() + "\ngrid: {GOGC: *l8}\n", "expands to more than 200000 values"),
    "long.yaml": ("steps:\n" + "- {cpu: 0.5}\n" * 10_001,
                  "sweep.steps: 10001 steps, above the limit of 10000"),
    "control.yaml": ("control: 5\nsteps: [{cpu: 0.5}]\n", "sweep.control: must be a mapping, got int"),
    "settings.yaml": ("steps: [{settings: 5}]\n", "sweep.steps[0].settings: must be a mapping"),
    "step-control.yaml": ("steps: [{cpu: 0.5, control: [1]}]\n", "sweep.steps[0].control: must be a mapping"),
    "big-grid.yaml": ("grid: {GOGC: [" + ", ".join(["50"] * 200) + "], MODE: [" + ", ".join(["fast"] * 200)
                      + "]}\n", "more than 10000 combinations"),
    "ragged.csv": ("cpu,GOGC\n0.5,90\n1\n", "sweep.csv row 3: 1 cells, the header has 2"),
    "dup.csv": ("cpu,cpu\n0.5,1\n", "sweep.csv header: 'cpu' appears twice"),
    "octal.csv": ("GOGC\n0120\n", "step.web.settings.GOGC: '0120' is not a number"),
    "formula.csv": ("MODE\n=HYPERLINK(\"http://evil\")\n", "step.web.settings.MODE"),
    "binary.csv": ("cpu\n\x00\x01\n", "binary file"),
}


@pytest.mark.parametrize(("name", "text", "fragment"), [(n, t, f) for n, (t, f) in SWEEPS.items()],
                         ids=list(SWEEPS))
def test_a_hostile_sweep_file_is_refused_and_nothing_is_enqueued(
        cfg: str, redis_db: Any, tmp_path: Path, name: str, text: str, fragment: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = run("sweep", "--config", cfg, str(path))
    assert_clean_failure(result)
    assert fragment in result.err, result.err
    nothing_enqueued(redis_db)


def test_a_csv_sweep_with_a_byte_order_mark_names_its_first_column(cfg: str, redis_db: Any,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfGOGC,MODE\r\n90,fast\r\n100,safe\r\n")
    result = run("sweep", "--config", cfg, str(path), "--format", "json")
    assert result.code == 0, result
    assert [r["settings"] for r in json.loads(result.out)] == [{"GOGC": 90, "MODE": "fast"},
                                                              {"GOGC": 100, "MODE": "safe"}]


# -- reading results back -----------------------------------------------------------------
@pytest.mark.parametrize("args", [["results", "--limit", "-1"], ["results", "--limit", "1e999"],
                                  ["show", "\x1b[2J"], ["cancel", "a\nb"], ["results", "x" * 5000],
                                  ["report", "latest", "--slo-p95", "nan"]])
def test_bad_flags_and_ids_are_exit_2(cfg: str, args: list[str]) -> None:
    result = run(*args, "--config", cfg)
    assert_clean_failure(result)
    assert "\x1b" not in result.output


HOSTILE_RECORD = {
    "id": "0123456789abcdef", "component": "=HYPERLINK(\"http://evil\")", "status": "failed",
    "settings": {"MODE": "\x1b[2J\x1b]0;owned\x07"}, "reason": "x", "message": "@SUM(1)\r\nline",
}


def test_results_csv_neutralises_formula_cells_and_the_table_escapes_terminal_codes() -> None:
    rows = list(csv.DictReader(io.StringIO(results.render([HOSTILE_RECORD], "csv"))))
    assert rows[0]["component"] == "'=HYPERLINK(\"http://evil\")"
    table = results.render([HOSTILE_RECORD], "table")
    assert "\x1b" not in table and "\x07" not in table and "\\x1b[2J" in table


@pytest.mark.parametrize(("value", "cell"), [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@x", "'@x"),
                                             ("\tx", "'\tx"), ("\rx", "'\rx"), ("ok", "ok"), (-1.5, -1.5)])
def test_csv_cells_are_neutralised_as_owasp_recommends(value: Any, cell: Any) -> None:
    assert csv_cell(value) == cell


def test_terminal_output_never_holds_a_control_character() -> None:
    assert terminal_safe("a\x1b[31mb\u202ec\n") == "a\\x1b[31mb\\u202ec\\n"


# -- report --out ---------------------------------------------------------------------------
def test_report_refuses_a_symlinked_file_and_leaves_its_target_alone(cfg: str, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "steps.csv").symlink_to(victim)
    result = run("report", "latest", "--config", cfg, "--out", str(out))
    assert_clean_failure(result)
    assert "steps.csv is a symbolic link" in result.err
    assert victim.read_text(encoding="utf-8") == "precious"


def test_report_refuses_a_symlinked_out_directory_and_a_file_as_out(cfg: str, tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    for out, fragment in (("link", "is a symbolic link"), ("file", "exists and is not a directory"),
                          ("file/sub", "is not a directory")):
        result = run("report", "latest", "--config", cfg, "--out", str(tmp_path / out))
        assert_clean_failure(result)
        assert fragment in result.err, result.err


def test_writing_never_follows_a_link_even_when_one_appears_late(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious", encoding="utf-8")
    (tmp_path / "x.csv").symlink_to(victim)
    with pytest.raises(ConfigError, match="is a symbolic link"):
        write_text(tmp_path / "x.csv", "data")
    assert victim.read_text(encoding="utf-8") == "precious"


# -- services that accept connections and never answer --------------------------------------
@pytest.fixture
def mute_port() -> Iterator[int]:
    """A TCP port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield int(server.getsockname()[1])


def test_a_mute_redis_fails_in_seconds_with_exit_3(mute_port: int, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    monkeypatch.setenv("SERVO_REDIS_URL", f"redis://127.0.0.1:{mute_port}/6")
    result = run("results", "--config", write_config(tmp_path))
    assert_clean_failure(result, code=3)
    assert "cannot reach Redis" in result.err and "SERVO_REDIS_URL" in result.err
    # one 3 s answer timeout, then no retry (retrying took 10.5 s: bench/input_boundary.py)
    assert 3 <= result.seconds < 10


@pytest.mark.parametrize("command", ["check", "describe"])
def test_a_mute_aws_endpoint_fails_in_seconds_with_exit_3(mute_port: int, monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path, command: str) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{mute_port}")
    result = run(command, "--config", write_config(tmp_path))
    assert result.code == 3, result
    assert "cannot reach AWS" in result.output and "credentials" not in result.output
    # one 3 s probe, not the worker's retries (17.5 s: bench/input_boundary.py)
    assert 3 <= result.seconds < 10


def test_check_with_aws_refusing_connections_is_exit_3(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    result = run("check", "--config", write_config(tmp_path), "--format", "json")
    assert result.code == 3, result
    check = json.loads(result.out)["checks"][0]
    assert check["id"] == "aws.reachable" and "network" in check["remedy"]


# -- the other commands' flags and settings ---------------------------------------------------
@pytest.mark.parametrize("args", [["measure", "--duration", "nan"], ["measure", "--concurrency", "1e9"],
                                  ["measure", "--url", "http://a/\x1b[2J"],
                                  ["optimize", "web", "--slo-p95", "inf"],
                                  ["optimize", "web", "--trials", "1e999"], ["sandbox", "--replicas", "-1"]])
def test_other_commands_refuse_non_finite_and_out_of_range_flags(cfg: str, redis_db: Any,
                                                                 args: list[str]) -> None:
    result = run(*args, "--config", cfg)
    assert_clean_failure(result)
    nothing_enqueued(redis_db)


def test_a_malformed_redis_url_is_exit_2_without_its_password(cfg: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SERVO_REDIS_URL", "abc://user:secret@host/0")
    result = run("results", "--config", cfg)
    assert_clean_failure(result)
    assert result.err.startswith("$SERVO_REDIS_URL: not a Redis URL") and "secret" not in result.err


def test_an_adjust_message_on_stdin_goes_through_the_same_boundary(cfg: str, redis_db: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO('{"application": {"components": {"web": {"settings": '
                                                 '{"GOGC": {"value": NaN}}}}}}'))
    result = run("step", "--config", cfg, "--json", "-")
    assert_clean_failure(result)
    assert "--json: not valid JSON (NaN is not a number JSON allows" in result.err
    nothing_enqueued(redis_db)


def test_check_lists_a_bounded_number_of_config_problems(tmp_path: Path) -> None:
    env = {f"V{i}": {"type": "enum", "values": ["\x1b[2J"]} for i in range(2000)}
    result = run("check", "--config", write_config(tmp_path, changed("fargate.web.environment", env)))
    assert result.code == 2 and len(result.output) <= MAX_OUTPUT  # check reports on stdout, as a check
    assert "... and 1980 more" in result.out and "\x1b" not in result.out


def test_report_says_what_it_overwrites_and_neutralises_its_csv(cfg: str, redis_db: Any,
                                                                tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.csv"
    sweep.write_text("MODE,GOGC\n=1+1,90\n-x,100\n", encoding="utf-8")
    assert run("sweep", "--config", cfg, str(sweep)).code == 0
    out = tmp_path / "report"
    out.mkdir()
    (out / "report.html").write_text("old", encoding="utf-8")
    result = run("report", "latest", "--config", cfg, "--out", str(out))
    assert result.code == 0, result
    assert f"overwriting {out / 'report.html'}" in result.err
    rows = list(csv.DictReader(io.StringIO((out / "steps.csv").read_text(encoding="utf-8"))))
    assert [r["settings"] for r in rows] == ["MODE==1+1 GOGC=90", "MODE=-x GOGC=100"]  # starts with a name
    assert (out / "report.html").read_text(encoding="utf-8") != "old"


def test_report_csv_neutralises_formula_cells() -> None:
    from producer import report

    text = report.to_csv([{"id": "=1+1", "status": "@SUM(A1)", "settings": "-2+3", "reason": "\tx",
                           "p95_ms": -1.5}])
    row = next(csv.DictReader(io.StringIO(text)))
    assert (row["id"], row["status"], row["settings"], row["reason"], row["p95_ms"]) == (
        "'=1+1", "'@SUM(A1)", "'-2+3", "'\tx", "-1.5")
