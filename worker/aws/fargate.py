"""Read and change a Fargate service: describe its settings, and adjust it to a Target
by registering (or reusing) a task definition revision and updating the service.

Only cpu, memory, desired count and declared environment variables ever change; every
other field of the task definition is carried over as AWS described it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from worker.aws import td_fields
from worker.aws.clients import aws_errors
from worker.contract import sizes
from worker.contract.config import Component
from worker.contract.errors import AdjustmentRejected
from worker.contract.steps import Target

# Keys describe_task_definition returns that register_task_definition rejects.
READ_ONLY_KEYS = (
    "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
    "registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt",
)
FARGATE_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
REUSE_SCAN_LIMIT = 50  # newest ACTIVE revisions of the family compared before registering
_reuse_cache: OrderedDict[str, str] = OrderedDict()  # fingerprint -> ARN, this process only
_REUSE_CACHE_SIZE = 512
_seen: OrderedDict[str, str] = OrderedDict()  # revision ARN -> its fingerprint, this process only


@dataclass(frozen=True)
class Snapshot:
    """What the service ran before a step: enough to roll back to it."""

    task_definition: str
    desired_count: int


@dataclass(frozen=True)
class AdjustResult:
    task_definition: str  # ARN the service now runs
    desired_count: int
    deployment_id: str | None  # the deployment to watch; None when nothing was deployed
    previous: Snapshot
    registered: bool  # a new revision was registered
    reused: bool  # an identical earlier revision was reused
    deployed: bool  # update_service was called
    cpu: int | None = None  # the task size the service now runs (CPU units, MiB), kept or changed
    memory: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AdjustResult:
        return cls(**{**data, "previous": Snapshot(**data["previous"])})


@dataclass(frozen=True)
class ServiceState:
    service: Mapping[str, Any]
    task_definition: Mapping[str, Any]
    tags: list[dict[str, str]]

    @property
    def snapshot(self) -> Snapshot:
        return Snapshot(self.service["taskDefinition"], int(self.service["desiredCount"]))


def read_state(ecs: Any, comp: Component) -> ServiceState:
    """Describe the component's service and the task definition it runs (with tags)."""
    service = describe_service(ecs, comp)
    td_fields.watch(ecs)  # warns when the revision has fields this botocore would drop
    with aws_errors("DescribeTaskDefinition", f"task definition {service['taskDefinition']}"):
        resp = ecs.describe_task_definition(taskDefinition=service["taskDefinition"], include=["TAGS"])
    return ServiceState(service, resp["taskDefinition"], list(resp.get("tags") or []))


def describe_service(ecs: Any, comp: Component) -> Mapping[str, Any]:
    with aws_errors("DescribeServices", service_resource(comp)):
        resp = ecs.describe_services(cluster=comp.cluster, services=[comp.service_name])
    services: list[Mapping[str, Any]] = [s for s in resp.get("services", []) if s.get("status") != "INACTIVE"]
    if not services:
        failure = "; ".join(f.get("reason", "") for f in resp.get("failures", [])) or "not found"
        raise AdjustmentRejected("invalid-service", f"service {comp.service_name} in cluster "
                                 f"{comp.cluster}: {failure}")
    return services[0]


def service_resource(comp: Component) -> str:
    """How errors name the component's service."""
    return f"service {comp.service_name} in cluster {comp.cluster}"


def describe(ecs: Any, comp: Component) -> dict[str, Any]:
    """The component's declared settings with their current values, servo describe format."""
    state = read_state(ecs, comp)
    td = state.task_definition
    current: dict[str, Any] = {
        "cpu": int(td["cpu"]), "memory": int(td["memory"]),
        "replicas": int(state.service["desiredCount"]),
    }
    out: dict[str, Any] = {}
    for key, param in comp.settings.items():
        out[key] = {**param.describe(), "value": param.to_config(current[key])}
    if comp.environment:
        env = _env_dict(_container(td, comp))
        for name, param in comp.environment.items():
            value = env.get(name, param.default)
            out[name] = {**param.describe(), "value": _env_value(value, param.kind)}
    return out


class RegisterLater(Exception):
    """The step needs a new revision and the API budget holds no registration now; nothing
    was changed (worker/flow/adjusting.py waits in line and tries again)."""


