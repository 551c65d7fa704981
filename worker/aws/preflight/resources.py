"""Read-only describes of the AWS resources behind a component, each made once per run.

A resource that does not exist raises `Missing`, so a check that depends on it reports
`unverified` and names the check that reports the absence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from worker.aws.clients import error_code
from worker.aws.permissions import Scope
from worker.aws.preflight.model import Context, Missing, NotVerifiable, unverified_when_missing_api
from worker.aws.tasklogs import log_sources

# IAM and STS calls in preflight fail fast: an endpoint without them must not stall the run.
FAST = BotoConfig(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=15)


def client(ctx: Context, name: str) -> Any:
    # the config's aws.endpoint, when it names one, serves IAM and STS as well
    endpoint = {"endpoint_url": ctx.clients.endpoint} if ctx.clients.endpoint else {}
    return ctx.cached("client", name, fetch=lambda: ctx.clients.session.client(name, config=FAST, **endpoint)
                      if name in ("iam", "sts") else ctx.clients.client(name))


def identity(ctx: Context) -> dict[str, Any]:
    return dict(ctx.cached("sts.identity", fetch=lambda: client(ctx, "sts").get_caller_identity()))


def cluster(ctx: Context) -> dict[str, Any]:
    name = ctx.comp.cluster

    def fetch() -> dict[str, Any] | None:
        found = ctx.clients.ecs.describe_clusters(clusters=[name])["clusters"]
        return next((c for c in found if c.get("status") != "INACTIVE"), None)

    found = ctx.cached("ecs.cluster", name, fetch=fetch)
    if found is None:
        raise Missing(f"cluster {name} does not exist (see cluster.exists)")
    return dict(found)


def service(ctx: Context) -> dict[str, Any]:
    comp = ctx.comp
    cluster(ctx)

    def fetch() -> dict[str, Any] | None:
        found = ctx.clients.ecs.describe_services(cluster=comp.cluster, services=[comp.service_name])
        return next(iter(found["services"]), None)

    found = ctx.cached("ecs.service", comp.cluster, comp.service_name, fetch=fetch)
    if found is None or found.get("status") != "ACTIVE":
        raise Missing(f"service {comp.service_name} is not active in cluster {comp.cluster} "
                      "(see service.exists)")
    return dict(found)


def task_definition(ctx: Context) -> dict[str, Any]:
    arn = service(ctx)["taskDefinition"]
    return dict(ctx.cached("ecs.taskdef", arn, fetch=lambda: ctx.clients.ecs.describe_task_definition(
        taskDefinition=arn)["taskDefinition"]))


def target_group_arns(ctx: Context) -> list[str]:
    return [lb["targetGroupArn"] for lb in service(ctx).get("loadBalancers", []) if lb.get("targetGroupArn")]


def target_groups(ctx: Context) -> list[dict[str, Any]]:
    arns = target_group_arns(ctx)
    if not arns:
        raise Missing(f"service {ctx.comp.service_name} has no target group (see lb.target-group)")
    return list(ctx.cached("elbv2.tgs", *arns, fetch=lambda: ctx.clients.elbv2.describe_target_groups(
        TargetGroupArns=arns)["TargetGroups"]))


def target_group_attributes(ctx: Context, arn: str) -> dict[str, str]:
    def fetch() -> dict[str, str]:
        attrs = ctx.clients.elbv2.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
        return {a["Key"]: a["Value"] for a in attrs}

    return dict(ctx.cached("elbv2.tg-attrs", arn, fetch=fetch))


def load_balancers(ctx: Context) -> list[dict[str, Any]]:
    arns = sorted({lb for tg in target_groups(ctx) for lb in tg.get("LoadBalancerArns", [])})
    if not arns:
        return []
    return list(ctx.cached("elbv2.lbs", *arns, fetch=lambda: ctx.clients.elbv2.describe_load_balancers(
        LoadBalancerArns=arns)["LoadBalancers"]))


def awsvpc(ctx: Context) -> dict[str, Any]:
    return dict(service(ctx).get("networkConfiguration", {}).get("awsvpcConfiguration", {}))


def route_table(ctx: Context, subnet_id: str) -> dict[str, Any]:
    """The subnet's explicit route table, else its VPC's main route table."""
    ec2 = client(ctx, "ec2")

    def fetch() -> dict[str, Any]:
        tables = ec2.describe_route_tables(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["RouteTables"]
        if tables:
            return dict(tables[0])
        subnets = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"]
        vpc = subnets[0]["VpcId"]
        main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                  {"Name": "association.main", "Values": ["true"]}])
        if not main["RouteTables"]:
            raise Missing(f"no route table found for subnet {subnet_id} or its VPC {vpc}")
        return dict(main["RouteTables"][0])

    return dict(ctx.cached("ec2.route-table", subnet_id, fetch=fetch))


def vpc_of(ctx: Context, subnet_id: str) -> str:
    ec2 = client(ctx, "ec2")
    return str(ctx.cached("ec2.subnet-vpc", subnet_id, fetch=lambda: ec2.describe_subnets(
        SubnetIds=[subnet_id])["Subnets"][0]["VpcId"]))


def vpc_endpoints(ctx: Context, vpc_id: str) -> list[str]:
    """Service names of the VPC's available endpoints (com.amazonaws.<region>.ecr.dkr, ...)."""
    ec2 = client(ctx, "ec2")

    def fetch() -> list[str]:
        pages = ec2.get_paginator("describe_vpc_endpoints").paginate(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
        return [str(e["ServiceName"]) for page in pages for e in page.get("VpcEndpoints", [])
                if str(e.get("State", "available")).lower() == "available"]

    return list(ctx.cached("ec2.endpoints", vpc_id, fetch=fetch))


def caller_principal(ctx: Context) -> str:
    """The IAM user or role ARN behind the caller (an assumed-role session maps to its role)."""
    arn = str(identity(ctx)["Arn"])
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
    if ":iam::" in arn and (":user/" in arn or ":role/" in arn):
        return arn
    raise NotVerifiable(f"cannot simulate policies for caller {arn} (not an IAM user or role)")


def simulate(ctx: Context, actions: list[str], resources: list[str],
             context: Mapping[str, str] | None = None) -> list[str]:
    """Actions (as 'action on resource') the caller's policies do not allow, simulated with
    the condition keys in `context` (iam:PassedToService, ...) set as a real call sets them."""
    principal = caller_principal(ctx)
    iam = client(ctx, "iam")
    entries = [{"ContextKeyName": k, "ContextKeyValues": [v], "ContextKeyType": "string"}
               for k, v in sorted((context or {}).items())]

    def fetch() -> list[dict[str, Any]]:
        with unverified_when_missing_api("iam:SimulatePrincipalPolicy"):
            try:
                return list(iam.simulate_principal_policy(
                    PolicySourceArn=principal, ActionNames=actions, ResourceArns=resources,
                    ContextEntries=entries)["EvaluationResults"])
            except ClientError as exc:
                if error_code(exc) in ("AccessDenied", "AccessDeniedException"):
                    raise NotVerifiable("the caller may not call iam:SimulatePrincipalPolicy") from exc
                raise

    key = (principal, *actions, "|", *resources, "|", *sorted((context or {}).items()))
    results = ctx.cached("iam.simulate", *key, fetch=fetch)
    return [f"{e['EvalActionName']} on {e.get('EvalResourceName', '*')}" for e in results
            if e.get("EvalDecision") != "allowed"]


def policy_scope(ctx: Context) -> tuple[Scope, list[str]]:
    """The configured services' concrete resources for a policy: region, account, task
    definition families and the roles they name. What cannot be read is left open (`*`)
    and said in the returned notes."""
    notes: list[str] = []
    try:
        account = str(identity(ctx)["Account"])
    except (ClientError, BotoCoreError, NotVerifiable) as exc:
        account = "*"
        notes.append(f"account left as * (sts:GetCallerIdentity failed: {exc})")
    families: list[str] = []
    roles: set[str] = set()
    groups: set[str] = set()
    for comp in ctx.config.components.values():
        sub = replace(ctx, component=comp)
        try:
            td = task_definition(sub)
        except (ClientError, BotoCoreError, NotVerifiable) as exc:
            notes.append(f"service {comp.service_name} in cluster {comp.cluster} not read ({exc}): its "
                         "task definition family and roles are left open")
            continue
        families.append(str(td["family"]))
        roles.update(str(td[k]) for k in ("executionRoleArn", "taskRoleArn") if td.get(k))
        groups.update(s.group for s in log_sources(td, "*"))
    complete = len(families) == len(ctx.config.components)
    return Scope(region=ctx.clients.session.region_name or "*", account=account,
                 services=tuple((c.cluster, c.service_name) for c in ctx.config.components.values()),
                 families=tuple(sorted(set(families))) if complete else (),
                 roles=tuple(sorted(roles)), log_groups=tuple(sorted(groups)) if complete else None), notes
