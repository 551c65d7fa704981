"""Collects every validation problem with the field path it belongs to."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from worker.errors import ConfigError


class Problems:
    """A list of `path: message` lines; `raise_if_any` turns them into a ConfigError."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(f"{path}: {message}")

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
                self.add(path, f"keys must be strings, got {key!r}")
                return None
        return raw

    def unknown_keys(self, raw: Mapping[str, Any], path: str, allowed: tuple[str, ...]) -> None:
        for key in raw:
            if key not in allowed:
                self.add(f"{path}.{key}", f"unknown key (allowed: {', '.join(allowed)})")

    def number(
        self, raw: Mapping[str, Any], key: str, path: str, *, default: float | None,
        minimum: float = 0, integer: bool = False, strict_min: bool = False,
    ) -> float | None:
        """A number field at least `minimum` (or above it when strict_min)."""
        value = raw.get(key, default)
        if value is None:
            return None
        kind = "a whole number" if integer else "a number"
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            self.add(f"{path}.{key}", f"must be {kind}, got {value!r}")
            return None
        if value < minimum or (strict_min and value == minimum):
            bound = "above" if strict_min else "at least"
            self.add(f"{path}.{key}", f"must be {bound} {minimum:g}, got {value!r}")
            return None
        return float(value)

    def string(self, raw: Mapping[str, Any], key: str, path: str, default: str | None) -> str | None:
        value = raw.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(f"{path}.{key}", f"must be a non-empty string, got {value!r}")
            return None
        return value

    def boolean(self, raw: Mapping[str, Any], key: str, path: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{path}.{key}", f"must be true or false, got {value!r}")
            return default
        return value


def type_name(value: Any) -> str:
    names: dict[type, str] = {dict: "a mapping", list: "a list", str: "a string"}
    return names.get(type(value), type(value).__name__)
