"""Strings that cross a boundary: names and URLs checked on the way in, values escaped for
a terminal or a spreadsheet on the way out, and bad values quoted briefly in messages."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlsplit

SHORT = 40  # characters of a bad value an error message quotes
MAX_LINE = 300  # one printed problem line
# ECS service, cluster and container names: letters, digits, hyphens, underscores, up to 255.
ECS_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$")
ECS_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:(?:cluster|service)/[A-Za-z0-9/_-]{1,512}$")
# Component names and ids a user types: they become CSV cells, Redis keys and file names.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
MAX_URL = 2048
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # OWASP "CSV Injection"


def short(value: Any, limit: int = SHORT) -> str:
    """`repr(value)` cut to about `limit` characters, saying how long the whole was."""
    if isinstance(value, str):
        text = repr(value[: limit + 1])
        size = len(value)
    else:
        text = repr(value) if isinstance(value, int | float | bool) or value is None else type(value).__name__
        size = len(text)
    if size <= limit:
        return text
    return f"{text[: limit + 1]}... ({size} characters)"


def control_chars(text: str) -> bool:
    """True when `text` holds a control, format or line-separator character."""
    return any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in text)


def terminal_safe(text: str) -> str:
    """`text` with every control character escaped (`\\x1b`, `\\n`), safe to print."""
    if not control_chars(text):
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or (
        f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def clip_line(text: str, limit: int = MAX_LINE) -> str:
    """One printable line of at most `limit` characters."""
    safe = terminal_safe(text)
    return safe if len(safe) <= limit else safe[: limit - 3] + "..."


def csv_cell(value: Any) -> Any:
    """A spreadsheet cannot run it: text starting with = + - @ tab or CR gets a leading `'`
    (OWASP); numbers stay numbers."""
    if isinstance(value, str) and value.startswith(CSV_TRIGGERS):
        return "'" + value
    return value


def name_problem(value: Any, pattern: re.Pattern[str] = NAME) -> str | None:
    """Why `value` is not a safe name, or None."""
    if not isinstance(value, str):
        return f"must be a string, got {short(value)}"
    if pattern.match(value):
        return None
    if pattern is ECS_NAME:
        return f"{short(value)} is not an ECS name (letters, digits, - and _, up to 255)"
    limit = 64 if pattern is NAME else 128
    return (f"{short(value)} is not a name (letters, digits, . - and _, starting with a letter "
            f"or digit, up to {limit})")


def ecs_name_problem(value: Any) -> str | None:
    """Why `value` is neither an ECS name nor an ECS ARN, or None."""
    if isinstance(value, str) and ECS_ARN.match(value):
        return None
    return name_problem(value, ECS_NAME)


def url_problem(value: str) -> str | None:
    """Why `value` is not an http(s) URL ab can load, or None."""
    if len(value) > MAX_URL:
        return f"{short(value)} is longer than {MAX_URL} characters"
    if control_chars(value) or any(ch.isspace() for ch in value):
        return f"{short(value)} holds spaces or control characters"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        return f"{short(value)} is not a URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{short(value)} is not an http:// or https:// URL"
    if port == 0:
        return f"{short(value)} has port 0"
    return None


def text_problem(value: str) -> str | None:
    """Why `value` cannot be an environment value or header: NUL, newline, escapes."""
    if control_chars(value.replace("\t", "")):
        return f"{short(value)} holds control characters (NUL, newline, escape)"
    return None
