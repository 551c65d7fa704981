"""Checks of what the worker may do and reach: IAM permissions, the ab URL, CloudWatch metrics."""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from worker.aws import permissions
from worker.aws.metric_shape import is_sparse_count
from worker.aws.preflight import resources as r
from worker.aws.preflight.model import CheckResult, Context, NotVerifiable, check


@check("permissions.iam", critical=True, scope="global")
def permissions_iam(ctx: Context) -> CheckResult:
    """Simulate every action the worker and the preflight call, on the real ARNs the generated
    policy names (worker/aws/permissions.py), with the condition keys a real call sets."""
    scope, notes = r.policy_scope(ctx)
    failed: list[str] = []
    warned: list[str] = []
    for part in ("worker", "preflight"):
        for (kind, context), names in groups(part).items():
            arns = scope.arns(kind)
            if not arns:
                continue
            denied = r.simulate(ctx, names, arns, dict(context))
            # A worker action the policy must allow on these ARNs is a failure; an action
            # simulated on open ARNs (unknown family), one only the checks need, or an optional
            # one (named with what is lost without it) warns.
            for action in denied:
                optional = permissions.BY_ACTION[action].optional if action in permissions.BY_ACTION else ""
                if optional:
                    warned.append(f"{action} (optional: without it {optional})")
                else:
                    (failed if part == "worker" and not is_open(arns) else warned).append(action)
    remedy = "grant them to the worker's IAM user or role: servo-fargate iam-policy prints the policy"
    if failed:
        return ctx.fail(f"the caller's IAM policies do not allow: {', '.join(failed)}", remedy)
    if warned:
        return ctx.warn("the caller's IAM policies do not allow: " + ", ".join(warned)
                        + (f" ({'; '.join(notes)})" if notes else ""), remedy)
    total = len(permissions.actions("all"))
    return ctx.ok(f"the caller's IAM policies allow all {total} actions servo-fargate uses, on the "
                  "configured resources")


def is_open(arns: list[str]) -> bool:
    """True when ARNs leave the account or region open, or name any family: they stand for
    resources not read, so a denial on them may not hold for the real ones."""
    return any(":*:" in a or a.endswith("task-definition/*") for a in arns)


def groups(part: str) -> dict[tuple[permissions.Resource, tuple[tuple[str, str], ...]], list[str]]:
    out: dict[tuple[permissions.Resource, tuple[tuple[str, str], ...]], list[str]] = {}
    for perm in permissions.actions(part):
        if perm.resource == "none" or (part == "preflight" and "worker" in perm.parts):
            continue
        context = tuple(sorted((k, v) for cond in perm.condition.values() for k, v in cond.items()))
        out.setdefault((perm.resource, context), []).append(perm.action)
    return out


@check("loadpath.reachable", scope="global")
def reachable(ctx: Context) -> CheckResult:
    url, timeout = ctx.config.ab.url, ctx.config.ab.timeout
    if not url:
        return ctx.warn("ab.url is not set (nor $AB_TEST_URL): benchmarks have no target",
                        "set ab.url to the load balancer's URL, with a path (http://host/)")
    # config validation allows only http:// and https:// URLs here
    request = urllib.request.Request(url, method="GET", headers=_headers(ctx.config.ab.headers))  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        return ctx.fail(f"GET {url} from this host failed within {timeout:g} s: {reason}",
                        "check that the load balancer's security group and listener accept this host, "
                        "and that ab.url names the load balancer")
    if status >= 500:
        return ctx.warn(f"GET {url} answered HTTP {status}",
                        "check the service's tasks are healthy behind the load balancer")
    return ctx.ok(f"GET {url} answered HTTP {status}")


def _headers(lines: tuple[str, ...]) -> dict[str, str]:
    return dict(tuple(part.strip() for part in line.split(":", 1)) for line in lines)  # type: ignore[misc]


