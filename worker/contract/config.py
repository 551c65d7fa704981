"""`config.yaml` loaded once into frozen, typed objects, every value validated.

The format is a superset of the original servo-fargate driver's: `fargate:` components,
plus `ab:`, `cloudwatch:`, `pricing:` and `aws:` (worker/contract/aws_settings.py) sections.
Environment variables override deployment-specific values: `FARGATE_CLUSTER` (default
cluster), `AB_TEST_URL`, `AB_HEADERS`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from producer.pricing import Pricing, parse_pricing
from worker.contract import constants as C
from worker.contract import inputs
from worker.contract.aws_settings import AwsSettings, parse_aws
from worker.contract.errors import ConfigError
from worker.contract.namespace import problem as namespace_problem
from worker.contract.params import Param, env_name_problem, parse_param
from worker.contract.problems import Problems, type_name
from worker.contract.safetext import ecs_name_problem, name_problem, short, text_problem, url_problem

TOP_KEYS = ("fargate", "ab", "cloudwatch", "pricing", "namespace", "aws")
COMPONENT_KEYS = (
    "service_name", "cluster", "container", "timeout_service_desired_count",
    "rollback_timeout", "max_task_failures", "settings", "environment",
)
SETTING_ROLES = {"cpu": "cpu", "mem": "memory", "memory": "memory", "replicas": "replicas"}
AB_KEYS = (
    "url", "concurrency", "duration", "warmup", "timeout", "keepalive", "processes",
    "requests", "headers", "auth",
)
CW_KEYS = ("duration", "warmup", "delay", "metrics")
METRIC_KEYS = ("Id", "MetricStat", "Expression", "Label", "ReturnData", "Period", "AccountId")
METRIC_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")

AB_DEFAULT_CONCURRENCY = 10  # the original ab driver's n_threads
AB_DEFAULT_DURATION_S = 180  # the original's t_limit
AB_DEFAULT_WARMUP_S = 30  # the original's t_warmup
AB_DEFAULT_TIMEOUT_S = 30  # ab's own -s default
AB_DEFAULT_REQUESTS = 50_000_000  # -n cap paired with -t, so -t decides when ab stops
AB_MAX_CONCURRENCY = 20_000  # ab.c's MAX_CONCURRENCY: ab refuses more
AB_MAX_REQUESTS = 2**31 - 1  # ab reads -n into a C int
AB_MAX_PROCESSES = 64  # parallel ab processes on one load host
MAX_SECONDS = 86_400  # any duration, timeout or delay: one day
MAX_TASK_FAILURES = 1000


@dataclass(frozen=True)
class Component:
    """One tunable Fargate service."""

    name: str
    service_name: str
    cluster: str
    container: str | None = None
    settle_timeout: float = C.DEFAULT_SETTLE_TIMEOUT_S
    rollback_timeout: float = C.DEFAULT_ROLLBACK_TIMEOUT_S
    max_task_failures: int = C.DEFAULT_MAX_TASK_FAILURES
    settings: Mapping[str, Param] = field(default_factory=dict)  # cpu, memory, replicas
    environment: Mapping[str, Param] = field(default_factory=dict)

    def param(self, name: str) -> Param | None:
        """The declared setting called `name` (`mem` is `memory`), or None."""
        key = "memory" if name == "mem" else name
        return self.settings.get(key) or self.environment.get(name)


@dataclass(frozen=True)
class AbAuth:
    """Basic auth for ab: the names of environment variables, never the secrets."""

    username_env: str
    password_env: str


@dataclass(frozen=True)
class AbConfig:
    url: str | None = None
    concurrency: int = AB_DEFAULT_CONCURRENCY
    duration: float = AB_DEFAULT_DURATION_S
    warmup: float = AB_DEFAULT_WARMUP_S
    timeout: float = AB_DEFAULT_TIMEOUT_S
    keepalive: bool = False
    processes: int = 1
    requests: int = AB_DEFAULT_REQUESTS
    headers: tuple[str, ...] = ()
    auth: AbAuth | None = None


@dataclass(frozen=True)
class CloudWatchConfig:
    """The metrics are read over the measured ab run's window (after ab's warmup), `delay`
    seconds after it ends. The original's `cloudwatch.duration` and `warmup` timed its own
    window to match ab's; they are still accepted (and checked) so its configs load, but the
    window is ab's: a window of its own could cover minutes without load (README "The
    original's formats")."""

    delay: float = 60  # CloudWatch data arrives a minute or more late
    metrics: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Config:
    components: Mapping[str, Component]
    ab: AbConfig = AbConfig()
    cloudwatch: CloudWatchConfig | None = None
    path: str | None = None
    pricing: Pricing = field(default_factory=Pricing)  # only the optimizer and reports weigh prices
    namespace: str | None = None  # the config's namespace: $SERVO_NAMESPACE wins (worker.contract.namespace)
    aws: AwsSettings = field(default_factory=AwsSettings)  # endpoint and region of its AWS clients

    def component(self, name: str) -> Component:
        try:
            return self.components[name]
        except KeyError:
            known = ", ".join(self.components) or "none"
            raise ConfigError([f"component: {name!r} is not in the config (known: {known})"]) from None


