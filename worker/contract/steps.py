"""A requested step (component + settings) checked against the config before anything
happens, and turned into a `Target`: the exact values an adjust will apply."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from worker.contract import sizes
from worker.contract.config import (
    AB_MAX_CONCURRENCY,
    AB_MAX_REQUESTS,
    MAX_SECONDS,
    AbConfig,
    Component,
    Config,
    header_lines,
)
from worker.contract.problems import Problems, type_name


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


# Per-step load overrides: the ab keys by name, and the original ab driver's `load` message
# (servo-ab: n_threads, n_requests, t_limit, t_warmup, test_url, user, password, headers).
CONTROL_KEYS = {"duration": "duration", "warmup": "warmup", "concurrency": "concurrency"}
LEGACY_LOAD_KEYS = {"t_limit": "duration", "t_warmup": "warmup", "n_threads": "concurrency",
                    "n_requests": "requests"}
LOAD_KEYS = (*LEGACY_LOAD_KEYS, "test_url", "headers", "user", "password")
IGNORED_KEYS = ("userdata",)  # the original servo passes it through to drivers; nothing reads it
CONTROL_MAXIMA = {"duration": MAX_SECONDS, "warmup": MAX_SECONDS, "concurrency": AB_MAX_CONCURRENCY,
                  "requests": AB_MAX_REQUESTS}


def validate_control(raw: Any, ab: AbConfig | None = None) -> dict[str, Any]:
    """Check a step's `control` (load overrides); return the ab overrides it asks for.

    `ab` is the config's section: a `load.test_url` must name its URL (the target comes from
    the config, never from a step), and credentials must be its `auth` (they never travel in
    a step, which is stored in Redis).
    """
    problems = Problems()
    spec = problems.mapping(raw, "control") or {}
    out: dict[str, Any] = {}
    load = problems.mapping(spec.get("load"), "control.load") or {}
    problems.unknown_keys(spec, "control", (*CONTROL_KEYS, "load", *IGNORED_KEYS))
    problems.unknown_keys(load, "control.load", LOAD_KEYS)
    if load.get("t_limit") == 0:
        problems.add("control.load.t_limit", "0 (no time limit) is not supported: every run is timed; "
                                             "give the seconds to run (n_requests still caps the requests)")
        load = {k: v for k, v in load.items() if k != "t_limit"}
    for source, keys, path in ((load, LEGACY_LOAD_KEYS, "control.load"), (spec, CONTROL_KEYS, "control")):
        for key, name in keys.items():
            integer = name in ("concurrency", "requests")
            minimum = 0 if name == "warmup" else 1 if integer else 0
            value = problems.number(source, key, path, default=None, minimum=minimum, integer=integer,
                                    strict_min=name == "duration", maximum=CONTROL_MAXIMA[name])
            if value is not None:
                out[name] = int(value) if integer else value
    if "headers" in load:
        out["headers"] = list(header_lines(load["headers"], "control.load.headers", problems))
    _legacy_target(load, ab, problems)
    problems.raise_if_any()
    return out


def _legacy_target(load: Mapping[str, Any], ab: AbConfig | None, problems: Problems) -> None:
    """`test_url`, `user` and `password` may only restate what the config already says."""
    url = load.get("test_url")
    if url is not None and (ab is None or url != ab.url):
        problems.add("control.load.test_url", f"{url!r} is not the configured target "
                     f"({ab.url if ab and ab.url else 'none'}): the load URL comes from the config "
                     "(ab.url or $AB_TEST_URL), never from a step")
    for key in ("user", "password"):
        if load.get(key) not in (None, ""):  # the original's default is "" (no auth)
            problems.add(f"control.load.{key}", "credentials never travel in a step (steps are stored in "
                         "Redis): name the environment variables holding them in ab.auth.username_env "
                         "and ab.auth.password_env")


SHADOW_MAX = 120  # characters of a stage task's shown name


def shadow_name(record: Mapping[str, Any], stage: str) -> str:
    """The name Flower and the worker's log show for a stage task (Celery's `shadow`):
    `web cpu=0.5 GOGC=90: adjust` instead of `servo.adjust`."""
    from worker.contract.safetext import clip_line

    settings = " ".join(f"{k}={v}" for k, v in (record.get("settings") or {}).items())
    return clip_line(f"{record['component']} {settings}: {stage}", SHADOW_MAX)