@check("loadpath.routes-to-lb")
def routes_to_lb(ctx: Context) -> CheckResult:
    url = ctx.config.ab.url
    if not url:
        raise NotVerifiable("ab.url is not set (see loadpath.reachable)")
    host = (urlparse(url).hostname or "").lower()
    lbs = r.load_balancers(ctx)
    dns = {str(lb["DNSName"]).lower(): lb["LoadBalancerName"] for lb in lbs}
    if host in dns:
        return ctx.ok(f"ab.url host {host} is load balancer {dns[host]}'s DNS name")
    if _is_ip(host) and any(host in _addresses(name) for name in dns):
        return ctx.ok(f"ab.url host {host} is an address of load balancer {', '.join(dns.values())}")
    raise NotVerifiable(f"cannot tell whether ab.url host {host} routes to load balancer "
                        f"{', '.join(f'{n} ({d})' for d, n in dns.items()) or '(none)'}")


def _is_ip(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in host else socket.AF_INET, host)
    except OSError:
        return False
    return True


def _addresses(name: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(name, None)}
    except OSError:
        return set()


@check("metrics.exist", scope="global")
def metrics_exist(ctx: Context) -> CheckResult:
    queries = ctx.config.cloudwatch.metrics if ctx.config.cloudwatch else ()
    stats = [(q["Id"], q["MetricStat"]["Metric"]) for q in queries if "MetricStat" in q]
    if not stats:
        return ctx.ok("no CloudWatch MetricStat queries are configured")
    absent = [(qid, metric) for qid, metric in stats if not _exists(ctx, metric)]
    # An ALB count such as HTTPCode_Target_5XX_Count exists only once it was nonzero: absent is 0.
    zero = {q["Id"] for q in queries if is_sparse_count(q)}
    missing = [f"{qid} ({_describe(metric)})" for qid, metric in absent if qid not in zero]
    if absent and not missing:
        return ctx.ok(f"{len(stats) - len(absent)} CloudWatch metrics exist; "
                      f"{', '.join(qid for qid, _ in absent)} not yet: ALB publishes a count only once "
                      "it is nonzero, so it reads as 0")
    if missing:  # CloudWatch lists a metric only after its first datapoint: maybe not yet
        return ctx.warn(f"no CloudWatch metric matches yet: {', '.join(missing)}",
                        "if the service has had traffic, fix the namespace, metric name and "
                        "dimensions (aws cloudwatch list-metrics --namespace ... shows what exists; "
                        "dimensions must match exactly); a metric appears only with its first "
                        "datapoint, so a new ALB has no TargetResponseTime before its first request")
    return ctx.ok(f"all {len(stats)} CloudWatch metrics exist: {', '.join(qid for qid, _ in stats)}")


def _exists(ctx: Context, metric: Mapping[str, Any]) -> bool:
    dims = sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
    args: dict[str, Any] = {"Namespace": metric["Namespace"], "MetricName": metric["MetricName"]}
    if dims:
        args["Dimensions"] = [{"Name": n, "Value": v} for n, v in dims]
    found = ctx.cached("cw.list", repr(sorted(args.items())), fetch=lambda: _list_metrics(ctx, args))
    # list_metrics also returns metrics with extra dimensions; the query needs the exact set.
    return any(sorted((d["Name"], d["Value"]) for d in m.get("Dimensions", [])) == dims for m in found)


def _list_metrics(ctx: Context, args: dict[str, Any]) -> list[dict[str, Any]]:
    pages = ctx.clients.cloudwatch.get_paginator("list_metrics").paginate(**args)
    return [m for page in pages for m in page.get("Metrics", [])]


def _describe(metric: Mapping[str, Any]) -> str:
    dims = ", ".join(f"{d['Name']}={d['Value']}" for d in metric.get("Dimensions", []))
    return f"{metric['Namespace']} {metric['MetricName']}" + (f" {dims}" if dims else "")