def config_path(explicit: str | None = None, environ: Mapping[str, str] = os.environ) -> str:
    """`--config`, else `$SERVO_CONFIG`, else `./config.yaml`."""
    return explicit or environ.get(C.ENV_CONFIG) or C.DEFAULT_CONFIG_PATH


def load_config(path: str | None = None, environ: Mapping[str, str] = os.environ) -> Config:
    """Read and validate the config file; raise ConfigError listing every problem."""
    resolved = config_path(path, environ)
    what = f"config {resolved[:80]}"
    return parse_config(inputs.load_yaml(inputs.read_text(resolved, what), what), environ, path=resolved)


def parse_config(raw: Any, environ: Mapping[str, str] = os.environ, path: str | None = None) -> Config:
    problems = Problems()
    top = problems.mapping(raw, "config")
    if top is None:
        problems.raise_if_any()
        raise AssertionError("unreachable")
    problems.unknown_keys(top, "config", TOP_KEYS)
    components = _components(top.get("fargate"), environ, problems)
    ab = _ab(top.get("ab"), environ, problems)
    cloudwatch = _cloudwatch(top["cloudwatch"], problems) if "cloudwatch" in top else None
    pricing = parse_pricing(top.get("pricing"), problems)
    ns = top.get("namespace")
    if ns is not None and (why := namespace_problem(ns)):
        problems.add("namespace", why)
    aws = parse_aws(top.get("aws"), problems)
    problems.raise_if_any()
    return Config(components=components, ab=ab, cloudwatch=cloudwatch, path=path, pricing=pricing,
                  namespace=ns, aws=aws)


def _components(raw: Any, environ: Mapping[str, str], problems: Problems) -> dict[str, Component]:
    if raw is None:
        problems.add("fargate", "is required: a mapping of component name to service settings")
        return {}
    spec = problems.mapping(raw, "fargate")
    if spec is None:
        return {}
    if not spec:
        problems.add("fargate", "must name at least one component")
    out = {}
    for name, comp_raw in spec.items():
        if problem := name_problem(name):
            problems.add("fargate", f"component {problem}")
            continue
        comp = _component(name, comp_raw, environ, problems)
        if comp is not None:
            out[name] = comp
    return out


def _component(name: str, raw: Any, environ: Mapping[str, str], problems: Problems) -> Component | None:
    path = f"fargate.{name}"
    spec = problems.mapping(raw, path)
    if spec is None:
        return None
    before = len(problems.lines)
    problems.unknown_keys(spec, path, COMPONENT_KEYS)
    service = problems.string(spec, "service_name", path, None)
    if service is None and "service_name" not in spec:
        problems.add(f"{path}.service_name", "is required: the ECS service to tune")
    cluster = problems.string(spec, "cluster", path, environ.get(C.ENV_CLUSTER) or C.DEFAULT_CLUSTER)
    container = problems.string(spec, "container", path, None)
    for key, value in (("service_name", service), ("cluster", cluster), ("container", container)):
        if value is not None and (problem := ecs_name_problem(value)):
            problems.add(f"{path}.{key}", problem)
    settle = problems.number(spec, "timeout_service_desired_count", path,
                             default=C.DEFAULT_SETTLE_TIMEOUT_S, strict_min=True, maximum=MAX_SECONDS)
    rollback = problems.number(spec, "rollback_timeout", path,
                               default=C.DEFAULT_ROLLBACK_TIMEOUT_S, strict_min=True, maximum=MAX_SECONDS)
    failures = problems.number(spec, "max_task_failures", path,
                               default=C.DEFAULT_MAX_TASK_FAILURES, minimum=1, integer=True,
                               maximum=MAX_TASK_FAILURES)
    settings = _settings(spec.get("settings"), f"{path}.settings", problems)
    environment = _environment(spec.get("environment"), f"{path}.environment", problems)
    if len(problems.lines) > before or service is None:
        return None
    return Component(
        name=name, service_name=service, cluster=cluster or C.DEFAULT_CLUSTER, container=container,
        settle_timeout=settle or C.DEFAULT_SETTLE_TIMEOUT_S,
        rollback_timeout=rollback or C.DEFAULT_ROLLBACK_TIMEOUT_S,
        max_task_failures=int(failures or C.DEFAULT_MAX_TASK_FAILURES),
        settings=settings, environment=environment,
    )


