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
from typing import Any

from producer.api import StepSpec
from worker.contract.config import Config
from worker.contract.errors import ConfigError
from worker.contract.expiry import check_expires
from worker.contract.inputs import load_yaml, read_text
from worker.contract.numbers import parse_number
from worker.contract.problems import type_name
from worker.contract.safetext import name_problem, short

MAX_LISTED = 20  # problems listed for one sweep file

MAX_GRID = 10_000  # a grid larger than this is almost surely a typo
MAX_STEPS = MAX_GRID  # the same cap for a list of steps or CSV rows
STEP_KEYS = ("settings", "component", "control", "expires")  # a step's own keys, beside its settings


def load_sweep(path: str, config: Config) -> list[StepSpec]:
    what = f"sweep {path[:80]}"
    text = read_text(path, what)
    if path.lower().endswith(".csv"):
        return parse_csv(text, config)
    return parse_sweep(load_yaml(text, what), config)


def default_component(config: Config, named: Any, path: str) -> str:
    if named is not None:
        if problem := name_problem(named):
            raise ConfigError([f"{path}: {problem}"])
        return str(named)
    if len(config.components) == 1:
        return next(iter(config.components))
    raise ConfigError([f"{path}: name the component (config has {', '.join(config.components)})"])


def parse_sweep(raw: Any, config: Config) -> list[StepSpec]:
    if isinstance(raw, list):
        raw = {"steps": raw}
    if not isinstance(raw, Mapping):
        raise ConfigError(["sweep: must be a mapping with steps: or grid:, or a list of steps"])
    unknown = [k for k in raw if k not in ("component", "steps", "grid", "control", "expires")]
    if unknown:
        raise ConfigError([f"sweep.{short(k)}: unknown key (allowed: component, steps, grid, control, "
                           "expires)" for k in unknown[:MAX_LISTED]])
    if ("steps" in raw) == ("grid" in raw):
        raise ConfigError(["sweep: needs exactly one of steps: or grid:"])
    control = _mapping(raw.get("control"), "sweep.control")
    expires = raw.get("expires")
    if expires is not None and (bad := check_expires(expires, "sweep.expires")):
        raise ConfigError(bad)
    if "grid" in raw:
        component = default_component(config, raw.get("component"), "sweep.component")
        return [StepSpec(component, settings, control, expires) for settings in expand_grid(raw["grid"])]
    steps = raw["steps"]
    if not isinstance(steps, list):
        raise ConfigError(["sweep.steps: must be a list of settings mappings"])
    if len(steps) > MAX_STEPS:
        raise ConfigError([f"sweep.steps: {len(steps)} steps, above the limit of {MAX_STEPS}"])
    out = []
    for i, step in enumerate(steps):
        if not isinstance(step, Mapping):
            raise ConfigError([f"sweep.steps[{i}]: must be a mapping of setting name to value"])
        if "settings" in step:  # {settings: {...}, control: ..., expires: ...}: the step's own beside them
            unknown = [k for k in step if k not in STEP_KEYS]
            if unknown:
                raise ConfigError([f"sweep.steps[{i}].{short(k)}: unknown key beside settings (allowed: "
                                   f"{', '.join(STEP_KEYS)})" for k in unknown[:MAX_LISTED]])
            settings = dict(_mapping(step["settings"], f"sweep.steps[{i}].settings"))
            meta = dict(step)
        else:  # the flat form: the settings, with the step's own keys among them
            settings = dict(step)
            meta = {k: settings.pop(k) for k in STEP_KEYS if k in settings}
        component = default_component(config, meta.get("component", raw.get("component")),
                                      f"sweep.steps[{i}].component")
        step_control = {**control, **_mapping(meta.get("control"), f"sweep.steps[{i}].control")}
        step_expires = meta.get("expires", expires)
        if step_expires is not None and (bad := check_expires(step_expires, f"sweep.steps[{i}].expires")):
            raise ConfigError(bad)
        out.append(StepSpec(component, settings, step_control, step_expires))
    return out


def _mapping(raw: Any, path: str) -> Mapping[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ConfigError([f"{path}: must be a mapping, got {type_name(raw)}"])
    return raw


def expand_grid(grid: Any) -> list[dict[str, Any]]:
    if not isinstance(grid, Mapping) or not grid:
        raise ConfigError(["sweep.grid: must map setting names to lists of values"])
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ConfigError([f"sweep.grid.{short(name)}: must be a non-empty list of values"])
    size = 1
    for values in grid.values():
        size *= len(values)
        if size > MAX_GRID:
            raise ConfigError([f"sweep.grid: more than {MAX_GRID} combinations, above the limit"])
    names = list(grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*grid.values())]


def parse_csv(text: str, config: Config) -> list[StepSpec]:
    """Rows of a CSV sweep; a duplicate or empty header, a row of the wrong width or too
    many rows is an error, never dropped silently. An empty line is no row (a file's last)."""
    try:
        rows = [row for row in itertools.islice(csv.reader(io.StringIO(text, newline="")), MAX_STEPS + 2)
                if row]
    except csv.Error as exc:
        raise ConfigError([f"sweep.csv: not valid CSV ({exc})"]) from None
    if len(rows) < 2:
        raise ConfigError(["sweep.csv: needs a header row and at least one step"])
    if len(rows) > MAX_STEPS + 1:
        raise ConfigError([f"sweep.csv: more than {MAX_STEPS} rows, above the limit"])
    header = [name.strip() for name in rows[0]]
    problems = [f"sweep.csv header: column {i + 1} has no name" for i, name in enumerate(header) if not name]
    problems += [f"sweep.csv header: {short(name)} appears twice" for i, name in enumerate(header)
                 if name and name in header[:i]]
    problems += [f"sweep.csv row {i + 2}: {len(row)} cells, the header has {len(header)}"
                 for i, row in enumerate(rows[1:]) if len(row) != len(header)]
    if problems:
        raise ConfigError(problems[:MAX_LISTED])
    out = []
    for i, row in enumerate(rows[1:]):
        cells = dict(zip(header, row, strict=True))
        settings: dict[str, Any] = {k: _scalar(v) for k, v in cells.items() if v.strip() and k != "component"}
        component = default_component(config, cells.get("component", "").strip() or None,
                                      f"sweep.csv row {i + 2}: component")
        out.append(StepSpec(component, settings))
    return out


def _scalar(text: str) -> Any:
    """CSV cells are text: a number in the strict grammar becomes a number (`0120` and
    `0x64` stay text, and a setting that needs a number says so), the rest stays a string."""
    value = parse_number(text)
    return text.strip() if value is None else value
