"""The search space of a component: its declared, unpinned settings as Optuna distributions.

cpu and memory form a conditional space, so a proposal is always a valid Fargate pair:
cpu is drawn among the declared cpu values that pair with at least one declared memory
value, then memory among the declared values valid for that cpu, under a parameter named
for the cpu (`mem@0.25`). Each conditional parameter keeps one fixed distribution, which
is what Optuna's samplers need, and an invalid pair is never proposed at all.

Pinned settings, and settings the config does not declare, are left out: a step never
sends them, so the service keeps its current value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

from worker.contract import sizes
from worker.contract.config import Component
from worker.contract.errors import ConfigError
from worker.contract.params import Param

Value = int | float | str
MEMORY_PARAM = "mem@{cpu}"  # the memory parameter of one cpu size (a conditional space)
CPU_PROBE = Param(name="cpu", role="cpu", kind="range", unit="vCPU")  # cpu known, not declared
GIB_PROBE = Param(name="mem", role="memory", kind="range", unit="GiB")  # memory known, not declared


@dataclass(frozen=True)
class SearchSpace:
    """What `optimize` may vary on one component, in the config's units."""

    component: str
    cpu: tuple[Value, ...] = ()  # empty: cpu is not searched
    memory: Mapping[str, tuple[Value, ...]] = field(default_factory=dict)  # by cpu text; {}: not searched
    memory_alone: tuple[Value, ...] = ()  # memory searched while cpu is not
    others: Mapping[str, BaseDistribution] = field(default_factory=dict)  # replicas, env vars
    fixed: Mapping[str, Value] = field(default_factory=dict)  # known values of unsearched sizes

    def suggest(self, trial: optuna.Trial) -> dict[str, Value]:
        """Draw one configuration: step settings in config units."""
        settings: dict[str, Value] = {}
        if self.cpu:
            cpu = _categorical(trial, "cpu", self.cpu)
            settings["cpu"] = cpu
            if self.memory:
                settings["mem"] = _categorical(trial, MEMORY_PARAM.format(cpu=cpu), self.memory[str(cpu)])
        elif self.memory_alone:
            settings["mem"] = _categorical(trial, "mem", self.memory_alone)
        for name, dist in self.others.items():
            settings[name] = _suggest(trial, name, dist)
        return settings

    def distributions(self, settings: Mapping[str, Any]) -> dict[str, BaseDistribution]:
        """The parameters (and their distributions) a configuration of this space sets."""
        out: dict[str, BaseDistribution] = {}
        if self.cpu:
            out["cpu"] = CategoricalDistribution(list(self.cpu))
            key = str(settings["cpu"])
            if self.memory:
                out[MEMORY_PARAM.format(cpu=key)] = CategoricalDistribution(list(self.memory[key]))
        elif self.memory_alone:
            out["mem"] = CategoricalDistribution(list(self.memory_alone))
        out.update(self.others)
        return out

    def params(self, settings: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any] | None:
        """Optuna parameters for step settings, or None when they lie outside the space.
        `partial`: settings may leave out parameters (the sampler chooses those)."""
        settings = {("mem" if k == "memory" else k): v for k, v in settings.items()}
        try:
            out = self._params(settings, partial)
        except (KeyError, ValueError):
            return None
        dists = self.distributions(settings)
        if (not partial and set(out) != set(dists)) or not all(
                k in dists and _contains(dists[k], v) for k, v in out.items()):
            return None
        return out

    def _params(self, settings: Mapping[str, Any], partial: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.cpu:
            cpu = _match(self.cpu, settings["cpu"])
            out["cpu"] = cpu
            if self.memory:
                out[MEMORY_PARAM.format(cpu=cpu)] = _match(self.memory[str(cpu)], settings["mem"])
        elif self.memory_alone:
            out["mem"] = _match(self.memory_alone, settings["mem"])
        for name, dist in self.others.items():
            if partial and name not in settings:
                continue
            value = settings[name]
            if isinstance(dist, CategoricalDistribution):
                out[name] = _match(_choices(dist), value)
            elif isinstance(dist, IntDistribution):
                out[name] = int(Decimal(str(value)))
            else:
                out[name] = float(Decimal(str(value)))
        return out

    def settings_of(self, params: Mapping[str, Any]) -> dict[str, Value]:
        """Step settings from a trial's parameters (the inverse of `params`)."""
        settings: dict[str, Value] = {}
        if "cpu" in params:
            settings["cpu"] = params["cpu"]
            if self.memory:
                settings["mem"] = params[MEMORY_PARAM.format(cpu=params["cpu"])]
        elif "mem" in params:
            settings["mem"] = params["mem"]
        for name, dist in self.others.items():
            settings[name] = on_step(dist, params[name])
        return settings

    def grid(self, only: Collection[str] | None = None) -> Iterator[dict[str, Value]]:
        """Every configuration of the space (ranges walked by their step), for exhaustive runs;
        with `only`, of those settings alone (cpu and memory always: the sizes, say)."""
        axes = [[(name, v) for v in _walk(dist)] for name, dist in self.others.items()
                if only is None or name in only]
        for pair in self._pairs():
            for combo in itertools.product(*axes):
                yield {**pair, **dict(combo)}

    def size(self) -> int | None:
        """How many configurations the space holds (None: a range without a step), counted, not walked:
        a declared range may hold 10^15 values."""
        counts = [_count(dist) for dist in self.others.values()]
        if None in counts:
            return None
        return len(self._pairs()) * math.prod(c for c in counts if c is not None)

    def _pairs(self) -> list[dict[str, Value]]:
        if self.cpu:
            return ([{"cpu": c, "mem": m} for c in self.cpu for m in self.memory[str(c)]]
                    if self.memory else [{"cpu": c} for c in self.cpu])
        return [{"mem": m} for m in self.memory_alone] or [{}]

    def describe(self) -> dict[str, Any]:
        """A JSON picture of the space, stored with a study so a resume can check it."""
        return {"cpu": list(self.cpu), "memory": {k: list(v) for k, v in self.memory.items()},
                "memory_alone": list(self.memory_alone),
                "others": {k: optuna.distributions.distribution_to_json(d) for k, d in self.others.items()},
                "fixed": dict(self.fixed)}


def settings_key(settings: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A configuration's identity: its settings by name, with 1 and 1.0 the same value."""
    return tuple(sorted((k, value_text(v)) for k, v in settings.items()))


def value_text(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def build_space(comp: Component, current: Mapping[str, Any] | None = None) -> SearchSpace:
    """The space of `comp`'s declared settings. `current` (step-style settings of the
    service now) fixes what is not searched, so cpu and memory still pair validly."""
    current = {("mem" if k == "memory" else k): v for k, v in (current or {}).items()}
    searched, fixed = _split(comp, current)
    cpu, memory = _cpu_memory(comp, searched, fixed)
    memory_alone: tuple[Value, ...] = ()
    if "cpu" not in searched and "mem" in searched:
        cpu_param, cpu_now = comp.settings.get("cpu") or CPU_PROBE, fixed.get("cpu")
        memory_alone = tuple(m for m in declared(searched["mem"])
                             if cpu_now is None or _pairs(cpu_param, cpu_now, searched["mem"], m))
    others: dict[str, BaseDistribution] = {}
    if "replicas" in searched:
        others["replicas"] = distribution(searched["replicas"])
    for name, param in comp.environment.items():
        if not param.pinned:
            others[name] = distribution(param)
    if "cpu" in searched and not cpu:
        raise ConfigError([f"fargate.{comp.name}.settings.cpu: no declared cpu value pairs with a declared "
                           "memory value (AWS's Fargate task size table)"])
    if not cpu and not memory_alone and not others:
        raise ConfigError([f"fargate.{comp.name}.settings: nothing to optimize (every setting is pinned "
                           "or undeclared)"])
    return SearchSpace(comp.name, tuple(cpu), memory, memory_alone, others, fixed)


def _split(comp: Component, current: Mapping[str, Any]) -> tuple[dict[str, Param], dict[str, Value]]:
    """Sizes to search, and the known values of the others: what the service runs now (a step
    never changes them), else a pinned setting's default (the size it is priced at unread)."""
    searched: dict[str, Param] = {}
    fixed: dict[str, Value] = {}
    for role, key in (("cpu", "cpu"), ("memory", "mem"), ("replicas", "replicas")):
        param = comp.settings.get(role)
        if param is not None and not param.pinned:
            searched[key] = param
        elif current.get(key) is not None:
            fixed[key] = _number(current[key])
        elif param is not None and param.default is not None:
            fixed[key] = _number(param.default)
    return searched, fixed


def _cpu_memory(comp: Component, searched: Mapping[str, Param],
                fixed: Mapping[str, Value]) -> tuple[list[Value], dict[str, tuple[Value, ...]]]:
    """The cpu values to propose and, when memory is searched, the valid memory per cpu."""
    if "cpu" not in searched:
        return [], {}
    cpu_param = searched["cpu"]
    kept: list[Value] = []
    memory: dict[str, tuple[Value, ...]] = {}
    mem_values = declared(searched["mem"]) if "mem" in searched else []
    for cpu in declared(cpu_param):
        if "mem" in searched:
            valid = tuple(m for m in mem_values if _pairs(cpu_param, cpu, searched["mem"], m))
            if valid:  # a cpu that pairs with no declared memory is never proposed
                kept.append(cpu)
                memory[str(cpu)] = valid
        elif "mem" not in fixed or _pairs(cpu_param, cpu, comp.settings.get("memory") or GIB_PROBE,
                                          fixed["mem"]):
            kept.append(cpu)  # memory stays as it is: only the cpus that pair with it
    return kept, memory


def declared(param: Param) -> list[Value]:
    """Every value a cpu or memory param allows, in its unit, ascending."""
    if param.kind == "enum":
        return [_number(v) for v in param.values]
    assert param.minimum is not None and param.maximum is not None
    if param.role == "cpu":
        natives = list(sizes.CPU_UNITS)
    else:
        step = param.step or Decimal(512) / param.scale
        count = int((param.maximum - param.minimum) / step) + 1
        natives = [sizes.to_units(param.minimum + i * step, param.scale) or 0 for i in range(count)]
    out = []
    for native in natives:
        value = Decimal(native) / param.scale
        if param.minimum <= value <= param.maximum and param.check(value)[1] is None:
            out.append(_number(value))
    return out


def distribution(param: Param) -> BaseDistribution:
    """replicas or an environment variable as an Optuna distribution."""
    if param.kind == "enum":
        return CategoricalDistribution([v if param.role == "env" else _number(v) for v in param.values])
    assert param.minimum is not None and param.maximum is not None
    lo, hi, step = param.minimum, param.maximum, param.step
    integral = all(d == d.to_integral_value() for d in (lo, hi, step or Decimal(1)))
    if integral and (step is not None or param.role == "replicas"):
        return IntDistribution(int(lo), int(hi), step=int(step or 1))
    return FloatDistribution(float(lo), float(hi), step=float(step) if step else None)


def _pairs(cpu_param: Param | None, cpu: Value, mem_param: Param | None, mem: Value) -> bool:
    cpu_units = cpu_param.check(cpu)[0] if cpu_param else None
    mem_mib = mem_param.check(mem)[0] if mem_param else None
    return isinstance(cpu_units, int) and isinstance(mem_mib, int) and sizes.is_valid_pair(cpu_units, mem_mib)


def _suggest(trial: optuna.Trial, name: str, dist: BaseDistribution) -> Value:
    if isinstance(dist, CategoricalDistribution):
        return _categorical(trial, name, _choices(dist))
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step)
    assert isinstance(dist, FloatDistribution)
    return on_step(dist, trial.suggest_float(name, dist.low, dist.high, step=dist.step))


def _categorical(trial: optuna.Trial, name: str, choices: tuple[Value, ...]) -> Value:
    value = trial.suggest_categorical(name, list(choices))
    assert value is not None  # the choices hold no None
    return value


def _choices(dist: CategoricalDistribution) -> tuple[Value, ...]:
    return tuple(c for c in dist.choices if c is not None)


def _count(dist: BaseDistribution) -> int | None:
    """The values `_walk` would give, without walking them (None: no step)."""
    if isinstance(dist, CategoricalDistribution):
        return len(_choices(dist))
    if isinstance(dist, IntDistribution):
        return (dist.high - dist.low) // dist.step + 1
    assert isinstance(dist, FloatDistribution)
    return None if dist.step is None else round((dist.high - dist.low) / dist.step) + 1


def _walk(dist: BaseDistribution) -> list[Value]:
    if isinstance(dist, CategoricalDistribution):
        return list(_choices(dist))
    if isinstance(dist, IntDistribution):
        return list(range(dist.low, dist.high + 1, dist.step))
    assert isinstance(dist, FloatDistribution)
    count = _count(dist)
    if count is None:
        raise ConfigError(["grid: a continuous range (no step) cannot be walked; give it a step"])
    return [on_step(dist, dist.low + i * (dist.step or 0)) for i in range(count)]


def _match(choices: tuple[Value, ...], value: Any) -> Value:
    """The choice equal to `value` as a number (0.5 == "0.5", and an environment variable's
    "4" == 4: its values are text, a current value given as a number is the same one), else
    ValueError."""
    for choice in choices:
        number = _dec(choice)
        if choice == value or (number is not None and not isinstance(value, bool) and number == _dec(value)):
            return choice
    raise ValueError(f"{value!r} is not among {choices!r}")


def _contains(dist: BaseDistribution, value: Any) -> bool:
    return bool(dist._contains(dist.to_internal_repr(value)))


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return None


def _number(value: Any) -> Value:
    d = Decimal(str(value))
    return int(d) if d == d.to_integral_value() else float(d)


def on_step(dist: BaseDistribution, value: Value) -> Value:
    """A float range's value as the declared decimal on its step: binary floating point drifts
    (0.05 x 19 = 0.9500000000000001), and the worker refuses a value off the step."""
    if not isinstance(dist, FloatDistribution) or dist.step is None or isinstance(value, str):
        return _tidy(value)
    low, step = Decimal(repr(dist.low)), Decimal(repr(dist.step))
    steps = ((Decimal(repr(float(value))) - low) / step).to_integral_value()
    return _tidy(float(low + steps * step))


def _tidy(value: Value) -> Value:
    """150.0 -> 150, so settings read as the config declares them."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