def _settings(raw: Any, path: str, problems: Problems) -> dict[str, Param]:
    spec = problems.mapping(raw, path)
    if spec is None:
        return {}
    if "mem" in spec and "memory" in spec:
        problems.add(path, "declares both mem and memory; keep one")
    out: dict[str, Param] = {}
    for key, value in spec.items():
        role = SETTING_ROLES.get(key)
        if role is None:
            problems.add(f"{path}.{key}", "unknown setting (allowed: cpu, mem, memory, replicas; "
                                          "environment variables go under environment:)")
            continue
        param = parse_param(value, f"{path}.{key}", role, problems)  # type: ignore[arg-type]
        if param is not None:
            out[role] = param
    return out


def _environment(raw: Any, path: str, problems: Problems) -> dict[str, Param]:
    spec = problems.mapping(raw, path)
    if spec is None:
        return {}
    out = {}
    for name, value in spec.items():
        if problem := env_name_problem(name):
            problems.add(f"{path}.{name}", problem)
            continue
        param = parse_param(value, f"{path}.{name}", "env", problems)
        if param is not None:
            out[name] = param
    return out


def _ab(raw: Any, environ: Mapping[str, str], problems: Problems) -> AbConfig:
    spec = problems.mapping(raw, "ab")
    if spec is None:
        return AbConfig()
    problems.unknown_keys(spec, "ab", AB_KEYS)
    url = environ.get(C.ENV_AB_URL) or problems.string(spec, "url", "ab", None)
    if url is not None and (problem := url_problem(url)):
        problems.add(f"${C.ENV_AB_URL}" if environ.get(C.ENV_AB_URL) else "ab.url", problem)
    headers = _headers(spec.get("headers"), environ, problems)
    auth = None
    if "auth" in spec:
        auth_spec = problems.mapping(spec["auth"], "ab.auth")
        if auth_spec is not None:
            problems.unknown_keys(auth_spec, "ab.auth", ("username_env", "password_env"))
            user = problems.string(auth_spec, "username_env", "ab.auth", None)
            password = problems.string(auth_spec, "password_env", "ab.auth", None)
            if user is None or password is None:
                problems.add("ab.auth", "needs username_env and password_env: the names of "
                                        "environment variables holding the credentials")
            else:
                auth = AbAuth(user, password)

    def num(key: str, default: float, maximum: float, *, integer: bool = False, minimum: float = 0,
            strict: bool = True) -> float:
        value = problems.number(spec, key, "ab", default=default, minimum=minimum, maximum=maximum,
                                integer=integer, strict_min=strict)
        return default if value is None else value

    return AbConfig(
        url=url,
        concurrency=int(num("concurrency", AB_DEFAULT_CONCURRENCY, AB_MAX_CONCURRENCY, integer=True)),
        duration=num("duration", AB_DEFAULT_DURATION_S, MAX_SECONDS),
        warmup=num("warmup", AB_DEFAULT_WARMUP_S, MAX_SECONDS, strict=False),
        timeout=num("timeout", AB_DEFAULT_TIMEOUT_S, MAX_SECONDS),
        keepalive=problems.boolean(spec, "keepalive", "ab", False),
        processes=int(num("processes", 1, AB_MAX_PROCESSES, integer=True)),
        requests=int(num("requests", AB_DEFAULT_REQUESTS, AB_MAX_REQUESTS, integer=True)),
        headers=headers,
        auth=auth,
    )


def header_lines(raw: Any, path: str, problems: Problems) -> tuple[str, ...]:
    """`"Name: value"` lines from a list of them or a mapping, each problem under `path`."""
    return _headers(raw, {}, problems, path)


