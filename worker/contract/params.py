"""One tunable setting from the config: its declared range or enum, and the check of a
requested value against it.

Values are compared as exact decimals in the config's own unit, then converted: cpu to
CPU units, memory to MiB, replicas to an int, environment variables to a string.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from worker.contract import numbers, safetext, sizes
from worker.contract.problems import Problems
from worker.contract.safetext import short

Role = Literal["cpu", "memory", "replicas", "env"]

# Units accepted per role, with how many native units (CPU units, MiB) one config unit is.
UNITS: dict[Role, dict[str, int]] = {
    "cpu": {"vCPU": 1024, "CPU": 1, "units": 1},
    "memory": {"GiB": 1024, "GB": 1024, "MiB": 1, "MB": 1},
    "replicas": {"": 1, "count": 1, "tasks": 1, "replicas": 1},
    "env": {},
}
DEFAULT_UNIT: dict[Role, str] = {"cpu": "vCPU", "memory": "GiB", "replicas": "", "env": ""}
RANGE_KEYS = ("type", "unit", "min", "max", "step", "default", "pinned")
ENUM_KEYS = ("type", "unit", "values", "default", "pinned")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
ALL_MEMORY_MIB = frozenset(m for c in sizes.CPU_UNITS for m in sizes.memory_options(c))


@dataclass(frozen=True)
class Param:
    """A declared setting. For cpu and memory, numbers are in the config's unit."""

    name: str
    role: Role
    kind: Literal["range", "enum"]
    unit: str
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    step: Decimal | None = None
    values: tuple[str, ...] = ()
    default: str | None = None
    pinned: bool = False

    @property
    def scale(self) -> int:
        return UNITS[self.role].get(self.unit, 1)

    def check(self, value: Any) -> tuple[int | str | None, str | None]:
        """Return (native value, None) when `value` is allowed, else (None, problem)."""
        if self.role == "env":
            return self._check_env(value)
        number = _decimal(value)
        if number is None:
            return None, _not_a_setting_number(value)
        if self.kind == "enum":
            if not any(_decimal(v) == number for v in self.values):
                return None, f"{_show(value)} is not one of the allowed values ({', '.join(self.values)})"
        elif problem := self._range_problem(number):
            return None, problem
        return self._native(number)

    def _native(self, number: Decimal) -> tuple[int | None, str | None]:
        units = sizes.to_units(number, self.scale)
        if self.role == "cpu":
            if units not in sizes.CPU_UNITS:
                return None, f"{_show(number)} is not a Fargate cpu size (allowed: {self._cpu_allowed()})"
        elif self.role == "memory":
            if units not in ALL_MEMORY_MIB:
                return None, f"{_show(number)} {self.unit} is not a Fargate memory size"
        elif units is None or units < 1:
            return None, f"{_show(number)} is not a whole number of at least 1"
        return units, None

    def _cpu_allowed(self) -> str:
        if self.scale == 1:
            return ", ".join(str(u) for u in sizes.CPU_UNITS)
        return sizes.allowed_cpu()

    def _range_problem(self, number: Decimal) -> str | None:
        lo, hi, step = self.minimum, self.maximum, self.step
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            return f"{_show(number)} is outside the range {_show(lo)}..{_show(hi)}"
        if step and lo is not None and (number - lo) % step != 0:  # cpu too: a Fargate size on the step
            return f"{_show(number)} is not on a step of {_show(step)} from {_show(lo)}"
        return None

    def _check_env(self, value: Any) -> tuple[str | None, str | None]:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None, f"must be a string or a number, got {short(value)}"
        if isinstance(value, float) and not math.isfinite(value):
            return None, f"must be a finite number, got {short(value)}"
        try:
            text = value if isinstance(value, str) else sizes.format_decimal(value)
        except (ArithmeticError, ValueError):  # 1e100 has no plain decimal form within the limits
            return None, f"{short(str(value))} is not a value this setting can hold"
        if safetext.text_problem(text):
            return None, ("must not contain NUL, newline or other control characters, "
                          f"got {short(text)}")
        if self.kind == "enum":
            if text not in self.values:
                return None, f"{short(text)} is not one of the allowed values ({', '.join(self.values)})"
            return text, None
        number = _decimal(text)
        if number is None:
            return None, _not_a_setting_number(text)
        if problem := self._range_problem(number):
            return None, problem
        return sizes.format_decimal(number), None

    def describe(self) -> dict[str, Any]:
        """The servo describe form, without `value` (the caller reads that from AWS)."""
        out: dict[str, Any] = {"type": self.kind, "unit": self.unit, "pinned": self.pinned}
        if self.kind == "enum":
            out["values"] = list(self.values)
        else:
            out.update(min=_num(self.minimum), max=_num(self.maximum), step=_num(self.step))
        return out

    def to_config(self, native: int | str) -> int | float | str | None:
        """A native value (CPU units, MiB, count, env text) in this param's own unit."""
        if self.role == "env":
            return native
        return _num(Decimal(int(native)) / self.scale)


