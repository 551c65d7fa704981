"""The hostile sandbox's fault spec, parsed in one place, and its seeded dice.

    parse_faults("throttle,errors=0.2,capacity=0.05,spot=0.02,seed=7")

Grammar: a comma list of KIND or KIND=VALUE, each kind at most once:

| kind | value | effect |
| --- | --- | --- |
| `throttle` | none, or factor > 0 | AWS's published buckets per API family (emulator/throttle.py), scaled |
| `errors` | share 0..1 | that share of public calls fails transiently (5xx, throttling, revision clash) |
| `capacity` | share 0..1 | that share of task starts finds no Fargate capacity; ECS tries again later |
| `spot` | share 0..1 | that share of healthy tasks is interrupted (stopCode SpotInterruption) and replaced |
| `metrics-delay` | seconds >= 0 | CloudWatch data lands this late |
| `customer` | share 0..1 | the customer's own tools spend this share of every bucket's sustained rate |
| `seed` | integer >= 0 | the dice's seed; without it a random seed is drawn and shown by `str(faults)` |

The same spec, seed and sequence of calls give the same faults: every kind of draw has its
own random stream per (purpose, service, action), so calls of one action do not shift the
draws of another.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, fields

KINDS = ("throttle", "errors", "capacity", "spot", "metrics-delay", "customer", "seed")


class FaultSpecError(ValueError):
    """A fault spec that cannot be read; the message names the item and what is allowed."""


@dataclass(frozen=True)
class Faults:
    """What goes wrong, and how often. The all-zero default is a kind AWS."""

    throttle: float = 0.0  # 0: no buckets; 1: AWS's published rates; x: every bucket times x
    errors: float = 0.0
    capacity: float = 0.0
    spot: float = 0.0
    metrics_delay: float = 0.0
    customer: float = 0.0
    seed: int = 0

    @property
    def active(self) -> bool:
        return any(getattr(self, f.name) for f in fields(self) if f.name != "seed")

    def __str__(self) -> str:
        """The canonical spec: parse_faults(str(f)) == f."""
        items = []
        if self.throttle:
            items.append("throttle" if self.throttle == 1.0 else f"throttle={self.throttle:g}")
        for kind in ("errors", "capacity", "spot", "metrics-delay", "customer"):
            value = getattr(self, kind.replace("-", "_"))
            if value:
                items.append(f"{kind}={value:g}")
        items.append(f"seed={self.seed}")
        return ",".join(items)


def parse_faults(spec: str | None, *, seed: int | None = None) -> Faults:
    """Read a spec (grammar in the module docstring). `seed` is used when the spec has none;
    when neither gives one, a random seed is drawn (and kept in the result)."""
    values: dict[str, float | int] = {}
    items = [item.strip() for item in spec.split(",")] if spec and spec.strip() else []
    for item in items:
        kind, eq, raw = item.partition("=")
        kind = kind.strip()
        if kind not in KINDS:
            raise FaultSpecError(f"unknown fault kind {kind!r} in {spec!r}; allowed: {', '.join(KINDS)}")
        key = kind.replace("-", "_")
        if key in values:
            raise FaultSpecError(f"fault kind {kind!r} given twice in {spec!r}; give each kind once")
        values[key] = _value(kind, raw.strip(), bool(eq))
    if "seed" not in values:
        values["seed"] = seed if seed is not None else random.SystemRandom().randrange(2**31)
    return Faults(**values)  # type: ignore[arg-type]


def _value(kind: str, raw: str, has_value: bool) -> float | int:
    if kind == "throttle":
        return _number(kind, raw, low=0.0, low_open=True) if has_value else 1.0
    if not has_value or not raw:
        raise FaultSpecError(f"fault kind {kind!r} needs a value, e.g. {kind}={_example(kind)}")
    if kind == "seed":
        if not raw.isdigit():
            raise FaultSpecError(f"seed={raw!r}: give a whole number >= 0, e.g. seed=7")
        return int(raw)
    if kind == "metrics-delay":
        return _number(kind, raw, low=0.0)
    return _number(kind, raw, low=0.0, high=1.0)


def _number(kind: str, raw: str, *, low: float, high: float | None = None, low_open: bool = False) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise FaultSpecError(f"{kind}={raw!r} is not a number; e.g. {kind}={_example(kind)}") from None
    if math.isnan(value) or value < low or (low_open and value == low) or (high is not None and value > high):
        bounds = f"{'>' if low_open else '>='} {low:g}" + (f" and <= {high:g}" if high is not None else "")
        raise FaultSpecError(f"{kind}={raw}: must be {bounds}")
    return value


def _example(kind: str) -> str:
    return {"metrics-delay": "90", "seed": "7", "throttle": "1"}.get(kind, "0.05")


class Dice:
    """Seeded draws, one stream per key, safe from many threads."""

    def __init__(self, seed: int):
        self.seed = seed
        self._streams: dict[tuple[str, ...], random.Random] = {}
        self._lock = threading.Lock()

    def _stream(self, key: tuple[str, ...]) -> random.Random:
        rng = self._streams.get(key)
        if rng is None:
            rng = self._streams[key] = random.Random("/".join((str(self.seed), *key)))  # noqa: S311 (not crypto)
        return rng

    def hit(self, rate: float, *key: str) -> bool:
        """True with probability `rate`, from the stream of `key`."""
        if rate <= 0:
            return False
        with self._lock:
            return self._stream(key).random() < rate

    def pick(self, options: list[str], *key: str) -> str:
        with self._lock:
            return self._stream(key).choice(options)

    def uniform(self, low: float, high: float, *key: str) -> float:
        with self._lock:
            return self._stream(key).uniform(low, high)
