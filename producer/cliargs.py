"""Command-line values through the input boundary (worker/contract/inputs.py, worker/contract/safetext.py):
numbers for flags, ids, and `key=value` pairs, each refused with exit 2 and a message."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

from worker.contract.errors import ConfigError
from worker.contract.numbers import check_number, number_problem, parse_number
from worker.contract.safetext import ID, name_problem, short, url_problem

MAX_PAIRS = 200  # settings or overrides on one command line
MAX_EXPIRES_S = 30 * 86_400  # a step may wait for a worker a month at most


def add_config(p: argparse.ArgumentParser, *, optional_default: bool = False) -> None:
    """The `--config` option every command that reads the config takes, declared once.
    `optional_default`: the command runs without a config when ./config.yaml is missing."""
    fallback = "./config.yaml if it exists" if optional_default else "./config.yaml"
    p.add_argument("--config", metavar="PATH", help=f"config file (default: $SERVO_CONFIG, else {fallback})")


def number(*, minimum: float | None = None, maximum: float | None = None, integer: bool = False,
           strict_min: bool = False) -> Callable[[str], float]:
    """An argparse `type=` for a bounded, finite number (`nan`, `1e999`, `-1` refused)."""

    def parse(text: str) -> float:
        value = parse_number(text)
        if value is None:
            raise argparse.ArgumentTypeError(number_problem(text))
        checked, problem = check_number(value, minimum=minimum, maximum=maximum, integer=integer,
                                        strict_min=strict_min)
        if problem or checked is None:
            raise argparse.ArgumentTypeError(problem)
        return checked

    parse.__name__ = "whole number" if integer else "number"
    return parse


def expires(text: str) -> float:
    """An argparse `type=` for `--expires`: finite seconds above 0 (`nan`, `inf`, `0` refused)."""
    return number(minimum=0, strict_min=True, maximum=MAX_EXPIRES_S)(text)


def url(text: str) -> str:
    """An argparse `type=` for an http(s) URL (no spaces, control characters or bad port)."""
    if problem := url_problem(text):
        raise argparse.ArgumentTypeError(problem)
    return text


def ident(text: str) -> str:
    """An argparse `type=` for a step id, sweep id or study name."""
    if problem := name_problem(text, ID):
        raise argparse.ArgumentTypeError(problem)
    return text


def parse_pairs(pairs: Sequence[str], what: str) -> dict[str, Any]:
    """`key=value` arguments: a value in the strict number grammar is a number, anything
    else stays text (the step's validation says whether text is allowed there)."""
    if len(pairs) > MAX_PAIRS:
        raise ConfigError([f"{what}: {len(pairs)} pairs, above the limit of {MAX_PAIRS}"])
    out: dict[str, Any] = {}
    problems = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            problems.append(f"{what}: {short(pair)} is not key=value")
            continue
        if key in out:
            problems.append(f"{what}: {short(key)} is given twice")
            continue
        number_value = parse_number(value) if value else None
        out[key] = value if number_value is None else number_value
    if problems:
        raise ConfigError(problems)
    return out
