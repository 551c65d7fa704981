"""Sweep files: YAML or CSV holding a list of steps, or a grid to expand.

YAML forms:
    component: web            # default component for every step
    expires: 1800             # seconds a step may wait for a worker (each step's clock starts
                              # when the one before it ended; default 3600)
    steps:                    # a list of settings, in order ...
      - {cpu: 0.5, mem: 1}
      - {cpu: 1, mem: 2, GOGC: 50, control: {duration: 60}, expires: 600}
    grid:                     # ... or a grid: every combination, last key varying fastest
      cpu: [0.5, 1]
      GOGC: [50, 100, 200]
A bare YAML list of steps works too. CSV: a header of setting names (plus optional
`component`), one step per row; empty cells are left unset.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from producer.api import StepSpec
from worker.config import Config
from worker.errors import ConfigError
from worker.expiry import check_expires

MAX_GRID = 10_000  # a grid larger than this is almost surely a typo


def load_sweep(path: str, config: Config) -> list[StepSpec]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read the sweep file ({exc.strerror})"]) from None
    if path.endswith(".csv"):
        return parse_csv(text, config)
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError([f"{path}: not valid YAML ({exc})".replace("\n", " ")]) from None
    return parse_sweep(raw, config)


def default_component(config: Config, named: Any, path: str) -> str:
    if named is not None:
        if not isinstance(named, str):
            raise ConfigError([f"{path}: must be a component name, got {named!r}"])
        return named
    if len(config.components) == 1:
        return next(iter(config.components))
    raise ConfigError([f"{path}: name the component (config has {', '.join(config.components)})"])


def parse_sweep(raw: Any, config: Config) -> list[StepSpec]:
    if isinstance(raw, list):
        raw = {"steps": raw}
    if not isinstance(raw, Mapping):
        raise ConfigError(["sweep: must be a mapping with steps: or grid:, or a list of steps"])
    unknown = set(raw) - {"component", "steps", "grid", "control", "expires"}
    if unknown:
        raise ConfigError([f"sweep.{k}: unknown key (allowed: component, steps, grid, control, expires)"
                           for k in sorted(unknown)])
    if ("steps" in raw) == ("grid" in raw):
        raise ConfigError(["sweep: needs exactly one of steps: or grid:"])
    control = raw.get("control") or {}
    expires = raw.get("expires")
    if expires is not None and (bad := check_expires(expires, "sweep.expires")):
        raise ConfigError(bad)
    if "grid" in raw:
        component = default_component(config, raw.get("component"), "sweep.component")
        return [StepSpec(component, settings, control, expires) for settings in expand_grid(raw["grid"])]
    steps = raw["steps"]
    if not isinstance(steps, list):
        raise ConfigError(["sweep.steps: must be a list of settings mappings"])
    out = []
    for i, step in enumerate(steps):
        if not isinstance(step, Mapping):
            raise ConfigError([f"sweep.steps[{i}]: must be a mapping of setting name to value"])
        settings = dict(step.get("settings", step))
        component = default_component(config, settings.pop("component", raw.get("component")),
                                      f"sweep.steps[{i}].component")
        step_control = {**control, **(settings.pop("control", None) or {})}
        step_expires = settings.pop("expires", expires)
        if step_expires is not None and (bad := check_expires(step_expires, f"sweep.steps[{i}].expires")):
            raise ConfigError(bad)
        out.append(StepSpec(component, settings, step_control, step_expires))
    return out


def expand_grid(grid: Any) -> list[dict[str, Any]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ConfigError(["sweep.grid: must map setting names to lists of values"])
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError([f"sweep.grid.{name}: must be a non-empty list of values"])
    size = 1
    for values in grid.values():
        size *= len(values)
    if size > MAX_GRID:
        raise ConfigError([f"sweep.grid: {size} combinations, above the limit of {MAX_GRID}"])
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def parse_csv(text: str, config: Config) -> list[StepSpec]:
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise ConfigError(["sweep.csv: needs a header row and at least one step"])
    out = []
    for i, row in enumerate(rows):
        settings: dict[str, Any] = {k.strip(): _scalar(v) for k, v in row.items()
                                    if k and v not in (None, "") and k.strip() != "component"}
        component = default_component(config, (row.get("component") or "").strip() or None,
                                      f"sweep.csv row {i + 2}: component")
        out.append(StepSpec(component, settings))
    return out


def _scalar(text: str) -> Any:
    """CSV cells are text: numbers become numbers, the rest stays a string."""
    value = yaml.safe_load(text)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else text.strip()