def parse_param(raw: Any, path: str, role: Role, problems: Problems) -> Param | None:
    """Parse one setting declaration; record every problem under `path`."""
    name = path.rsplit(".", 1)[-1]
    if isinstance(raw, list) and role != "env":
        raw = {"values": raw}  # a bare list of values is an enum
    spec = problems.mapping(raw, path)
    if spec is None:
        return None
    # The original driver read cpu/mem as min/max ranges under OPTUNE_ECS_USE_RANGES (no `type`),
    # else as `values` enums: the keys given say which form this is.
    ranged = "values" not in spec and ("min" in spec or "max" in spec or role == "memory")
    default_kind = "range" if role == "replicas" or ranged else "enum"
    if role == "env" and "type" not in spec:
        problems.add(f"{path}.type", "is required (allowed: range, enum)")
        return None
    kind = spec.get("type", default_kind)
    if kind not in ("range", "enum"):
        problems.add(f"{path}.type", f"{short(kind)} is not a setting type (allowed: range, enum)")
        return None
    problems.unknown_keys(spec, path, RANGE_KEYS if kind == "range" else ENUM_KEYS)
    unit = _unit(spec, path, role, problems)
    pinned = problems.boolean(spec, "pinned", path, False)
    before = len(problems.lines)
    param = (_parse_enum if kind == "enum" else _parse_range)(spec, path, role, unit, problems)
    if param is None or len(problems.lines) > before:
        return None
    default = _default(spec, path, param, problems)
    return replace(param, name=name, pinned=pinned, default=default)


def _unit(spec: Mapping[str, Any], path: str, role: Role, problems: Problems) -> str:
    unit = spec.get("unit", DEFAULT_UNIT[role])
    if not isinstance(unit, str):
        problems.add(f"{path}.unit", f"must be a string, got {short(unit)}")
        return DEFAULT_UNIT[role]
    allowed = UNITS[role]
    if allowed and unit not in allowed:
        shown = ", ".join(u for u in allowed if u)
        problems.add(f"{path}.unit", f"{short(unit)} is not a unit for {role} (allowed: {shown})")
        return DEFAULT_UNIT[role]
    return unit


def _parse_enum(
    spec: Mapping[str, Any], path: str, role: Role, unit: str, problems: Problems
) -> Param | None:
    values = spec.get("values")
    if values is None and role == "cpu":
        scale = UNITS["cpu"][unit]
        values = [sizes.format_decimal(Decimal(u) / scale) for u in sizes.CPU_UNITS]
    if not isinstance(values, list) or not values:
        problems.add(f"{path}.values", "must be a non-empty list, got "
                     + ("an empty list" if values == [] else short(values)))
        return None
    texts: list[str] = []
    probe = Param(name="", role=role, kind="range", unit=unit)
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            problems.add(f"{path}.values[{i}]", f"must be a string or a number, got {short(value)}")
            continue
        if isinstance(value, float) and not math.isfinite(value):
            problems.add(f"{path}.values[{i}]", f"must be a finite number, got {short(value)}")
            continue
        text = value if isinstance(value, str) else sizes.format_decimal(value)
        if role == "env" and (bad := safetext.text_problem(text)):
            problems.add(f"{path}.values[{i}]", bad)
            continue
        if role != "env":
            _, problem = probe.check(text)
            if problem:
                problems.add(f"{path}.values[{i}]", problem)
                continue
        if text in texts:
            problems.add(f"{path}.values[{i}]", f"{short(text)} is listed twice")
        texts.append(text)
    return Param(name="", role=role, kind="enum", unit=unit, values=tuple(texts))