def adjust(ecs: Any, comp: Component, target: Target, previous: Snapshot | None = None,
           state: ServiceState | None = None, may_register: Callable[[], bool] = lambda: True,
           ) -> AdjustResult:
    """Move the service to `target`. Registers nothing and deploys nothing when nothing
    changes; reuses an identical earlier revision instead of registering a duplicate.

    `previous` is what to roll back to; a redelivered step passes the snapshot it recorded
    before its first attempt changed anything, since the service may already be changed.
    `state` is the service as the caller has just read it (one read instead of two).
    `may_register` is asked before a registration, the first call that changes anything.
    """
    state = state or read_state(ecs, comp)
    _require_fargate(state.service, comp)
    current = registration(state.task_definition)
    wanted = build_registration(current, comp, target)
    desired = target.replicas if target.replicas is not None else int(state.service["desiredCount"])
    previous = previous or state.snapshot
    same_revision = fingerprint(wanted) == fingerprint(current)
    current_arn = state.snapshot.task_definition
    size = {"cpu": int(wanted["cpu"]), "memory": int(wanted["memory"])}
    if same_revision and desired == state.snapshot.desired_count:
        return AdjustResult(current_arn, desired, None, previous, False, False, False, **size)
    arn, registered, reused = current_arn, False, False
    if not same_revision:
        arn = find_revision(ecs, wanted) or ""
        reused = bool(arn)
        if not arn:
            if not may_register():
                raise RegisterLater()
            arn = register(ecs, wanted, state.tags)
            registered = True
    service = update_service(ecs, comp, arn, desired)
    return AdjustResult(arn, desired, deployment_for(service, arn), previous, registered, reused, True,
                        **size)


def rollback(ecs: Any, comp: Component, snapshot: Snapshot) -> str | None:
    """Put the service back on `snapshot`; return the deployment to watch."""
    service = update_service(ecs, comp, snapshot.task_definition, snapshot.desired_count)
    return deployment_for(service, snapshot.task_definition)


def update_service(ecs: Any, comp: Component, arn: str, desired: int) -> Mapping[str, Any]:
    with aws_errors("UpdateService", service_resource(comp)):
        resp = ecs.update_service(cluster=comp.cluster, service=comp.service_name,
                                  taskDefinition=arn, desiredCount=desired)
    service: Mapping[str, Any] = resp["service"]
    return service


def deployment_for(service: Mapping[str, Any], arn: str) -> str | None:
    """The PRIMARY deployment running `arn`, if AWS already reports it."""
    for dep in service.get("deployments", []):
        if dep.get("status") == "PRIMARY" and dep.get("taskDefinition") == arn:
            return str(dep["id"])
    return None


def registration(td: Mapping[str, Any]) -> dict[str, Any]:
    """A described task definition as register_task_definition arguments."""
    reg = {k: copy.deepcopy(v) for k, v in td.items() if k not in READ_ONLY_KEYS}
    return reg


def build_registration(current: Mapping[str, Any], comp: Component, target: Target) -> dict[str, Any]:
    """`current` with only cpu, memory and the target's env vars changed (pure)."""
    reg = copy.deepcopy(dict(current))
    cpu = target.cpu if target.cpu is not None else int(reg["cpu"])
    memory = target.memory if target.memory is not None else int(reg["memory"])
    if problem := sizes.pair_problem(cpu, memory):
        raise AdjustmentRejected("invalid-settings", f"task size: {problem}")
    reg["cpu"], reg["memory"] = str(cpu), str(memory)
    _check_container_limits(reg, cpu, memory)
    if target.env:
        container = _container(reg, comp)
        env = _env_dict(container)
        env.update(target.env)
        container["environment"] = [{"name": k, "value": v} for k, v in env.items()]
    return reg


def fingerprint(reg: Mapping[str, Any]) -> str:
    """Identity of a registration: equal fingerprints mean an identical revision."""
    norm = copy.deepcopy(dict(reg))
    norm.pop("tags", None)
    for container in norm.get("containerDefinitions", []):
        container["environment"] = sorted(container.get("environment") or [], key=lambda e: e["name"])
    blob = json.dumps(norm, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def find_revision(ecs: Any, wanted: Mapping[str, Any]) -> str | None:
    """An ACTIVE revision of the family identical to `wanted`, or None."""
    fp = fingerprint(wanted)
    cached = _reuse_cache.pop(fp, None)
    try:
        if cached and _active_match(ecs, cached, fp):
            return cached
    except AdjustmentRejected:  # deleted since we saw it: fall back to the AWS listing
        pass
    family = wanted["family"]
    with aws_errors("ListTaskDefinitions", f"task definition family {family}"):
        pages = ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=family, status="ACTIVE", sort="DESC",
            PaginationConfig={"MaxItems": REUSE_SCAN_LIMIT},
        )
        arns: list[str] = [arn for page in pages for arn in page["taskDefinitionArns"]]
    for arn in arns:  # listed ACTIVE just now: only the content is left to compare
        if arn.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family and _fingerprint_of(ecs, arn) == fp:
            _remember(fp, arn)
            return arn
    return None


def forget_revisions() -> None:
    """Drop what this process remembers about revisions (tests: after moto was reset)."""
    _reuse_cache.clear()
    _seen.clear()


def _fingerprint_of(ecs: Any, arn: str) -> str:
    """A revision's fingerprint, described once per process: a revision never changes, so a
    scan retried after a throttled call describes only what it has not seen yet."""
    if arn not in _seen:
        with aws_errors("DescribeTaskDefinition", f"task definition {arn}"):
            td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        _seen[arn] = fingerprint(registration(td))
        while len(_seen) > _REUSE_CACHE_SIZE:
            _seen.popitem(last=False)
    return _seen[arn]


