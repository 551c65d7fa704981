"""Config loading and step validation: every bad value is named with its field path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from worker.contract.config import load_config, parse_config
from worker.contract.errors import ConfigError
from worker.contract.steps import Target, components_from_state, validate_step

DATA = Path(__file__).parent / "data"
ORIGINALS = sorted((DATA / "original").glob("*"))

GOOD: dict[str, Any] = {
    "fargate": {"web": {
        "service_name": "web",
        "settings": {
            "cpu": {"type": "enum", "values": [0.25, 0.5, 1, 2]},
            "memory": {"type": "range", "min": 0.5, "max": 8, "step": 0.5},
            "replicas": {"min": 1, "max": 4},
        },
        "environment": {
            "GOGC": {"type": "range", "min": 50, "max": 300, "step": 10, "default": 100},
            "MODE": {"type": "enum", "values": ["fast", "safe"]},
        },
    }},
}


def with_changes(path: str, value: Any) -> dict[str, Any]:
    """GOOD with the dotted `path` set to `value` (`<del>` removes the key)."""
    raw = yaml.safe_load(yaml.safe_dump(GOOD))
    *parents, last = path.split(".")
    node = raw
    for key in parents:
        node = node[key]
    if value == "<del>":
        del node[last]
    else:
        node[last] = value
    return raw


BAD_CONFIGS = [
    ("fargate", "<del>", "fargate: is required"),
    ("fargate", [], "fargate: must be a mapping, got a list"),
    ("fargate", {}, "fargate: must name at least one component"),
    ("fargate.web.service_name", "<del>", "fargate.web.service_name: is required"),
    ("fargate.web.service_name", 7, "fargate.web.service_name: must be a non-empty string"),
    ("fargate.web.cluster", "", "fargate.web.cluster: must be a non-empty string"),
    ("fargate.web.timeout_service_desired_count", -5,
     "fargate.web.timeout_service_desired_count: must be above 0"),
    ("fargate.web.timeout_service_desired_count", "soon",
     "fargate.web.timeout_service_desired_count: must be a number"),
    ("fargate.web.servicename", "x", "fargate.web.servicename: unknown key"),
    ("fargate.web.settings.cpu.values", [0.25, 0.5, 0.75],
     "fargate.web.settings.cpu.values[2]: 0.75 is not a Fargate cpu size "
     "(allowed: 0.25, 0.5, 1, 2, 4, 8, 16)"),
    ("fargate.web.settings.cpu.values", [], "fargate.web.settings.cpu.values: must be a non-empty list"),
    ("fargate.web.settings.cpu.values", [1, 1], "fargate.web.settings.cpu.values[1]: '1' is listed twice"),
    ("fargate.web.settings.cpu.values", [True],
     "fargate.web.settings.cpu.values[0]: must be a string or a number"),
    ("fargate.web.settings.cpu.type", "list", "fargate.web.settings.cpu.type: 'list' is not a setting type"),
    ("fargate.web.settings.cpu.unit", "cores",
     "fargate.web.settings.cpu.unit: 'cores' is not a unit for cpu"),
    ("fargate.web.settings.cpu", {"type": "range", "min": 0.3, "max": 4},
     "fargate.web.settings.cpu.min: 0.3 is not a Fargate cpu size"),
    ("fargate.web.settings.memory.min", 9, "fargate.web.settings.memory: min 9 is above max 8"),
    ("fargate.web.settings.memory.step", 0, "fargate.web.settings.memory.step: must be above 0"),
    ("fargate.web.settings.memory.step", 3, "fargate.web.settings.memory.step: 3 does not divide 0.5..8"),
    ("fargate.web.settings.memory.values", [1], "fargate.web.settings.memory.values: unknown key"),
    ("fargate.web.settings.memory", {"type": "enum", "values": [0.3]},
     "fargate.web.settings.memory.values[0]: 0.3 GiB is not a Fargate memory size"),
    ("fargate.web.settings.replicas", {"min": 0, "max": 3},
     "fargate.web.settings.replicas.min: must be a whole number of at least 1"),
    ("fargate.web.settings.replicas", {"min": 1}, "fargate.web.settings.replicas.max: is required"),
    ("fargate.web.settings.replicas", {"min": 1, "max": 4, "step": 2},
     "fargate.web.settings.replicas.step: replicas move one task at a time"),
    ("fargate.web.settings.gpu", {"values": [1]}, "fargate.web.settings.gpu: unknown setting"),
    ("fargate.web.settings.mem", {"values": [1]}, "fargate.web.settings: declares both mem and memory"),
    ("fargate.web.environment.GOGC.type", "<del>", "fargate.web.environment.GOGC.type: is required"),
    ("fargate.web.environment.GOGC.step", "<del>",
     "fargate.web.environment.GOGC.step: is required for a range"),
    ("fargate.web.environment.GOGC.min", "low", "fargate.web.environment.GOGC.min: must be a number"),
    ("fargate.web.environment.GOGC.default", 95,
     "fargate.web.environment.GOGC.default: 95 is not on a step of 10 from 50"),
    ("fargate.web.environment.GOGC.default", 400,
     "fargate.web.environment.GOGC.default: 400 is outside the range 50..300"),
    ("fargate.web.environment.GOGC.values", ["a"], "fargate.web.environment.GOGC.values: unknown key"),
    ("fargate.web.environment.MODE.values", "fast",
     "fargate.web.environment.MODE.values: must be a non-empty list"),
    ("fargate.web.environment.MODE.default", "slow",
     "fargate.web.environment.MODE.default: 'slow' is not one of the allowed values (fast, safe)"),
    ("fargate.web.environment.1BAD", {"type": "enum", "values": ["a"]},
     "fargate.web.environment.1BAD: is not a valid environment variable name"),
    ("fargate.web.settings.cpu.pinned", "yes", "fargate.web.settings.cpu.pinned: must be true or false"),
    ("ab", {"url": "ftp://x/"}, "ab.url: 'ftp://x/' is not an http:// or https:// URL"),
    ("ab", {"concurrency": 0}, "ab.concurrency: must be above 0"),
    ("ab", {"headers": ["no colon"]}, "ab.headers[0]: 'no colon' is not a \"Name: value\" header line"),
    ("ab", {"auth": {"username_env": "U"}}, "ab.auth: needs username_env and password_env"),
    ("cloudwatch", {"metrics": [{"Id": "Bad"}]},
     "cloudwatch.metrics[0].Id: 'Bad' must start with a lowercase"),
    ("cloudwatch", {"metrics": [{"Id": "a", "Expression": "1"}, {"Id": "a", "Expression": "2"}]},
     "cloudwatch.metrics[1].Id: 'a' is used by another query"),
    ("cloudwatch", {"metrics": [{"Id": "a"}]},
     "cloudwatch.metrics[0]: needs exactly one of MetricStat or Expression"),
    ("cloudwatch", {"metrics": [{"Id": "a", "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "M"},
                                                           "Period": 45, "Stat": "Average"}}]},
     "cloudwatch.metrics[0].MetricStat.Period: 45 is not a CloudWatch period"),
    ("surprise", 1,
     "config.surprise: unknown key (allowed: fargate, ab, cloudwatch, pricing, namespace, aws)"),
    # the cloudwatch section: every path named down to the query field a user would fix
    ("cloudwatch", [], "cloudwatch: must be a mapping, got a list"),
    ("cloudwatch", {"period": 60}, "cloudwatch.period: unknown key"),
    ("cloudwatch", {"delay": -1}, "cloudwatch.delay: must be at least 0"),
    ("cloudwatch", {"metrics": {"Id": "a"}},
     "cloudwatch.metrics: must be a list of MetricDataQuery mappings, got a mapping"),
    ("cloudwatch", {"metrics": ["cpu"]}, "cloudwatch.metrics[0]: must be a mapping, got a string"),
    ("cloudwatch", {"metrics": [{"Id": "a", "Expression": "1", "Dimensions": []}]},  # belongs in Metric
     "cloudwatch.metrics[0].Dimensions: unknown key"),
    ("cloudwatch", {"metrics": [{"Expression": "1"}]}, "cloudwatch.metrics[0].Id: None must start"),
    ("cloudwatch", {"metrics": [{"Id": "a", "Expression": " "}]},
     "cloudwatch.metrics[0].Expression: must be a non-empty metric math expression"),
    ("cloudwatch", {"metrics": [{"Id": "a", "Expression": "1", "MetricStat": {}}]},
     "cloudwatch.metrics[0]: needs exactly one of MetricStat or Expression"),
    ("cloudwatch", {"metrics": [{"Id": "a", "MetricStat": "cpu"}]},
     "cloudwatch.metrics[0].MetricStat: must be a mapping, got a string"),
    ("cloudwatch", {"metrics": [{"Id": "a", "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "M"},
                                                           "Period": 60}}]},
     "cloudwatch.metrics[0].MetricStat.Stat: is required"),
    ("cloudwatch", {"metrics": [{"Id": "a", "MetricStat": {"Period": 60, "Stat": "Average"}}]},
     "cloudwatch.metrics[0].MetricStat.Metric: is required"),
    ("cloudwatch", {"metrics": [{"Id": "a", "MetricStat": {"Metric": {"Namespace": "N"}, "Period": 60,
                                                           "Stat": "Average"}}]},
     "cloudwatch.metrics[0].MetricStat.Metric.MetricName: is required and must be a string"),
    ("cloudwatch", {"metrics": [{"Id": "a", "MetricStat": {"Metric": {"MetricName": 5}, "Period": 60,
                                                           "Stat": "Average"}}]},
     "cloudwatch.metrics[0].MetricStat.Metric.Namespace: is required and must be a string"),
    *[("cloudwatch", {"metrics": [{"Id": "a", "MetricStat": {"Metric": {"Namespace": "N", "MetricName": "M"},
                                                             "Period": bad, "Stat": "Average"}}]},
       f"cloudwatch.metrics[0].MetricStat.Period: {bad!r} is not a CloudWatch period "
       "(allowed: 1, 5, 10, 30 or a multiple of 60)")
      for bad in (0, 2, 90, True, "60")],
]


@pytest.mark.parametrize(("path", "value", "fragment"), BAD_CONFIGS,
                         ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD_CONFIGS])
def test_bad_config_names_the_field_and_what_is_allowed(path: str, value: Any, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(with_changes(path, value), environ={})
    assert any(fragment in line for line in err.value.problems), err.value.problems


def test_every_problem_is_reported_not_only_the_first() -> None:
    raw = with_changes("fargate.web.settings.cpu.values", [0.75])
    raw["fargate"]["web"]["environment"]["GOGC"]["step"] = 0
    raw["ab"] = {"concurrency": -1}
    with pytest.raises(ConfigError) as err:
        parse_config(raw, environ={})
    assert len(err.value.problems) == 3


@pytest.mark.parametrize("period", [1, 5, 10, 30, 60, 120, 3600])
def test_every_period_cloudwatch_accepts_is_accepted(period: int) -> None:
    query = {"Id": "cpu", "MetricStat": {"Metric": {"Namespace": "AWS/ECS", "MetricName": "CPUUtilization"},
                                         "Period": period, "Stat": "Average"}}
    config = parse_config(with_changes("cloudwatch", {"metrics": [query]}), environ={})
    assert config.cloudwatch is not None and config.cloudwatch.metrics == (query,)


def test_a_cloudwatch_section_without_a_delay_waits_60_s_for_the_data() -> None:
    config = parse_config(with_changes("cloudwatch", {"metrics": []}), environ={})
    assert config.cloudwatch is not None and config.cloudwatch.delay == 60
    assert config.cloudwatch.metrics == ()
    config = parse_config(with_changes("cloudwatch", {"delay": 0}), environ={})
    assert config.cloudwatch is not None and config.cloudwatch.delay == 0  # 0 is a delay, not "unset"


@pytest.mark.parametrize("path", ORIGINALS, ids=[p.name for p in ORIGINALS])
def test_original_driver_configs_validate_unchanged(path: Path) -> None:
    config = load_config(str(path), environ={})
    assert config.components


def test_original_cpu_units_and_megabytes_convert_exactly() -> None:
    comp = load_config(str(DATA / "original" / "config.yaml.example"), environ={}).components["co-http"]
    assert comp.settings["cpu"].check(256) == (256, None)
    assert comp.settings["memory"].check(1024) == (1024, None)
    assert comp.settings["memory"].check(700)[1] == "700 is not on a step of 512 from 512"


def test_cluster_defaults_to_env_then_default() -> None:
    assert parse_config(GOOD, environ={}).components["web"].cluster == "default"
    env = {"FARGATE_CLUSTER": "prod"}
    assert parse_config(GOOD, environ=env).components["web"].cluster == "prod"
    changed = with_changes("fargate.web.cluster", "x")
    assert parse_config(changed, environ=env).components["web"].cluster == "x"


def test_environment_overrides_ab_url_and_headers() -> None:
    env = {"AB_TEST_URL": "http://lb.example/health", "AB_HEADERS": '["X-A: 1", "X-B: 2"]'}
    config = parse_config({**GOOD, "ab": {"url": "http://other/"}}, environ=env)
    assert config.ab.url == "http://lb.example/health"
    assert config.ab.headers == ("X-A: 1", "X-B: 2")


def test_missing_file_and_bad_yaml_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(str(tmp_path / "nope.yaml"), environ={})
    bad = tmp_path / "bad.yaml"
    bad.write_text("fargate: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(str(bad), environ={})


def test_config_objects_are_frozen() -> None:
    comp = parse_config(GOOD, environ={}).components["web"]
    with pytest.raises(AttributeError):
        comp.service_name = "other"  # type: ignore[misc]


# -- steps --------------------------------------------------------------------------------

BAD_STEPS = [
    ({"LD_PRELOAD": "/tmp/x.so"}, "step.web.settings.LD_PRELOAD: is not declared for component web"),
    ({"cpu": 0.75}, "step.web.settings.cpu: 0.75 is not one of the allowed values (0.25, 0.5, 1, 2)"),
    ({"cpu": "lots"}, "step.web.settings.cpu: 'lots' is not a number"),
    ({"cpu": 0.25, "memory": 4}, "step.web.settings.memory: 4 GiB does not pair with 0.25 vCPU "
                                 "(allowed: 0.5, 1, 2 GiB)"),
    ({"memory": 9}, "step.web.settings.memory: 9 is outside the range 0.5..8"),
    ({"memory": 1.25}, "step.web.settings.memory: 1.25 is not on a step of 0.5 from 0.5"),
    ({"replicas": 0}, "step.web.settings.replicas: 0 is outside the range 1..4"),
    ({"replicas": 1.5}, "step.web.settings.replicas: 1.5 is not on a step of 1 from 1"),
    ({"GOGC": 95}, "step.web.settings.GOGC: 95 is not on a step of 10 from 50"),
    ({"GOGC": 90.00000000000001}, "step.web.settings.GOGC: '90.00000000000001' is not a number a setting "
                                  "holds (finite, at most 10^15, at most 10 decimal places)"),
    ({"memory": "1e20"}, "step.web.settings.memory: '1e20' is not a number a setting holds"),
    ({"GOGC": "90\n"}, "step.web.settings.GOGC: must not contain NUL, newline or other control characters"),
    ({"MODE": "fast\x00"},
     "step.web.settings.MODE: must not contain NUL, newline or other control characters"),
    ({"MODE": "turbo"}, "step.web.settings.MODE: 'turbo' is not one of the allowed values (fast, safe)"),
    ({"MODE": ["fast"]}, "step.web.settings.MODE: must be a string or a number"),
    ({}, "step.web.settings: names no setting to change"),
]


@pytest.mark.parametrize(("settings", "fragment"), BAD_STEPS, ids=[repr(s)[:40] for s, _ in BAD_STEPS])
def test_bad_step_is_rejected_with_its_field(settings: dict[str, Any], fragment: str) -> None:
    config = parse_config(GOOD, environ={})
    with pytest.raises(ConfigError) as err:
        validate_step(config, "web", settings)
    assert any(fragment in line for line in err.value.problems), err.value.problems


def test_unknown_component_is_named() -> None:
    with pytest.raises(ConfigError, match="'api' is not in the config"):
        validate_step(parse_config(GOOD, environ={}), "api", {"cpu": 1})


def test_pinned_setting_cannot_be_stepped() -> None:
    config = parse_config(with_changes("fargate.web.settings.cpu.pinned", True), environ={})
    with pytest.raises(ConfigError, match="is pinned"):
        validate_step(config, "web", {"cpu": 1})


def test_good_step_converts_units_exactly() -> None:
    config = parse_config(GOOD, environ={})
    target = validate_step(config, "web", {"cpu": 0.25, "mem": {"value": 0.5}, "replicas": 3,
                                           "GOGC": 90.0, "MODE": "safe"})
    assert target == Target("web", cpu=256, memory=512, replicas=3, env={"GOGC": "90", "MODE": "safe"})
    assert Target.from_dict(target.to_dict()) == target


def test_original_adjust_state_format_is_read() -> None:
    state = {"application": {"components": {"co-http": {"settings": {
        "cpu": {"value": 0.5}, "mem": {"value": 1}, "replicas": {"value": 2}, "GOGC": {"value": 90}}}}}}
    assert components_from_state(state) == {"co-http": {"cpu": 0.5, "mem": 1, "replicas": 2, "GOGC": 90}}
    with pytest.raises(ConfigError, match=r"input\.application\.components"):
        components_from_state({"components": {}})


# -- CLI ------------------------------------------------------------------------------------

def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "producer.cli", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_validate_prints_ok_for_a_good_config(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    result = run_cli("validate", "--config", str(path))
    assert (result.returncode, result.stdout) == (0, "ok\n")


def test_validate_lists_every_problem_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(with_changes("fargate.web.settings.cpu.values", [0.25, 0.5, 0.75])))
    result = run_cli("validate", "--config", str(path))
    assert result.returncode == 2
    assert "fargate.web.settings.cpu.values[2]: 0.75 is not a Fargate cpu size" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_shipped_config_yaml_validates() -> None:
    config = load_config(str(Path(__file__).resolve().parents[1] / "config.yaml"), environ={})
    assert set(config.components) == {"web"}
    assert config.cloudwatch is not None and len(config.cloudwatch.metrics) == 2


def test_cloudwatch_duration_and_warmup_are_checked_and_do_not_change_the_window() -> None:
    """The original's keys load (its configs validate unchanged) but a bad value is named."""
    plain = parse_config({**GOOD, "cloudwatch": {"delay": 5}}, environ={}).cloudwatch
    timed = parse_config({**GOOD, "cloudwatch": {"delay": 5, "duration": 180, "warmup": 180}},
                         environ={}).cloudwatch
    assert timed == plain  # the window is the ab run's, so nothing of them is kept
    with pytest.raises(ConfigError) as err:
        parse_config({**GOOD, "cloudwatch": {"warmup": "soon"}}, environ={})
    assert any(line.startswith("cloudwatch.warmup:") for line in err.value.problems), err.value.problems


@pytest.mark.parametrize("setting", ["cpu", "MODE"])
def test_an_echoed_bad_value_is_escaped_and_shortened(setting: str) -> None:
    """A value quoted back to a terminal can neither move the cursor nor flood the screen."""
    config = parse_config(GOOD, environ={})
    value = "\x1b[2J" + "9" * 500
    with pytest.raises(ConfigError) as err:
        validate_step(config, "web", {setting: value})
    (line,) = err.value.problems
    assert "\x1b" not in line and "\\x1b[2J" in line, line
    assert "(504 characters)" in line and len(line) < 200, line


def test_a_config_error_keeps_its_problems_through_a_pickle() -> None:
    """A process pool or a Celery result rebuilds an exception from its message."""
    import pickle

    error = ConfigError(["step.web.settings.GOGC: 95 is not on a step of 10 from 50", "other"])
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error)
    assert copy.problems == error.problems
    assert str(ConfigError("one problem")) == "one problem"
