"""Fuzzing the CLI's inputs (issue 14): generated configs, step arguments, original JSON
adjust messages and sweep files, valid and broken. Whatever comes in, the CLI exits 0 or 2,
never prints a traceback or more than a few KB, and enqueues nothing when it exits 2."""

from __future__ import annotations

import copy
import csv
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.conftest import TEST_REDIS_URL
from tests.support.cli_run import CONFIG, MAX_OUTPUT, Run, run, write_config

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NASTY_TEXT = ["0120", "0x64", "1_0_0", "1:30", ".nan", "nan", "inf", "-inf", "1e999", "1e100", "yes", "on",
              "=1+1", "-x", "@SUM(A1)", "\x1b[2J", "a\x00b", "a\nb", "\u202e", "9" * 5000, "", " ", "~",
              "0.5", "1", "2", "90", "fast", "web", "*a", "&a", "!!binary", "[", "{", "'", '"']
NUMBERS = st.one_of(st.integers(min_value=-(10**40), max_value=10**40),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([0, 1, 0.25, 0.5, 4, 50, 90, 300, 20_000, 10**9]))
SCALARS = st.one_of(NUMBERS, st.sampled_from(NASTY_TEXT), st.text(max_size=12), st.booleans(), st.none())
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(["min", "max", "step", "type", "values", "value",
                                                         "x"])
                                        | st.text(max_size=6), inner, max_size=3), max_leaves=6)
SETTING_NAMES = st.sampled_from(["cpu", "mem", "memory", "replicas", "GOGC", "MODE", "LD_PRELOAD",
                                 "component",
                                 "control", "settings"]) | st.text(max_size=8)


# Valid settings for CONFIG's component `web`, so that every test also reaches exit 0.
VALID_ITEMS = [("cpu", 0.25), ("cpu", 0.5), ("cpu", 1), ("memory", 1), ("mem", 2), ("replicas", 1),
               ("replicas", 4), ("GOGC", 50), ("GOGC", 90), ("GOGC", 300), ("MODE", "fast"), ("MODE", "=1+1"),
               ("MODE", "-x")]
VALID_SETTINGS = st.lists(st.sampled_from(VALID_ITEMS), min_size=1, max_size=3).map(dict)
NASTY_SETTINGS = st.dictionaries(SETTING_NAMES, VALUES, max_size=3)
STEP_SETTINGS = st.one_of(VALID_SETTINGS, VALID_SETTINGS, NASTY_SETTINGS)
COMPONENTS = st.one_of(st.just("web"), st.just("web"),
                       st.sampled_from(["api", "=web", "web\x1b"]) | st.text(max_size=6))


