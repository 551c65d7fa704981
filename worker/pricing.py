"""The optional `pricing:` section of config.yaml: Fargate prices an optimizer weighs.

    pricing:
      architecture: arm      # x86 (default) or arm: picks the default prices below
      vcpu_hour: 0.03238     # optional: $ per vCPU-hour, overrides the default
      gb_hour: 0.00356       # optional: $ per GB-hour of memory

Defaults are us-east-1 Linux list prices (shared/REFERENCE.md §2). Only the producer's
`optimize` and `report` use them; the worker never looks at prices.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from worker.problems import Problems

# $ per vCPU-hour and per GB-hour, us-east-1 Linux (REFERENCE §2).
DEFAULT_PRICES: Mapping[str, tuple[float, float]] = {
    "x86": (0.04048, 0.004445),
    "arm": (0.03238, 0.00356),  # Graviton: about 20 % cheaper
}
PRICING_KEYS = ("architecture", "vcpu_hour", "gb_hour")


@dataclass(frozen=True)
class Pricing:
    """Fargate prices in dollars per hour of one vCPU and of one GB of memory."""

    architecture: str = "x86"
    vcpu_hour: float = DEFAULT_PRICES["x86"][0]
    gb_hour: float = DEFAULT_PRICES["x86"][1]


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
    vcpu_default, gb_default = DEFAULT_PRICES[arch]
    vcpu = problems.number(spec, "vcpu_hour", "pricing", default=vcpu_default, strict_min=True)
    gb = problems.number(spec, "gb_hour", "pricing", default=gb_default, strict_min=True)
    return Pricing(architecture=arch, vcpu_hour=vcpu_default if vcpu is None else vcpu,
                   gb_hour=gb_default if gb is None else gb)
