"""A requested step (component + settings) checked against the config before anything
happens, and turned into a `Target`: the exact values an adjust will apply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from worker import sizes
from worker.config import AB_MAX_CONCURRENCY, MAX_SECONDS, Component, Config
from worker.problems import Problems, type_name


@dataclass(frozen=True)
class Target:
    """What a step asks of one service; None means 'leave as it is'."""

    component: str
    cpu: int | None = None  # CPU units, 1024 per vCPU
    memory: int | None = None  # MiB
    replicas: int | None = None
    env: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "env": dict(self.env)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Target:
        return cls(component=data["component"], cpu=data.get("cpu"), memory=data.get("memory"),
                   replicas=data.get("replicas"), env=dict(data.get("env") or {}))


def flatten_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Accept both `{"cpu": 0.5}` and the servo form `{"cpu": {"value": 0.5}}`."""
    return {k: v["value"] if isinstance(v, Mapping) and "value" in v else v for k, v in raw.items()}


def components_from_state(state: Any) -> dict[str, dict[str, Any]]:
    """Settings per component from the original adjust input:
    `{"application": {"components": {name: {"settings": {...}}}}}`."""
    problems = Problems()
    app = problems.mapping(state, "input")
    application = problems.mapping(app.get("application"), "input.application") if app else None
    comps = (problems.mapping(application.get("components"), "input.application.components")
             if application else None)
    if not comps and not problems.lines:
        problems.add("input.application.components", "is required (the servo adjust format)")
    out: dict[str, dict[str, Any]] = {}
    for name, comp in (comps or {}).items():
        path = f"input.application.components.{name}"
        comp_spec = problems.mapping(comp, path)
        settings = problems.mapping(comp_spec.get("settings"), f"{path}.settings") if comp_spec else None
        if settings is not None:
            out[name] = flatten_settings(settings)
    problems.raise_if_any()
    return out


def validate_step(config: Config, component: str, settings: Mapping[str, Any]) -> Target:
    """Check every requested setting; raise ConfigError naming each bad one.

    Rules: every setting is declared and not pinned; each value is in its range, on its
    step or in its enum; cpu and memory (when both are given) form a Fargate pair;
    replicas is a whole number >= 1; env values are strings without NUL or newline.
    """
    comp = config.component(component)
    problems = Problems()
    path = f"step.{component}.settings"
    if not isinstance(settings, Mapping):
        problems.add(path, f"must be a mapping of setting name to value, got {type_name(settings)}")
        problems.raise_if_any()
    if not settings:
        problems.add(path, "names no setting to change")
    values: dict[str, Any] = {}
    env: dict[str, str] = {}
    for name, value in flatten_settings(settings).items():
        native = _check_one(comp, name, value, f"{path}.{name}", problems)
        if native is None:
            continue
        if name in comp.environment:
            env[name] = str(native)
        else:
            values["memory" if name == "mem" else name] = native
    cpu, memory = values.get("cpu"), values.get("memory")
    if isinstance(cpu, int) and isinstance(memory, int) and (problem := sizes.pair_problem(cpu, memory)):
        problems.add(f"{path}.memory", problem)
    problems.raise_if_any()
    return Target(component=component, cpu=cpu, memory=memory,
                  replicas=values.get("replicas"), env=env)


def _check_one(comp: Component, name: str, value: Any, path: str, problems: Problems) -> int | str | None:
    if not isinstance(name, str):
        problems.add(path, "setting names must be strings")
        return None
    param = comp.param(name)
    if param is None:
        declared = [*comp.settings, *comp.environment] or ["none"]
        problems.add(path, f"is not declared for component {comp.name} "
                           f"(declared: {', '.join(declared)}); undeclared settings are never applied")
        return None
    if param.pinned:
        problems.add(path, "is pinned in the config and cannot be changed by a step")
        return None
    native, problem = param.check(value)
    if problem:
        problems.add(path, problem)
        return None
    return native


# Per-step load overrides: the ab keys by name, and the original driver's `load` message.
CONTROL_KEYS = {"duration": "duration", "warmup": "warmup", "concurrency": "concurrency"}
LEGACY_LOAD_KEYS = {"t_limit": "duration", "t_warmup": "warmup", "n_threads": "concurrency"}
CONTROL_MAXIMA = {"duration": MAX_SECONDS, "warmup": MAX_SECONDS, "concurrency": AB_MAX_CONCURRENCY}


def validate_control(raw: Any) -> dict[str, float | int]:
    """Check a step's `control` (load overrides); return the ab overrides it asks for."""
    problems = Problems()
    spec = problems.mapping(raw, "control") or {}
    out: dict[str, float | int] = {}
    load = problems.mapping(spec.get("load"), "control.load") or {}
    problems.unknown_keys(spec, "control", (*CONTROL_KEYS, "load"))
    problems.unknown_keys(load, "control.load", (*LEGACY_LOAD_KEYS, "n_requests", "test_url"))
    for source, keys, path in ((load, LEGACY_LOAD_KEYS, "control.load"), (spec, CONTROL_KEYS, "control")):
        for key, name in keys.items():
            integer = name == "concurrency"
            minimum = 0 if name == "warmup" else 1 if integer else 0
            value = problems.number(source, key, path, default=None, minimum=minimum, integer=integer,
                                    strict_min=name == "duration", maximum=CONTROL_MAXIMA[name])
            if value is not None:
                out[name] = int(value) if integer else value
    if "test_url" in load:
        problems.add("control.load.test_url", "the load URL comes from the config (ab.url or "
                                              "$AB_TEST_URL), never from a step")
    problems.raise_if_any()
    return out
