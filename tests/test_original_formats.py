"""The original driver's configs and the original servo's adjust and measure messages, fed
through `validate`, the step checks and a step on the sandbox (tests/data/original/)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from producer.cli import main
from worker.contract.config import AbConfig, load_config, parse_config
from worker.contract.errors import ConfigError
from worker.contract.steps import components_from_state, validate_control, validate_step

ORIGINAL = Path(__file__).parent / "data" / "original"
MESSAGES = Path(__file__).parent / "data" / "original-messages"  # the original servo's stdin JSON


@pytest.mark.parametrize("path", sorted(ORIGINAL.glob("*")), ids=lambda p: p.name)
def test_every_original_config_validates(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--config", str(path)]) == 0, capsys.readouterr().err


def test_the_use_ranges_form_is_cpu_and_mem_ranges_in_vcpu_and_gib() -> None:
    config = load_config(str(ORIGINAL / "ecs-ranges.yaml"), environ={})
    comp = config.component("co-http")
    assert (comp.settings["cpu"].kind, comp.settings["memory"].kind) == ("range", "range")
    target = validate_step(config, "co-http", {"cpu": 1, "mem": 2, "replicas": 20})
    assert (target.cpu, target.memory, target.replicas) == (1024, 2048, 20)
    with pytest.raises(ConfigError) as info:
        validate_step(config, "co-http", {"cpu": 0.75, "mem": 2.5, "replicas": 21})
    assert [p.split(":")[0] for p in info.value.problems] == [
        "step.co-http.settings.cpu", "step.co-http.settings.mem", "step.co-http.settings.replicas"]


@pytest.mark.parametrize("settings", [
    {"cpu": [0.25, 0.5], "memory": [0.5, 1]},  # bare value lists
    {"cpu": {"values": ["0.25", "0.5"]}, "memory": {"type": "enum", "values": ["0.5", "1"]}},
    {"cpu": {"type": "range", "min": 0.25, "max": 0.5}, "mem": {"min": 0.5, "max": 1, "step": 0.5}},
])
def test_cpu_and_memory_as_ranges_lists_or_enums_mean_the_same_sizes(settings: dict[str, Any]) -> None:
    config = parse_config({"fargate": {"web": {"service_name": "web", "settings": settings}}}, environ={})
    assert validate_step(config, "web", {"cpu": 0.5, "memory": 1}).memory == 1024
    with pytest.raises(ConfigError):
        validate_step(config, "web", {"cpu": 1})


def test_the_original_ab_load_message_maps_onto_the_ab_settings() -> None:
    control = json.loads((MESSAGES / "measure-input.json").read_text())["control"]
    assert validate_control(control) == {"concurrency": 4, "requests": 2000, "duration": 5, "warmup": 1,
                                         "headers": ["X-Servo: ab"]}


@pytest.mark.parametrize(("load", "field", "words"), [
    ({"test_url": "http://elsewhere/"}, "test_url", "is not the configured target (http://lb/)"),
    ({"user": "admin", "password": "s3cret"}, "user", "ab.auth.username_env"),
    ({"t_limit": 0}, "t_limit", "0 (no time limit) is not supported"),
    ({"headers": ["no colon"]}, "headers[0]", "is not a \"Name: value\" header line"),
    ({"n_threads": 0}, "n_threads", "at least 1"),
])
def test_what_the_new_model_cannot_take_from_a_load_message_is_named(
        load: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_control({"load": load}, AbConfig(url="http://lb/"))
    assert any(p.startswith(f"control.load.{field}") and words in p for p in info.value.problems), \
        info.value.problems
    assert "s3cret" not in " ".join(info.value.problems)


def test_a_load_message_restating_the_configured_url_is_accepted() -> None:
    control = {"load": {"test_url": "http://lb/", "user": ""}}
    assert validate_control(control, AbConfig(url="http://lb/")) == {}


@pytest.mark.slow
def test_the_original_config_and_adjust_message_run_a_step_on_the_sandbox(
        aws_endpoint: str, redis_db: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from emulator.profiles import FAST
    from emulator.sandbox import Sandbox
    from tests.support.workers import Worker
    from worker.contract.records import RecordStore

    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "sandbox.yaml") as box:
        sandbox = yaml.safe_load(box.config_path.read_text())
        original = yaml.safe_load((ORIGINAL / "ecs-ranges.yaml").read_text())
        comp = original["fargate"]["co-http"]
        comp.update(service_name=box.name, cluster=box.setup.cluster)  # point it at the sandbox
        comp["settings"]["replicas"]["max"] = 4
        # ... and at its endpoint, for the producer here as for the worker (target identity)
        original.update(ab=sandbox["ab"], cloudwatch=sandbox["cloudwatch"], aws=sandbox["aws"])
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(original))
        env = {**box.env, "SERVO_CONFIG": str(path), "SERVO_REDIS_URL": os.environ["SERVO_REDIS_URL"]}
        # The step is submitted for the endpoint the worker uses (the fixture's monkeypatch
        # restores the variable).
        os.environ["AWS_ENDPOINT_URL"] = box.endpoint_url
        worker = Worker("original", env, tmp_path)
        try:
            worker.wait_ready()
            code = main(["step", "--config", str(path), "--json", str(MESSAGES / "adjust-input.json"),
                         "--wait", "--timeout", "120"])
        finally:
            worker.stop()
        svc = box.setup
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    [record] = RecordStore.from_url(os.environ["SERVO_REDIS_URL"]).recent_steps(1)
    assert record["status"] == "succeeded", record
    assert record["target"]["cpu"] == 512 and record["target"]["memory"] == 1024
    assert record["target"]["env"] == {"GOGC": "120"}
    assert record["control"] == {"concurrency": 2, "requests": 100000000, "duration": 2, "warmup": 0}
    command = record["measurement"]["annotations"]["ab command"]
    assert command[command.index("-c") + 1] == "2" and command[command.index("-t") + 1] == "2"
    assert svc.service == box.name
    assert components_from_state(json.loads((MESSAGES / "adjust-input.json").read_text())) == {
        "co-http": {"cpu": "0.5", "mem": 1, "GOGC": 120}}
