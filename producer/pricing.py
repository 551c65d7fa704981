"""Fargate prices an optimizer weighs: per region and architecture from a small table, or
the optional `pricing:` section of config.yaml.

    pricing:
      architecture: arm      # x86 or arm; default: read from the task definition's runtimePlatform
      region: eu-west-1      # default: the AWS region the worker runs in
      vcpu_hour: 0.03238     # optional: $ per vCPU-hour, overrides the table
      gb_hour: 0.00356       # optional: $ per GB-hour of memory

Only the producer's `optimize` and `report` use prices; the worker never looks at them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from worker.contract.problems import Problems

# $ per vCPU-hour and per GB-hour, Linux, On-Demand. Source: the AWS Fargate pricing page
# (aws.amazon.com/fargate/pricing), as recalled for us-east-1 (not fetched live); the
# other regions listed there charge the same. Outside the table, a warning and us-east-1.
PRICES: Mapping[tuple[str, str], tuple[float, float]] = {
    (region, arch): prices
    for region in ("us-east-1", "us-east-2", "us-west-2", "eu-west-1")
    for arch, prices in (("x86", (0.04048, 0.004445)), ("arm", (0.03238, 0.00356)))
}
DEFAULT_REGION = "us-east-1"
DEFAULT_PRICES: Mapping[str, tuple[float, float]] = {
    arch: PRICES[(DEFAULT_REGION, arch)] for arch in ("x86", "arm")}
ARCHITECTURES = {"X86_64": "x86", "ARM64": "arm"}  # runtimePlatform.cpuArchitecture -> ours
PRICING_KEYS = ("architecture", "region", "vcpu_hour", "gb_hour")


@dataclass(frozen=True)
class Pricing:
    """Fargate prices in dollars per hour of one vCPU and of one GB of memory."""

    architecture: str = "x86"
    vcpu_hour: float = DEFAULT_PRICES["x86"][0]
    gb_hour: float = DEFAULT_PRICES["x86"][1]
    region: str = DEFAULT_REGION
    declared: tuple[str, ...] = ()  # keys the config set; the rest may be resolved from AWS

    def to_dict(self) -> dict[str, Any]:
        """The prices a study records (and compares when it is resumed)."""
        return {"architecture": self.architecture, "vcpu_hour": self.vcpu_hour, "gb_hour": self.gb_hour}


def parse_pricing(raw: Any, problems: Problems) -> Pricing:
    """The `pricing:` section; every problem is recorded under `pricing.<field>`."""
    spec = problems.mapping(raw, "pricing")
    if spec is None:
        return Pricing()
    problems.unknown_keys(spec, "pricing", PRICING_KEYS)
    arch = spec.get("architecture", "x86")
    if arch not in DEFAULT_PRICES:
        problems.add("pricing.architecture", f"{arch!r} is not a Fargate architecture "
                                             f"(allowed: {', '.join(DEFAULT_PRICES)})")
        arch = "x86"
    region = problems.string(spec, "region", "pricing", DEFAULT_REGION) or DEFAULT_REGION
    vcpu_default, gb_default = PRICES.get((region, arch), DEFAULT_PRICES[arch])
    vcpu = problems.number(spec, "vcpu_hour", "pricing", default=vcpu_default, strict_min=True)
    gb = problems.number(spec, "gb_hour", "pricing", default=gb_default, strict_min=True)
    return Pricing(architecture=arch, vcpu_hour=vcpu_default if vcpu is None else vcpu,
                   gb_hour=gb_default if gb is None else gb, region=region,
                   declared=tuple(k for k in PRICING_KEYS if k in spec))


def resolve(pricing: Pricing, region: str | None,
            task_definition: Mapping[str, Any]) -> tuple[Pricing, list[str]]:
    """`pricing` completed from AWS: the architecture of the task definition's runtimePlatform
    and the region, unless the config declared them; declared prices always win.

    Returns the prices and warnings (a region or architecture outside the table)."""
    warnings: list[str] = []
    arch = pricing.architecture
    if "architecture" not in pricing.declared:
        cpu_arch = str((task_definition.get("runtimePlatform") or {}).get("cpuArchitecture") or "X86_64")
        arch = ARCHITECTURES.get(cpu_arch, "x86")
        if cpu_arch not in ARCHITECTURES:
            warnings.append(f"runtimePlatform.cpuArchitecture {cpu_arch} is not one the price table knows; "
                            "priced as x86 (set pricing.architecture, or vcpu_hour and gb_hour)")
    where = pricing.region if "region" in pricing.declared else (region or DEFAULT_REGION)
    prices = PRICES.get((where, arch))
    if prices is None:
        prices = DEFAULT_PRICES[arch]
        warnings.append(f"no Fargate prices for {where} in the table (producer/pricing.py); using "
                        f"{DEFAULT_REGION}'s: set pricing.vcpu_hour and pricing.gb_hour for {where}")
    vcpu = pricing.vcpu_hour if "vcpu_hour" in pricing.declared else prices[0]
    gb = pricing.gb_hour if "gb_hour" in pricing.declared else prices[1]
    if {"vcpu_hour", "gb_hour"} <= set(pricing.declared):
        warnings = [w for w in warnings if "no Fargate prices" not in w]  # both prices given: no table
    return replace(pricing, architecture=arch, region=where, vcpu_hour=vcpu, gb_hour=gb), warnings
