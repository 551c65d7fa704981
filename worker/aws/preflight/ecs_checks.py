"""Checks of the config, credentials, cluster, service and task definition."""

from __future__ import annotations

import functools
from typing import Any

from worker.aws import fargate
from worker.aws.preflight import resources as r
from worker.aws.preflight.model import (
    CheckResult,
    Context,
    Missing,
    NotVerifiable,
    check,
)
from worker.contract import sizes
from worker.contract.params import Param


@check("config.valid", critical=True, scope="global")
def config_valid(ctx: Context) -> CheckResult:
    names = ", ".join(ctx.config.components)
    return ctx.ok(f"{ctx.config.path or 'config'} is valid; components: {names}")


@check("config.credentials", critical=True, scope="global")
def credentials(ctx: Context) -> CheckResult:
    region = ctx.clients.session.region_name
    if not region:
        return ctx.fail("no AWS region is configured",
                        "set AWS_REGION (or AWS_DEFAULT_REGION, or region in ~/.aws/config)")
    if ctx.clients.session.get_credentials() is None:
        return ctx.fail("no AWS credentials were found",
                        "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run on a host "
                        "with an instance or task role")
    who = r.identity(ctx)
    return ctx.ok(f"AWS account {who['Account']} as {who['Arn']} in {region}")


@check("cluster.exists", critical=True)
def cluster_exists(ctx: Context) -> CheckResult:
    name = ctx.comp.cluster
    try:
        found = r.cluster(ctx)
    except Missing:
        return ctx.fail(
            f"ECS cluster {name} does not exist in {ctx.clients.session.region_name}",
            f"create it (console: 'Networking only' template) or set fargate.{ctx.comp.name}.cluster to "
            "your cluster's name; AWS does not always create a 'default' cluster")
    return ctx.ok(f"ECS cluster {found['clusterName']} is {found.get('status', 'ACTIVE')}")


@check("service.exists", critical=True)
def service_exists(ctx: Context) -> CheckResult:
    comp = ctx.comp
    r.cluster(ctx)
    try:
        svc = r.service(ctx)
    except Missing:
        found = ctx.cached("ecs.service", comp.cluster, comp.service_name, fetch=lambda: None)
        state = f"is {found['status']}" if found else "does not exist"
        return ctx.fail(f"ECS service {comp.service_name} {state} in cluster {comp.cluster}",
                        f"set fargate.{comp.name}.service_name to the name of an ACTIVE service in "
                        f"{comp.cluster}, or create the service")
    return ctx.ok(f"ECS service {svc['serviceName']} is ACTIVE in cluster {comp.cluster} "
                  f"(desired count {svc.get('desiredCount')})")


@check("service.launch-type", critical=True)
def launch_type(ctx: Context) -> CheckResult:
    svc = r.service(ctx)
    name = svc["serviceName"]
    on, what = fargate.on_fargate(svc)
    if on is None:
        raise NotVerifiable(f"service {name} {what}")
    if on:
        return ctx.ok(f"service {name} {what}")
    return ctx.fail(f"service {name} {what}",
                    "recreate the service with launch type FARGATE (or a strategy of FARGATE/FARGATE_SPOT "
                    "capacity providers only): the launch type cannot be changed on an existing service")


@check("service.deployment-controller", critical=True)
def deployment_controller(ctx: Context) -> CheckResult:
    svc = r.service(ctx)
    kind = (svc.get("deploymentController") or {}).get("type", "ECS")
    if kind == "ECS":
        return ctx.ok(f"service {svc['serviceName']} uses the rolling update (ECS) deployment controller")
    return ctx.fail(f"service {svc['serviceName']} uses the {kind} deployment controller",
                    "recreate the service with the rolling update (ECS) deployment controller: "
                    "servo-fargate deploys through update_service")