def _headers(raw: Any, environ: Mapping[str, str], problems: Problems,
             path: str = "ab.headers") -> tuple[str, ...]:
    source = raw
    if environ.get(C.ENV_AB_HEADERS):
        path = f"${C.ENV_AB_HEADERS}"
        try:
            source = inputs.load_json(environ[C.ENV_AB_HEADERS], path)
        except ConfigError:
            problems.add(path, 'must be a JSON list of "Name: value" strings')
            return ()
    if source is None:
        return ()
    if isinstance(source, Mapping):
        source = [f"{k}: {v}" for k, v in source.items()]
    if not isinstance(source, list):
        problems.add(path, f"must be a list of \"Name: value\" strings, got {type_name(source)}")
        return ()
    out = []
    for i, header in enumerate(source):
        if (not isinstance(header, str) or not re.match(r"^[!-9;-~]+:[^\r\n\x00]*$", header)
                or text_problem(header)):
            problems.add(f"{path}[{i}]", f"{short(header)} is not a \"Name: value\" header line "
                                         "without control characters")
            continue
        out.append(header)
    return tuple(out)


def _cloudwatch(raw: Any, problems: Problems) -> CloudWatchConfig | None:
    spec = problems.mapping(raw, "cloudwatch")
    if spec is None:
        return None
    problems.unknown_keys(spec, "cloudwatch", CW_KEYS)
    # Checked, then ignored: the window is the ab run's (CloudWatchConfig says why).
    problems.number(spec, "duration", "cloudwatch", default=AB_DEFAULT_DURATION_S, strict_min=True,
                    maximum=MAX_SECONDS)
    problems.number(spec, "warmup", "cloudwatch", default=0, maximum=MAX_SECONDS)
    delay = problems.number(spec, "delay", "cloudwatch", default=60, maximum=MAX_SECONDS)
    metrics = spec.get("metrics", [])
    if not isinstance(metrics, list):
        problems.add("cloudwatch.metrics",
                     f"must be a list of MetricDataQuery mappings, got {type_name(metrics)}")
        metrics = []
    check_metric_queries(metrics, problems)
    return CloudWatchConfig(delay=60 if delay is None else delay, metrics=tuple(metrics))


def check_metric_queries(queries: Sequence[Any], problems: Problems) -> None:
    """The one check of `cloudwatch.metrics` (MetricDataQuery dicts): the config's load and
    worker/aws/cloudwatch.py's read both use it."""
    seen: set[str] = set()
    for i, query in enumerate(queries):
        _metric_query(query, f"cloudwatch.metrics[{i}]", seen, problems)


def _metric_query(raw: Any, path: str, seen: set[str], problems: Problems) -> None:
    query = problems.mapping(raw, path)
    if query is None:
        return
    problems.unknown_keys(query, path, METRIC_KEYS)
    qid = query.get("Id")
    if not isinstance(qid, str) or not METRIC_ID.match(qid):
        problems.add(f"{path}.Id", f"{qid!r} must start with a lowercase letter and hold only "
                                   "letters, digits and _")
    elif qid in seen:
        problems.add(f"{path}.Id", f"{qid!r} is used by another query; Ids must be unique")
    else:
        seen.add(qid)
    has_stat, has_expr = "MetricStat" in query, "Expression" in query
    if has_stat == has_expr:
        problems.add(path, "needs exactly one of MetricStat or Expression")
        return
    if has_expr:
        if not isinstance(query["Expression"], str) or not query["Expression"].strip():
            problems.add(f"{path}.Expression", "must be a non-empty metric math expression")
        return
    stat = problems.mapping(query["MetricStat"], f"{path}.MetricStat")
    if stat is None:
        return
    for key in ("Metric", "Period", "Stat"):
        if key not in stat:
            problems.add(f"{path}.MetricStat.{key}", "is required")
    metric = problems.mapping(stat.get("Metric", {}), f"{path}.MetricStat.Metric")
    if metric is not None:
        for key in ("Namespace", "MetricName"):
            if not isinstance(metric.get(key), str):
                problems.add(f"{path}.MetricStat.Metric.{key}", "is required and must be a string")
    period = stat.get("Period")
    if "Period" in stat and (not isinstance(period, int) or isinstance(period, bool)
                             or period < 1 or (period >= 60 and period % 60)
                             or (period < 60 and period not in (1, 5, 10, 30))):
        problems.add(f"{path}.MetricStat.Period", f"{period!r} is not a CloudWatch period "
                                                  "(allowed: 1, 5, 10, 30 or a multiple of 60)")
