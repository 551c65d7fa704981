"""Files the CLI writes for the user (`report --out`): never through a symbolic link, and
every path problem is a ConfigError (exit 2) naming `--out`, not a traceback."""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from pathlib import Path

from worker.contract.errors import ConfigError

FILE_MODE = 0o644


def path_problem(path: str) -> str | None:
    """Why `path` cannot name a file to write, or None."""
    if not path or "\x00" in path:
        return "is empty or holds a NUL byte"
    if len(path) > 4096:
        return "is longer than 4096 characters"
    return None


def check_dir(out_dir: Path) -> None:
    """Refuse an `--out` that is not a directory we may create or write into."""
    if problem := path_problem(str(out_dir)):
        raise ConfigError([f"--out: {problem}"])
    if out_dir.is_symlink():
        raise ConfigError([f"--out: {out_dir} is a symbolic link; give the directory it "
                           "points to, so it is clear what gets overwritten"])
    if out_dir.exists() and not out_dir.is_dir():
        raise ConfigError([f"--out: {out_dir} exists and is not a directory"])
    existing_parent = next((p for p in out_dir.parents if p.exists()), None)
    if existing_parent is not None and not existing_parent.is_dir():
        raise ConfigError([f"--out: {existing_parent} is not a directory, so {out_dir} cannot be created"])


def prepare_dir(out_dir: Path) -> None:
    check_dir(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError([f"--out: cannot create {out_dir} ({exc.strerror})"]) from None


def existing(paths: Sequence[Path]) -> list[Path]:
    """The paths that exist already (and would be overwritten); a symbolic link is refused."""
    found = []
    for path in paths:
        if path.is_symlink():
            raise ConfigError([f"--out: {path} is a symbolic link; remove it, a report "
                               "never writes through one"])
        if path.exists():
            if not path.is_file():
                raise ConfigError([f"--out: {path} exists and is not a regular file"])
            found.append(path)
    return found


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path`, replacing a regular file but never following a link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags, FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConfigError([f"--out: {path} is a symbolic link; a report never writes "
                               "through one"]) from None
        raise ConfigError([f"--out: cannot write {path} ({exc.strerror})"]) from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
