"""How a Fargate task's subnet reaches its image registry: pure rules over route targets and
VPC endpoints: a NAT gateway or instance, a transit gateway, peering, or ECR/S3/Logs endpoints."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# A default route's target id prefix, and what it is. Any of them carries a private task's
# traffic out; only an internet gateway serves a task with a public IP and no NAT.
TARGETS = {
    "igw-": "an internet gateway", "nat-": "a NAT gateway", "eni-": "a NAT instance (network interface)",
    "i-": "a NAT instance", "tgw-": "a transit gateway", "pcx-": "a peering connection",
}
# Interface/gateway endpoints that let a task without a route out pull from ECR: the API, the
# Docker registry, and S3 (where ECR keeps the layers); logs only when a container uses awslogs.
ECR_ENDPOINTS = ("ecr.api", "ecr.dkr", "s3")
LOGS_ENDPOINT = "logs"


def way_out(targets: Iterable[str], public: bool) -> str | None:
    """What carries the subnet's default route out, or None when nothing does for this task.

    A task with a public IP uses an internet gateway directly; a private task cannot (it
    needs a NAT or another network to pass through), so an internet gateway alone is no way
    out for it.
    """
    kinds = [(t, kind) for t in targets for prefix, kind in TARGETS.items() if t.startswith(prefix)]
    usable = [(t, k) for t, k in kinds if public or not t.startswith("igw-")]
    if public:
        usable.sort(key=lambda tk: not tk[0].startswith("igw-"))  # the internet gateway first
    return f"{usable[0][1]} ({usable[0][0]})" if usable else None


def missing_endpoints(found: Iterable[str], region: str, task_definition: Mapping[str, Any]) -> list[str]:
    """The endpoint service names a task of `task_definition` needs but the VPC lacks.

    Images outside ECR cannot come through endpoints at all: they are named as missing
    `a route out` since no endpoint serves them.
    """
    have = set(found)
    containers = task_definition.get("containerDefinitions") or []
    need = [f"com.amazonaws.{region}.{e}" for e in ECR_ENDPOINTS]
    if any((c.get("logConfiguration") or {}).get("logDriver") == "awslogs" for c in containers):
        need.append(f"com.amazonaws.{region}.{LOGS_ENDPOINT}")
    missing = [n for n in need if n not in have]
    outside = sorted({str(c.get("image")) for c in containers if ".dkr.ecr." not in str(c.get("image"))})
    if outside:
        missing.append(f"a route out for images outside ECR ({', '.join(outside)})")
    return missing


DEFAULT_ROUTE = "0.0.0.0/0"


def default_targets(table: Mapping[str, Any]) -> list[str]:
    """The target ids of a route table's active default route (a prefix-list route is not one)."""
    out: list[str] = []
    for route in table.get("Routes", []):
        if route.get("DestinationCidrBlock") == DEFAULT_ROUTE and route.get("State", "active") == "active":
            out.extend(v for k, v in route.items() if k.endswith("Id") and isinstance(v, str)
                       and k != "DestinationPrefixListId")
    return out


def show(targets: list[str]) -> str:
    return f"{DEFAULT_ROUTE} via {', '.join(targets)}" if targets else f"no {DEFAULT_ROUTE} route"
