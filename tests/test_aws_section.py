"""The config's `aws:` section: a config that carries its endpoint and region, and missing
credentials as exit 3 with the remedy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator.provision import config_dict, provision
from tests.support.cli_run import CONFIG, assert_clean_failure, run, write_config
from worker.contract.config import parse_config
from worker.contract.errors import ConfigError

NO_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere in the boto3 chain (no instance metadata either)."""
    for name in NO_CREDENTIALS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def with_aws(section: Any) -> dict[str, Any]:
    return {**CONFIG, "aws": section}


@pytest.mark.parametrize(("section", "problem"), [
    ({"region": "mars-1"}, "aws.region: 'mars-1' is not an AWS region name"),
    ({"credentials": {"key": "AKIA"}}, "aws.credentials: the only value is `sandbox`"),
    ({"endpoint": "https://ecs.us-east-1.amazonaws.com", "credentials": "sandbox"},
     "aws.credentials: `sandbox` needs aws.endpoint on this host"),
    ({"credentials": "sandbox"}, "aws.credentials: `sandbox` needs aws.endpoint on this host"),
    ({"endpoint": "ftp://x"}, "aws.endpoint:"),
    ({"secret_access_key": "x"}, "aws.secret_access_key"),
])
def test_the_aws_section_refuses_real_credentials_and_dummy_keys_bound_for_aws(section: Any,
                                                                              problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(with_aws(section))
    assert any(p.startswith(problem) for p in err.value.problems), err.value.problems


def test_describe_without_credentials_is_exit_3_with_the_remedy(aws_endpoint: str, no_credentials: None,
                                                               tmp_path: Path) -> None:
    result = run("describe", "web", "--config", write_config(tmp_path))
    assert_clean_failure(result, code=3)
    assert "no AWS credentials found" in result.err
    assert "servo-fargate sandbox --background" in result.err and "AWS_PROFILE" in result.err


def test_a_config_with_its_own_endpoint_needs_no_exported_variables(clients: Any, aws_endpoint: str,
                                                                   no_credentials: None,
                                                                   monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    raw = config_dict(provision(clients), ab_url="http://127.0.0.1:9/")
    raw["aws"] = {"endpoint": aws_endpoint, "region": "us-east-1", "credentials": "sandbox"}
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    result = run("describe", "web", "--config", str(path), "--format", "json")
    assert result.code == 0, result
    assert '"cpu"' in result.out


def test_a_step_is_recorded_for_the_endpoint_and_region_the_config_names() -> None:
    from worker.aws.target import for_producer
    from worker.contract.aws_settings import AwsSettings

    comp = parse_config(CONFIG).component("web")
    environ = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9999", "AWS_DEFAULT_REGION": "us-west-2"}
    target = for_producer(comp, environ, None,
                          AwsSettings(endpoint="http://127.0.0.1:5000", region="eu-west-1"))
    assert (target.endpoint, target.region) == ("http://127.0.0.1:5000", "eu-west-1")  # the config wins
    assert for_producer(comp, environ).endpoint == "http://127.0.0.1:9999"