def _active_match(ecs: Any, arn: str, fp: str) -> bool:
    with aws_errors("DescribeTaskDefinition", f"task definition {arn}"):
        td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    ok = td.get("status") == "ACTIVE" and fingerprint(registration(td)) == fp
    if ok:
        _remember(fp, arn)
    return ok


def register(ecs: Any, reg: Mapping[str, Any], tags: list[dict[str, str]]) -> str:
    kwargs = dict(reg)
    if tags:
        kwargs["tags"] = tags
    with aws_errors("RegisterTaskDefinition", f"task definition family {reg.get('family')}"):
        arn = str(ecs.register_task_definition(**kwargs)["taskDefinition"]["taskDefinitionArn"])
    _remember(fingerprint(reg), arn)
    return arn


def _remember(fp: str, arn: str) -> None:
    _reuse_cache[fp] = arn
    _reuse_cache.move_to_end(fp)
    while len(_reuse_cache) > _REUSE_CACHE_SIZE:
        _reuse_cache.popitem(last=False)


def on_fargate(service: Mapping[str, Any]) -> tuple[bool | None, str]:
    """Whether every task of the service runs on Fargate, and what it uses, in words (None:
    the service reports neither a launch type nor a capacity provider strategy).

    The one rule for adjust and preflight. A strategy that mixes FARGATE or FARGATE_SPOT with
    an EC2 capacity provider is not Fargate: ECS places tasks on each provider by weight, and
    on EC2 neither the Fargate task sizes nor the Fargate prices hold."""
    launch = service.get("launchType")
    providers = [str(p.get("capacityProvider")) for p in service.get("capacityProviderStrategy") or []]
    if launch == "FARGATE":
        return True, "uses launch type FARGATE"
    if launch:
        return False, f"uses launch type {launch}, not FARGATE"
    if not providers:
        return None, "reports neither a launch type nor a capacity provider strategy"
    others = [p for p in providers if p not in FARGATE_PROVIDERS]
    what = f"uses capacity providers {', '.join(providers)}"
    return not others, what + (f"; {', '.join(others)} is not Fargate" if others else "")


def _require_fargate(service: Mapping[str, Any], comp: Component) -> None:
    fargate, what = on_fargate(service)
    if not fargate:
        raise AdjustmentRejected("invalid-service", f"service {comp.service_name} does not run on "
                                 f"Fargate alone: it {what}")


def choose_container(td: Mapping[str, Any], comp: Component) -> tuple[dict[str, Any] | None, tuple[str, str]]:
    """The container whose environment the component tunes: `container:` when set, else the
    only one. Without one, (None, (finding, remedy)); the one rule for adjust and preflight."""
    containers: list[dict[str, Any]] = td.get("containerDefinitions") or []
    names = ", ".join(str(c.get("name")) for c in containers)
    family = f"{td.get('family')}:{td['revision']}" if td.get("revision") else str(td.get("family"))
    if comp.container:
        for c in containers:
            if c.get("name") == comp.container:
                return c, ("", "")
        return None, (f"task definition {family} has no container {comp.container!r} (containers: {names})",
                      f"set fargate.{comp.name}.container to one of: {names}")
    if len(containers) == 1:
        return containers[0], ("", "")
    return None, (f"task definition {family} has {len(containers)} containers ({names}) and "
                  f"fargate.{comp.name} names none",
                  f"name the one whose environment to tune with `container:` in fargate.{comp.name}")


def _container(td: Mapping[str, Any], comp: Component) -> dict[str, Any]:
    container, (finding, remedy) = choose_container(td, comp)
    if container is None:
        raise AdjustmentRejected("invalid-settings", f"{finding}; {remedy}")
    return container


def _check_container_limits(reg: Mapping[str, Any], cpu: int, memory: int) -> None:
    containers = reg.get("containerDefinitions") or []
    for c in containers:
        limit = c.get("memory")
        if limit and int(limit) > memory:
            raise AdjustmentRejected(
                "invalid-settings", f"container {c.get('name')} has a hard memory limit of {limit} MiB, "
                f"above the task memory of {memory} MiB asked for; lower the container's limit "
                "or ask for more memory")
    reserved = sum(int(c.get("memoryReservation") or c.get("memory") or 0) for c in containers)
    if reserved > memory:
        raise AdjustmentRejected("invalid-settings", f"the containers reserve {reserved} MiB in all, "
                                 f"above the task memory of {memory} MiB asked for")
    cpus = sum(int(c.get("cpu") or 0) for c in containers)
    if cpus > cpu:
        raise AdjustmentRejected("invalid-settings", f"the containers reserve {cpus} CPU units in all, "
                                 f"above the task cpu of {cpu} units asked for")


def _env_dict(container: Mapping[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("environment") or []}


def _env_value(value: str | None, kind: str) -> Any:
    if value is None or kind == "enum":
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    return int(number) if number.is_integer() else number