@check("service.circuit-breaker")
def circuit_breaker(ctx: Context) -> CheckResult:
    svc = r.service(ctx)
    name = svc["serviceName"]
    if "deploymentConfiguration" not in svc:
        raise NotVerifiable(f"describe_services does not report service {name}'s deploymentConfiguration")
    breaker = svc["deploymentConfiguration"].get("deploymentCircuitBreaker") or {}
    if breaker.get("enable") and breaker.get("rollback"):
        return ctx.ok(f"service {name} has the deployment circuit breaker enabled with rollback")
    state = "enabled without rollback" if breaker.get("enable") else "disabled"
    return ctx.warn(
        f"service {name} has the deployment circuit breaker {state}: a crash-looping setting is "
        "noticed only by servo-fargate's own watch, and ECS keeps retrying it meanwhile",
        f"aws ecs update-service --cluster {ctx.comp.cluster} --service {name} --deployment-configuration "
        "'deploymentCircuitBreaker={enable=true,rollback=true}'")


@check("taskdef.container", critical=True)
def container(ctx: Context) -> CheckResult:
    comp = ctx.comp
    td = r.task_definition(ctx)
    names = ", ".join(c["name"] for c in td.get("containerDefinitions", []))
    family = f"{td.get('family')}:{td.get('revision')}"
    if not comp.container and not comp.environment:  # nothing to tune inside a container
        return ctx.ok(f"task definition {family} has container(s) {names}")
    container, (finding, remedy) = fargate.choose_container(td, comp)
    if container is None:
        return ctx.fail(finding, remedy)
    return ctx.ok(f"task definition {family} has container {container['name']}, whose environment is tuned")


@check("taskdef.size", critical=True)
def task_size(ctx: Context) -> CheckResult:
    td = r.task_definition(ctx)
    family = f"{td.get('family')}:{td.get('revision')}"
    try:
        cpu, memory = int(td["cpu"]), int(td["memory"])
    except (KeyError, TypeError, ValueError):
        return ctx.fail(f"task definition {family} sets no task-level cpu and memory",
                        "register a revision with task-level cpu and memory (required on Fargate)")
    shown = f"{sizes.format_vcpu(cpu)} vCPU / {sizes.format_gib(memory)} GiB"
    if problem := sizes.pair_problem(cpu, memory):
        return ctx.fail(f"task definition {family} is {shown}: {problem}",
                        "register a revision with a valid Fargate cpu/memory pair "
                        "(AWS's Fargate task size table)")
    outside = [p for p in (_outside(ctx.comp.settings.get("cpu"), cpu),
                           _outside(ctx.comp.settings.get("memory"), memory)) if p]
    if outside:
        return ctx.warn(f"task definition {family} is {shown}, outside the configured " + "; ".join(outside),
                        f"widen fargate.{ctx.comp.name}.settings to include the current size, or expect "
                        "the first step to move away from it")
    return ctx.ok(f"task definition {family} is {shown}, a valid Fargate size within the configured ranges")


def _outside(param: Param | None, native: int) -> str | None:
    if param is None:
        return None
    _, problem = param.check(param.to_config(native))
    return f"{param.name}: {problem}" if problem else None


@check("taskdef.pass-role", critical=True)
def pass_role(ctx: Context) -> CheckResult:
    td = r.task_definition(ctx)
    roles = [arn for arn in (td.get("executionRoleArn"), td.get("taskRoleArn")) if arn]
    if not roles:
        return ctx.ok(f"task definition {td.get('family')} names no IAM roles: there is nothing to pass")
    iam = r.client(ctx, "iam")
    for arn in roles:
        name = arn.rsplit("/", 1)[-1]
        found = ctx.cached("iam.role", name, fetch=functools.partial(_get_role, iam, name))
        if found is None:
            return ctx.fail(f"IAM role {arn} named by task definition {td.get('family')} does not exist",
                            "create the role or register a revision naming an existing one")
    denied = r.simulate(ctx, ["iam:PassRole"], roles)
    if denied:
        return ctx.fail(f"the caller may not iam:PassRole {', '.join(roles)}",
                        "allow iam:PassRole on these roles (condition iam:PassedToService "
                        "ecs-tasks.amazonaws.com) for the worker's identity")
    return ctx.ok(f"iam:PassRole is allowed for {', '.join(roles)}")


def _get_role(iam: Any, name: str) -> dict[str, Any] | None:
    try:
        return dict(iam.get_role(RoleName=name)["Role"])
    except iam.exceptions.NoSuchEntityException:
        return None
