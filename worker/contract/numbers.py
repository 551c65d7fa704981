"""Numbers a user gives, checked in one place: a strict decimal grammar for text
(`key=value` arguments, CSV cells, environment settings, YAML scalars) and one validator
for every number field: finite, within the field's range, whole where a whole number is
meant, at most `MAX_DIGITS` digits.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from worker.contract.errors import ConfigError
from worker.contract.safetext import short

MAX_DIGITS = 30  # digits in one number (a Fargate size or a timeout needs fewer than 10)
MAX_MAGNITUDE = 10**15  # the largest number a setting's range may hold
MAX_DECIMALS = 10  # the finest step a setting's range may take
DECIMAL_RULE = f"(finite, at most 10^15, at most {MAX_DECIMALS} decimal places)"

# One decimal grammar for `key=value`, CSV cells and YAML scalars: an optional sign,
# digits without a leading zero, an optional fraction and exponent. No hex, octal,
# underscores, sexagesimal or words.
NUMBER = re.compile(r"^[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$")
INTEGER = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
NON_FINITE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")


def digits(text: str) -> int:
    """How many digits the mantissa of a number's text holds."""
    mantissa = re.split(r"[eE]", text, maxsplit=1)[0]
    return sum(ch.isdigit() for ch in mantissa)


def parse_number(text: str) -> int | float | None:
    """`text` as a number under the strict grammar (`90`, `0.5`, `1e3`), else None.
    Too many digits is None too; `number_problem` says why."""
    text = text.strip()
    if not NUMBER.match(text) or digits(text) > MAX_DIGITS:
        return None
    if INTEGER.match(text):
        return int(text)
    value = float(text)
    return value if math.isfinite(value) else None


def number_problem(text: str) -> str:
    """Why `text` is not a number under the strict grammar, for an error message."""
    stripped = text.strip()
    if NUMBER.match(stripped) and digits(stripped) > MAX_DIGITS:
        return f"{short(stripped)} has {digits(stripped)} digits (at most {MAX_DIGITS})"
    if NUMBER.match(stripped) or NON_FINITE.match(stripped) or stripped.lower() in ("nan", "inf", "infinity"):
        return f"{short(stripped)} is not a finite number"
    return (f"{short(stripped)} is not a number (plain decimals only, such as 90, 0.5 or 1e3; "
            "no hex, octal, underscores or leading zeros)")


def bounded_decimal(value: Any) -> Decimal | None:
    """`value` (a number, or a string in the strict grammar) as an exact Decimal, or None
    when it is not one or is too large or too fine for exact range arithmetic: at most
    MAX_MAGNITUDE and MAX_DECIMALS decimal places, so `(max - min) % step` stays exact."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        return None
    if not (value.is_finite() if isinstance(value, Decimal) else
            not isinstance(value, float) or math.isfinite(value)):
        return None
    text = value.strip() if isinstance(value, str) else str(value)
    if isinstance(value, str) and parse_number(text) is None:
        return None
    if digits(text) > MAX_DIGITS:
        return None
    number = Decimal(text)
    if abs(number) > MAX_MAGNITUDE or (number and -number.normalize().as_tuple().exponent > MAX_DECIMALS):  # type: ignore[operator]
        return None
    return number


def check_number(
    value: Any, *, minimum: float | None = None, maximum: float | None = None,
    integer: bool = False, strict_min: bool = False,
) -> tuple[int | float | None, str | None]:
    """(value, None) when `value` is a finite number of the right kind within the bounds,
    else (None, why not). Strings are not numbers here: parse them at the edge first."""
    kind = "a whole number" if integer else "a number"
    if isinstance(value, str):
        shown = number_problem(value) if NUMBER.match(value.strip()) else short(value)
        return None, f"must be {kind}, got {shown}"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"must be {kind}, got {short(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return None, f"must be a finite number, got {value!r}"
    if abs(value) >= 10**MAX_DIGITS:
        return None, f"has more than {MAX_DIGITS} digits"
    if integer and not isinstance(value, int):
        if not value.is_integer():
            return None, f"must be {kind}, got {value!r}"
        value = int(value)
    if minimum is not None and (value < minimum or (strict_min and value == minimum)):
        return None, f"must be {'above' if strict_min else 'at least'} {minimum:g}, got {_show(value)}"
    if maximum is not None and value > maximum:
        return None, f"must be at most {maximum:g}, got {_show(value)}"
    return value, None


def _show(value: float) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def env_number(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None,
    integer: bool = False, strict_min: bool = False, environ: Mapping[str, str] = os.environ,
) -> float:
    """The environment setting `name` as a checked number, `default` when unset or empty."""
    raw = environ.get(name, "")
    if not raw.strip():
        return default
    parsed = parse_number(raw)
    if parsed is None:
        raise ConfigError([f"${name}: {number_problem(raw)}"])
    value, problem = check_number(parsed, minimum=minimum, maximum=maximum, integer=integer,
                                  strict_min=strict_min)
    if problem or value is None:
        raise ConfigError([f"${name}: {problem}"])
    return value
