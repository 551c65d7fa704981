"""Valid Fargate task sizes (AWS's Linux task size table) and exact unit conversion."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

CPU_UNITS_PER_VCPU = 1024
MIB_PER_GIB = 1024

# cpu units -> (min MiB, max MiB, step MiB), Linux, platform 1.4.0+.
_MEMORY_BY_CPU: dict[int, tuple[int, int, int]] = {
    256: (512, 2048, 512),  # 512, 1024, 2048 only: see _is_valid_256
    512: (1024, 4096, 1024),
    1024: (2048, 8192, 1024),
    2048: (4096, 16384, 1024),
    4096: (8192, 30720, 1024),
    8192: (16384, 61440, 4096),
    16384: (32768, 122880, 8192),
}

CPU_UNITS = tuple(_MEMORY_BY_CPU)
CPU_VCPUS = ("0.25", "0.5", "1", "2", "4", "8", "16")


def memory_options(cpu_units: int) -> list[int]:
    """Every memory size in MiB that pairs with `cpu_units`, ascending."""
    if cpu_units == 256:
        return [512, 1024, 2048]
    lo, hi, step = _MEMORY_BY_CPU[cpu_units]
    return list(range(lo, hi + 1, step))


def is_valid_pair(cpu_units: int, memory_mib: int) -> bool:
    return cpu_units in _MEMORY_BY_CPU and memory_mib in memory_options(cpu_units)


def pair_problem(cpu_units: int, memory_mib: int) -> str | None:
    """Why (cpu, memory) is not a Fargate size, in words a user can act on, or None."""
    if cpu_units not in _MEMORY_BY_CPU:
        return f"{format_vcpu(cpu_units)} vCPU is not a Fargate cpu size (allowed: {allowed_cpu()})"
    if is_valid_pair(cpu_units, memory_mib):
        return None
    return (
        f"{format_gib(memory_mib)} GiB does not pair with {format_vcpu(cpu_units)} vCPU "
        f"(allowed: {describe_memory(cpu_units)})"
    )


def allowed_cpu() -> str:
    return ", ".join(CPU_VCPUS)


def describe_memory(cpu_units: int) -> str:
    if cpu_units == 256:
        return "0.5, 1, 2 GiB"
    lo, hi, step = _MEMORY_BY_CPU[cpu_units]
    return f"{format_gib(lo)}-{format_gib(hi)} GiB in {format_gib(step)} GiB steps"


def to_units(value: object, per_unit: int) -> int | None:
    """Convert `value` (in vCPU or GiB, or already in units when per_unit is 1) to an
    exact integer count of units, or None when it is not a number or not a whole unit.

    Decimal arithmetic keeps 0.25 -> 256 exact: no float truncation.
    """
    if isinstance(value, bool):
        return None
    try:
        units = Decimal(str(value).strip()) * per_unit
    except (InvalidOperation, ValueError):
        return None
    if not units.is_finite() or units != units.to_integral_value():
        return None
    return int(units)


def format_decimal(value: Decimal | float | int) -> str:
    """Shortest exact text for a number: 0.25, 1, 90 (never '90.0')."""
    # normalize() drops trailing zeros ('90.0' -> '9E+1') and "f" writes it out ('90'); a
    # quantize to whole units would raise past 28 digits (a fuzzed 1e28 in a value list).
    return format(Decimal(str(value)).normalize(), "f")


def format_vcpu(cpu_units: int) -> str:
    return format_decimal(Decimal(cpu_units) / CPU_UNITS_PER_VCPU)


def format_gib(memory_mib: int) -> str:
    return format_decimal(Decimal(memory_mib) / MIB_PER_GIB)
