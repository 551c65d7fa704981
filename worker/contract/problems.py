"""Collects every validation problem with the field path it belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from worker.contract.errors import ConfigError
from worker.contract.numbers import check_number
from worker.contract.safetext import clip_line, short, text_problem


class Problems:
    """A list of `path: message` lines; `raise_if_any` turns them into a ConfigError."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(clip_line(f"{path}: {message}"))

    def raise_if_any(self) -> None:
        if self.lines:
            raise ConfigError(self.lines)

    def mapping(self, raw: Any, path: str) -> Mapping[str, Any] | None:
        """`raw` as a mapping with string keys, or None (and a problem) when it is not one."""
        if raw is None:
            return {}
        if not isinstance(raw, Mapping):
            self.add(path, f"must be a mapping, got {type_name(raw)}")
            return None
        for key in raw:
            if not isinstance(key, str):
                self.add(path, f"keys must be strings, got {short(key)}")
                return None
        return raw

    def unknown_keys(self, raw: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> None:
        for key in raw:
            if key not in allowed:
                self.add(f"{path}.{key}", f"unknown key (allowed: {', '.join(allowed)})")

    def number(
        self, raw: Mapping[str, Any], key: str, path: str, *, default: float | None,
        minimum: float = 0, maximum: float | None = None, integer: bool = False, strict_min: bool = False,
    ) -> float | None:
        """A number field at least `minimum` (or above it when strict_min), at most `maximum`:
        finite and bounded by the one validator in inputs.py."""
        value = raw.get(key, default)
        if value is None:
            return None
        number, problem = check_number(value, minimum=minimum, maximum=maximum, integer=integer,
                                       strict_min=strict_min)
        if problem or number is None:
            self.add(f"{path}.{key}", problem or "must be a number")
            return None
        return float(number)

    def string(self, raw: Mapping[str, Any], key: str, path: str, default: str | None) -> str | None:
        value = raw.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(f"{path}.{key}", f"must be a non-empty string, got {short(value)}")
            return None
        if problem := text_problem(value):
            self.add(f"{path}.{key}", problem)
            return None
        return value

    def boolean(self, raw: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{path}.{key}", f"must be true or false, got {short(value)}")
            return default
        return value


def type_name(value: Any) -> str:
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return names.get(type(value), type(value).__name__)