def _parse_range(
    spec: Mapping[str, Any], path: str, role: Role, unit: str, problems: Problems
) -> Param | None:
    scale = UNITS[role].get(unit, 1)
    fallback: dict[str, Decimal | None] = {"min": None, "max": None, "step": None}
    if role == "cpu":
        fallback = {"min": Decimal(256) / scale, "max": Decimal(16384) / scale, "step": None}
    elif role == "memory":
        fallback = {"min": Decimal(512) / scale, "max": Decimal(122880) / scale, "step": Decimal(512) / scale}
    elif role == "replicas":
        fallback = {"min": Decimal(1), "max": None, "step": Decimal(1)}
    bounds: dict[str, Decimal | None] = {}
    for key in ("min", "max", "step"):
        raw = spec.get(key)
        if raw is None:
            bounds[key] = fallback[key]
            if bounds[key] is None and (role == "env" or key == "max"):
                problems.add(f"{path}.{key}", "is required for a range")
            continue
        number = None if isinstance(raw, bool) else _decimal(raw)
        if number is None:
            problems.add(f"{path}.{key}", f"must be a number {numbers.DECIMAL_RULE}, got {short(raw)}")
        bounds[key] = number
    lo, hi, step = bounds["min"], bounds["max"], bounds["step"]
    if lo is None or hi is None:
        return None
    if lo > hi:
        problems.add(path, f"min {_show(lo)} is above max {_show(hi)}")
    if step is not None and step <= 0:
        problems.add(f"{path}.step", f"must be above 0, got {_show(step)}")
    elif step is not None and role != "cpu" and (hi - lo) % step != 0:
        problems.add(f"{path}.step", f"{_show(step)} does not divide {_show(lo)}..{_show(hi)} evenly")
    if role == "replicas":
        if lo < 1 or lo != lo.to_integral_value():
            problems.add(f"{path}.min", f"must be a whole number of at least 1, got {_show(lo)}")
        if step is not None and step != 1:
            problems.add(f"{path}.step", f"replicas move one task at a time (allowed: 1), got {_show(step)}")
    param = Param(name="", role=role, kind="range", unit=unit, minimum=lo, maximum=hi, step=step)
    if role == "cpu":  # a cpu range is the Fargate sizes within it, so its ends must be sizes
        for key, bound in (("min", lo), ("max", hi)):
            if problem := param._native(bound)[1]:
                problems.add(f"{path}.{key}", problem)
    return param


def _default(spec: Mapping[str, Any], path: str, param: Param, problems: Problems) -> str | None:
    if "default" not in spec or spec["default"] is None:
        return None
    value = spec["default"]
    native, problem = param.check(value)
    if problem:
        problems.add(f"{path}.default", problem)
        return None
    return native if isinstance(native, str) else str(value)


def _decimal(value: Any) -> Decimal | None:
    """A finite number of bounded size, from a number or a strict decimal string (inputs.py)."""
    return numbers.bounded_decimal(value)


def _not_a_setting_number(value: Any) -> str:
    """Why `value`, which `_decimal` refused, is no number a setting holds: not a number at all,
    or a number too big or too fine (0.9500000000000001: a float's drift off a step of 0.05)."""
    finite = (isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)) \
        or (isinstance(value, str) and numbers.parse_number(value) is not None)
    if finite:
        return f"{short(value)} is not a number a setting holds {numbers.DECIMAL_RULE}"
    return f"{short(value)} is not a number"


def _show(value: Any) -> str:
    if value is None:
        return "?"
    number = _decimal(value)
    return sizes.format_decimal(number) if number is not None else short(value)


def _num(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def env_name_problem(name: str) -> str | None:
    if not ENV_NAME.match(name):
        return "is not a valid environment variable name (letters, digits and _, not starting with a digit)"
    return None
