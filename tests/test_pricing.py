"""Prices per region and architecture: the table, the task definition's runtimePlatform, the
`pricing:` override."""

from __future__ import annotations

import pytest

from producer.pricing import Pricing, resolve
from worker.contract.config import parse_config

ARM = {"runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}}
# AWS's published on-demand Fargate Linux prices, $ per vCPU-hour and per GB-hour, the same in
# us-east-1 and eu-west-1 (written out here, not read from producer/pricing.py's table)
AWS_X86 = (0.04048, 0.004445)
AWS_ARM = (0.03238, 0.00356)


def pricing(section: dict[str, object] | None = None) -> Pricing:
    raw: dict[str, object] = {"fargate": {"web": {"service_name": "web"}}}
    if section is not None:
        raw["pricing"] = section
    return parse_config(raw, environ={}).pricing


def test_the_architecture_comes_from_the_task_definitions_runtime_platform() -> None:
    resolved, warnings = resolve(pricing(), "eu-west-1", ARM)
    assert (resolved.architecture, resolved.region) == ("arm", "eu-west-1")
    assert (resolved.vcpu_hour, resolved.gb_hour) == AWS_ARM and warnings == []
    x86, _ = resolve(pricing(), "us-east-1", {})  # no runtimePlatform: AWS's default, x86
    assert (x86.vcpu_hour, x86.gb_hour) == AWS_X86


def test_a_region_outside_the_table_warns_and_says_how_to_price_it() -> None:
    resolved, [warning] = resolve(pricing(), "ap-south-2", {})
    assert (resolved.vcpu_hour, resolved.gb_hour) == AWS_X86  # us-east-1's, the documented fallback
    assert "no Fargate prices for ap-south-2" in warning and "pricing.vcpu_hour" in warning


def test_declared_prices_and_architecture_win_over_aws() -> None:
    declared = pricing({"architecture": "x86", "vcpu_hour": 0.05, "gb_hour": 0.006})
    resolved, warnings = resolve(declared, "ap-south-2", ARM)
    assert (resolved.architecture, resolved.vcpu_hour, resolved.gb_hour) == ("x86", 0.05, 0.006)
    assert warnings == []  # both prices given: the table is not needed


def test_an_unknown_cpu_architecture_warns() -> None:
    _, [warning] = resolve(pricing(), "us-east-1", {"runtimePlatform": {"cpuArchitecture": "RISCV"}})
    assert "RISCV" in warning


def test_the_study_records_the_same_price_fields_as_before() -> None:
    assert pricing({"architecture": "arm", "region": "eu-west-1"}).to_dict() == {
        "architecture": "arm", "vcpu_hour": AWS_ARM[0], "gb_hour": AWS_ARM[1]}


@pytest.mark.parametrize("bad", [{"architecture": "sparc"}, {"region": 5}, {"vcpu_hour": 0}])
def test_a_bad_pricing_section_names_the_field(bad: dict[str, object]) -> None:
    from worker.contract.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        pricing(bad)
    assert any(line.startswith(f"pricing.{next(iter(bad))}") for line in info.value.problems)
