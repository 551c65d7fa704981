"""What a Fargate configuration costs: per hour, and per million requests at a throughput.

Fargate bills each task for its vCPU and its memory by the hour; a service pays for every
replica. Memory is billed per GB of the task size, which Fargate states in GiB steps
(0.5 GB = 512 MiB), so a MiB count divides by 1024.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from producer.pricing import Pricing
from worker.contract.sizes import CPU_UNITS_PER_VCPU, MIB_PER_GIB

SECONDS_PER_HOUR = 3600
PER_MILLION = 1_000_000


def cost_per_hour(cpu_units: int, memory_mib: int, replicas: int, pricing: Pricing) -> float:
    """Dollars per hour for `replicas` tasks of this size."""
    vcpu = cpu_units / CPU_UNITS_PER_VCPU
    gb = memory_mib / MIB_PER_GIB
    return replicas * (vcpu * pricing.vcpu_hour + gb * pricing.gb_hour)


def cost_per_million(hourly: float, throughput: float | None) -> float | None:
    """Dollars per million requests when the service answers `throughput` req/s flat out;
    None when nothing was answered (the cost of a request that never came is undefined)."""
    if not throughput or throughput <= 0:
        return None
    return hourly / (throughput * SECONDS_PER_HOUR) * PER_MILLION


def target_cost(target: Mapping[str, Any], pricing: Pricing,
                fallback: Mapping[str, Any] | None = None) -> float | None:
    """Cost per hour of a step's target (native units: cpu units, memory MiB, replicas),
    with `fallback` for the sizes the step left as they were; None if one is unknown."""
    fallback = fallback or {}
    sizes: list[int] = []
    for key in ("cpu", "memory", "replicas"):
        value = target.get(key) if target.get(key) is not None else fallback.get(key)
        if value is None:
            return None
        sizes.append(int(value))
    cpu, memory, replicas = sizes
    return cost_per_hour(cpu, memory, replicas, pricing)