def config_paths(node: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every key path in CONFIG, and one new key under every mapping."""
    out = []
    if isinstance(node, dict):
        out.append((*prefix, "surprise"))
        for key, child in node.items():
            out.append((*prefix, key))
            out += config_paths(child, (*prefix, key))
    return out


PATHS = config_paths(CONFIG)


@st.composite
def configs(draw: st.DrawFn) -> str:
    """CONFIG with a few values replaced by generated ones, sometimes with text spliced in."""
    raw = copy.deepcopy(CONFIG)
    for path in draw(st.lists(st.sampled_from(PATHS), max_size=4)):
        node = raw
        for key in path[:-1]:
            if not isinstance(node, dict) or not isinstance(node.get(key), dict):
                break
            node = node[key]
        else:
            node[path[-1]] = draw(VALUES)
    text = yaml.safe_dump(raw, allow_unicode=draw(st.booleans()))
    if draw(st.booleans()):
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.sampled_from(NASTY_TEXT) | st.text(max_size=10)) + text[at:]
    return text


def pair(keys: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    values = st.sampled_from(NASTY_TEXT) | st.text(max_size=12) | NUMBERS.map(str)
    return st.builds(lambda k, v, sep: f"{k}{sep}{v}", keys, values, st.sampled_from(["=", "=", ":", ""]))


CONTROL_KEYS = st.sampled_from(["duration", "warmup", "concurrency", "load", "t_limit", "x"])


@st.composite
def adjust_messages(draw: st.DrawFn) -> str:
    """The original driver's adjust input, near-valid or broken, as JSON text (NaN included)."""
    settings_map = draw(STEP_SETTINGS)
    if draw(st.booleans()):  # the servo form {"cpu": {"value": 0.5}}
        settings_map = {k: {"value": v} for k, v in settings_map.items()}
    component = draw(COMPONENTS)
    shape = draw(st.sampled_from(["valid", "valid", "valid", "list", "settings", "random"]))
    message: Any = {"application": {"components": {component: {"settings": settings_map}}}}
    if shape == "list":
        message["application"]["components"][component] = [settings_map]
    elif shape == "settings":
        message["application"]["components"][component]["settings"] = draw(SCALARS)
    elif shape == "random":
        message = draw(VALUES)
    return json.dumps(message)


@st.composite
def sweep_files(draw: st.DrawFn) -> tuple[str, str]:
    """(file name, text) of a YAML or CSV sweep, near-valid or broken."""
    if draw(st.booleans()):
        header = draw(st.one_of(st.just(["GOGC", "MODE"]), st.lists(SETTING_NAMES, min_size=1, max_size=4)))
        cell = st.one_of(st.sampled_from(["90", "300", "fast", "=1+1", ""]), st.sampled_from(NASTY_TEXT),
                         st.text(max_size=6))
        rows = draw(st.lists(st.one_of(st.lists(cell, min_size=len(header), max_size=len(header)),
                                       st.lists(cell, max_size=4)), min_size=1, max_size=5))
        out = io.StringIO()
        csv.writer(out).writerows([header, *rows])
        return "sweep.csv", out.getvalue()
    step = STEP_SETTINGS
    control = st.one_of(st.none(), st.just({"duration": 5}), VALUES)
    body: Any = draw(st.one_of(
        st.builds(lambda s, c: {"steps": s, "control": c}, st.lists(step, max_size=4), control),
        st.builds(lambda s: {"steps": s}, st.lists(step, min_size=1, max_size=4)),
        st.builds(lambda g: {"grid": g}, st.dictionaries(st.just("GOGC"), st.lists(
            st.sampled_from([50, 90, 300]), min_size=1, max_size=3), min_size=1)),
        st.builds(lambda g: {"grid": g}, st.dictionaries(SETTING_NAMES, st.lists(SCALARS, max_size=3),
                                                         max_size=2)),
        st.lists(step, max_size=3), VALUES))
    return "sweep.yaml", yaml.safe_dump(body)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def cfg(fuzz_dir: Path) -> str:
    return write_config(fuzz_dir)


@pytest.fixture(scope="module")
def db() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(TEST_REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


def check(result: Run, db: redis.Redis) -> None:
    """The property every fuzzed input must keep."""
    event(f"exit {result.code}")  # --hypothesis-show-statistics: both outcomes are reached
    assert result.code in (0, 2), result
    assert "Traceback" not in result.output
    assert len(result.output) <= MAX_OUTPUT, len(result.output)
    if result.code == 2:
        assert result.err.strip(), "exit 2 says why"
        assert db.dbsize() == 0, "nothing is enqueued or recorded on exit 2"
    for line in result.err.splitlines():
        assert "\x1b" not in line and "\x00" not in line
    db.flushdb()


@FUZZ
@given(text=configs())
@example(text="fargate:\n  web:\n    service_name: web\n    settings:\n      cpu: [1.0e+28]\n")  # found here
def test_any_config_validates_or_is_exit_2(fuzz_dir: Path, db: redis.Redis, text: str) -> None:
    path = fuzz_dir / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8")
    check(run("validate", "--config", str(path)), db)


@FUZZ
@given(settings_args=st.one_of(VALID_SETTINGS.map(lambda m: [f"{k}={v}" for k, v in m.items()]),
                              st.lists(pair(SETTING_NAMES), max_size=4)),
       control=st.lists(pair(CONTROL_KEYS), max_size=2) | st.just([]),
       component=COMPONENTS)
def test_any_step_arguments_are_enqueued_or_exit_2(cfg: str, db: redis.Redis, settings_args: list[str],
                                                   control: list[str], component: str) -> None:
    argv = ["step", "--config", cfg, "--format", "json", "--", component, *settings_args]
    for item in control:
        argv[1:1] = ["--control", item]
    check(run(*argv), db)


@FUZZ
@given(message=adjust_messages())
def test_any_adjust_message_is_enqueued_or_exit_2(cfg: str, fuzz_dir: Path, db: redis.Redis,
                                                  message: str) -> None:
    path = fuzz_dir / "adjust.json"
    path.write_text(message, encoding="utf-8")
    result = run("step", "--config", cfg, "--json", str(path), "--format", "json")
    check(result, db)
    if result.code == 0:
        assert "NaN" not in result.out and "Infinity" not in result.out


@FUZZ
@given(sweep=sweep_files())
@example(sweep=("sweep.csv", "GOGC,MODE\r\n90,1e100\r\n"))  # found by this test: a crash, not exit 2
def test_any_sweep_file_is_enqueued_or_exit_2(cfg: str, fuzz_dir: Path, db: redis.Redis,
                                              sweep: tuple[str, str]) -> None:
    name, text = sweep
    path = fuzz_dir / name
    path.write_text(text, encoding="utf-8")
    check(run("sweep", "--config", cfg, str(path)), db)


def test_a_valid_step_passes_the_same_path_the_fuzzer_takes(cfg: str, db: redis.Redis) -> None:
    """The property is not kept by refusing everything: a valid step on that path succeeds."""
    result = run("step", "--config", cfg, "--format", "json", "--", "web", "cpu=0.5", "MODE==1+1")
    assert result.code == 0, result
    assert json.loads(result.out)["settings"] == {"cpu": 0.5, "MODE": "=1+1"}
    assert db.dbsize() > 0
    db.flushdb()


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(["SERVO_VISIBILITY_TIMEOUT", "SERVO_RESTORE_INTERVAL", "AB_TEST_URL",
                             "AB_HEADERS",
                             "FARGATE_CLUSTER"]),
       value=st.sampled_from(NASTY_TEXT) | st.text(max_size=20) | NUMBERS.map(str))
def test_any_environment_setting_is_used_or_exit_2(cfg: str, db: redis.Redis, name: str, value: str) -> None:
    if "\x00" in value:
        value = value.replace("\x00", "")  # the OS cannot hold NUL in an environment value
    old = os.environ.get(name)
    os.environ[name] = value
    try:
        check(run("step", "--config", cfg, "--format", "json", "web", "cpu=0.5"), db)
    finally:
        if old is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = old
