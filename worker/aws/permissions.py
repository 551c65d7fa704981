"""Every AWS action the code calls, who calls it and on what resource, and the least-privilege
IAM policy built from that list.

The list is checked against the calls the code really makes (tests/test_permissions.py records
every call that leaves botocore while steps, a rollback, a measurement and `check` run on the
sandbox), so a new call without an entry here fails that test instead of a user's first step.

Resource kinds follow the IAM Service Authorization Reference: where an action supports no
resource-level permission (ECS DescribeTaskDefinition/ListTaskDefinitions/RegisterTaskDefinition,
every ELB, CloudWatch, EC2 and Application Auto Scaling Describe/List/Get), the policy names
`"*"`, since a narrower resource would deny the call. This is why the target groups appear
in no statement: ELB's Describe actions cannot be scoped to them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Part = Literal["worker", "preflight", "cli"]
PARTS: tuple[Part, ...] = ("worker", "preflight", "cli")
Resource = Literal["*", "cluster", "service", "task", "task-definition", "role", "log-group", "none"]

# botocore's client names where they differ from the IAM action prefix.
IAM_PREFIX = {"elbv2": "elasticloadbalancing", "service-quotas": "servicequotas"}
PASSED_TO = "ecs-tasks.amazonaws.com"  # iam:PassRole is allowed only towards ECS tasks


@dataclass(frozen=True)
class Permission:
    """One IAM action, the parts of the tool that call it and the resource it applies to."""

    action: str
    parts: frozenset[Part]
    resource: Resource
    why: str
    condition: Mapping[str, Any] = field(default_factory=dict)
    optional: str = ""  # set: the tool works without it, and this says what is lost


def _p(action: str, parts: str, resource: Resource, why: str, optional: str = "", **condition: Any,
       ) -> Permission:
    return Permission(action, frozenset(parts.split(",")), resource, why,  # type: ignore[arg-type]
                      condition, optional)


PERMISSIONS: tuple[Permission, ...] = (
    # worker/aws/fargate.py: read, register (or reuse) a revision, deploy, roll back
    _p("ecs:DescribeServices", "worker,preflight,cli", "service", "read the service's revision and count"),
    _p("ecs:DescribeTaskDefinition", "worker,preflight,cli", "*", "read the revision to copy"),
    _p("ecs:ListTaskDefinitions", "worker", "*", "find an identical earlier revision to reuse"),
    _p("ecs:RegisterTaskDefinition", "worker", "*", "register the new size"),
    _p("ecs:TagResource", "worker", "task-definition", "carry the revision's tags over on register",
       StringEquals={"ecs:CreateAction": "RegisterTaskDefinition"}),
    _p("ecs:UpdateService", "worker", "service", "deploy a step, and roll it back"),
    # worker/aws/stability.py: why tasks stopped, and target health while settling
    _p("ecs:ListTasks", "worker", "*", "list a deployment's stopped tasks"),
    _p("ecs:DescribeTasks", "worker", "task", "read why a task stopped"),
    _p("elasticloadbalancing:DescribeTargetHealth", "worker", "*", "wait for healthy targets"),
    # worker/aws/tasklogs.py: a stopped task's last log lines (the awslogs driver's stream)
    _p("logs:GetLogEvents", "worker", "log-group", "read a stopped task's last log lines",
       optional="a failed start's message carries only ECS's stop reason and exit codes, not the "
       "service's last log lines: a JVM's 'Java heap space' reads as a bare exit code 1"),
    # worker/aws/cloudwatch.py
    _p("cloudwatch:GetMetricData", "worker,cli", "*", "read the run's CloudWatch metrics"),
    # worker/aws/preflight/: read-only looks at the setup
    _p("sts:GetCallerIdentity", "worker,preflight,cli", "none",
       "name the account; the CLI's reachability probe (needs no permission)"),
    _p("ecs:DescribeClusters", "preflight,cli", "cluster", "cluster.exists; iam-policy reads the services"),
    _p("elasticloadbalancing:DescribeTargetGroups", "preflight", "*", "lb.target-type"),
    _p("elasticloadbalancing:DescribeTargetGroupAttributes", "preflight", "*", "lb.deregistration-delay"),
    _p("elasticloadbalancing:DescribeLoadBalancers", "preflight", "*", "lb.target-group"),
    _p("ec2:DescribeRouteTables", "preflight", "*", "network.route-out"),
    _p("ec2:DescribeSubnets", "preflight", "*", "network.route-out (the VPC's main route table)"),
    _p("ec2:DescribeVpcEndpoints", "preflight", "*", "network.route-out (a VPC without a route out)"),
    _p("application-autoscaling:DescribeScalableTargets", "preflight", "*", "autoscaling.targets"),
    _p("application-autoscaling:DescribeScalingPolicies", "preflight", "*", "autoscaling.targets"),
    _p("servicequotas:GetServiceQuota", "preflight", "*", "quota.fargate-vcpu"),
    _p("cloudwatch:ListMetrics", "preflight", "*", "metrics.exist"),
    _p("iam:GetRole", "preflight", "role", "taskdef.pass-role: the roles exist"),
    _p("iam:SimulatePrincipalPolicy", "preflight", "*", "permissions.iam",
       optional="permissions.iam says unverified instead of checking the policies"),
    # registering a revision that names roles passes them to ECS
    _p("iam:PassRole", "worker", "role", "register a revision naming the task's roles",
       StringEquals={"iam:PassedToService": PASSED_TO}),
)
BY_ACTION: Mapping[str, Permission] = {p.action: p for p in PERMISSIONS}


def iam_action(service: str, operation: str) -> str:
    """The IAM action of a botocore call: client `elbv2`, operation `DescribeTargetHealth` ->
    `elasticloadbalancing:DescribeTargetHealth`."""
    return f"{IAM_PREFIX.get(service, service)}:{operation}"


def actions(part: str = "all") -> list[Permission]:
    """The permissions one part needs (`all`: every part's)."""
    if part != "all" and part not in PARTS:
        raise ValueError(f"unknown part {part!r} (known: all, {', '.join(PARTS)})")
    return [p for p in PERMISSIONS if part == "all" or part in p.parts]


def unlisted(called: Iterable[str]) -> list[str]:
    """The IAM actions in `called` that PERMISSIONS does not list."""
    return sorted({a for a in called if a not in BY_ACTION})


@dataclass(frozen=True)
class Scope:
    """The concrete resources a policy is scoped to; `*` parts where they are unknown."""

    partition: str = "aws"
    region: str = "*"
    account: str = "*"
    services: tuple[tuple[str, str], ...] = ()  # (cluster, service name)
    families: tuple[str, ...] = ()  # task definition families the services run
    roles: tuple[str, ...] = ()  # role ARNs the task definitions name
    log_groups: tuple[str, ...] | None = None  # the awslogs groups they log to; None: not read

    def arns(self, kind: Resource) -> list[str]:
        ecs = f"arn:{self.partition}:ecs:{self.region}:{self.account}"
        if kind == "log-group":  # `:*` covers the group's streams, which GetLogEvents names
            groups = ("*",) if self.log_groups is None else self.log_groups
            return [f"arn:{self.partition}:logs:{self.region}:{self.account}:log-group:{g}:*" for g in groups]
        clusters = sorted({c for c, _ in self.services})
        if kind == "service":
            return [f"{ecs}:service/{c}/{s}" for c, s in self.services]
        if kind == "cluster":
            return [f"{ecs}:cluster/{c}" for c in clusters]
        if kind == "task":
            return [f"{ecs}:task/{c}/*" for c in clusters]
        if kind == "task-definition":
            return [f"{ecs}:task-definition/{f}:*" for f in self.families] or [f"{ecs}:task-definition/*"]
        if kind == "role":
            return list(self.roles)
        return ["*"]


SIDS: Mapping[str, str] = {"*": "Reads", "service": "Services", "cluster": "Clusters", "task": "Tasks",
                            "task-definition": "TaskDefinitionTags", "role": "Roles", "log-group": "TaskLogs"}


def optional(part: str = "all") -> list[Permission]:
    """The permissions of `part` the tool works without, each saying what is lost."""
    return [p for p in actions(part) if p.optional]


def policy(scope: Scope, part: str = "all") -> dict[str, Any]:
    """A least-privilege IAM policy document for `part`, scoped to `scope`'s resources.

    One statement per resource kind and condition; actions that need no permission are left
    out, and so is a role action when no task definition names a role, and a log action when
    none logs with awslogs. An optional action (`optional()`) is in the policy: leave it out to
    go without what it gives.
    """
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for perm in actions(part):
        resources = scope.arns(perm.resource) if perm.resource != "none" else []
        if not resources:
            continue
        key = (perm.resource, json.dumps(perm.condition, sort_keys=True))
        sid = SIDS[perm.resource] + ("Passed" if "iam:PassedToService" in key[1] else "")
        statement = grouped.setdefault(key, {"Sid": sid, "Effect": "Allow", "Action": [],
                                             "Resource": resources if len(resources) > 1 else resources[0]})
        if perm.condition:
            statement["Condition"] = {op: dict(kv) for op, kv in perm.condition.items()}
        statement["Action"] = sorted([*statement["Action"], perm.action])
    return {"Version": "2012-10-17", "Statement": list(grouped.values())}
