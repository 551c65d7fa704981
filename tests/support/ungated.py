"""A copy of a sandbox's config that names moto itself: an admin reading AWS with their own
rights, past the sandbox's IAM gate (the sandbox's own config names its gated endpoint)."""

from __future__ import annotations

from pathlib import Path

import yaml


def ungated_config(config: Path, moto_url: str, out: Path) -> str:
    raw = yaml.safe_load(config.read_text(encoding="utf-8"))
    raw["aws"]["endpoint"] = moto_url
    out.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return str(out)
