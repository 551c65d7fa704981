"""An IAM enforcer for the sandbox: a fault-layer gate that allows a call only when a policy
document allows its action on its resources, with the condition keys a real call sets.

moto's own enforcement (`INITIAL_NO_AUTH_ACTION_COUNT`) covers ECS, ELBv2 and CloudWatch in
server mode, but it checks every action of those services against resource `"*"` only, so
a policy scoped to ARNs (what `servo-fargate iam-policy` prints) would deny everything; and it
is process-wide, counting every test's calls. This gate evaluates the policy per call:

    Sandbox(gates=[PolicyGate(policy_document)])

Resources follow the IAM Service Authorization Reference for the actions servo-fargate calls
(worker/aws/permissions.py): ECS services, clusters, tasks and task definition tags by ARN, IAM
roles by ARN, CloudWatch Logs' GetLogEvents by its log stream's ARN (stricter than AWS, which
names the group: a policy must say `log-group:NAME:*`, as servo's does), everything else `*`. A
register that names roles also needs `iam:PassRole` on them (`iam:PassedToService` =
ecs-tasks.amazonaws.com), and one that carries tags needs
`ecs:TagResource` (`ecs:CreateAction` = RegisterTaskDefinition), as on AWS. Explicit Deny
wins over Allow; `NotAction`/`NotResource` are not supported (the tool never prints them).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.awswire import ApiError
from worker.aws.permissions import PASSED_TO, iam_action

ACCOUNT = "123456789012"  # moto's default account
NO_PERMISSION = {"sts:GetCallerIdentity"}  # AWS answers it whatever the policies say
DENIED_CODE = {"ecs": "AccessDeniedException", "ec2": "UnauthorizedOperation",
               "application-autoscaling": "AccessDeniedException", "logs": "AccessDeniedException",
               "service-quotas": "AccessDeniedException"}  # query services: AccessDenied


@dataclass(frozen=True)
class Need:
    """One permission a call needs: an action on a resource, with its request context."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


class PolicyGate:
    """A fault-layer gate enforcing one identity-based policy document."""

    def __init__(self, policy: Mapping[str, Any], *, region: str = "us-east-1", account: str = ACCOUNT,
                 principal: str = f"arn:aws:iam::{ACCOUNT}:user/servo-worker"):
        self.statements = _statements(policy)
        self.region, self.account, self.principal = region, account, principal
        self.denied: list[Need] = []  # every denial, for tests and demos

    def load(self, policy: Mapping[str, Any]) -> None:
        """Enforce `policy` from the next call on (a running sandbox's IAM changes)."""
        self.statements = _statements(policy)

    def __call__(self, service: str, action: str, params: Mapping[str, Any]) -> ApiError | None:
        for need in needs(service, action, params, self.region, self.account):
            if need.action in NO_PERMISSION or allowed(self.statements, need):
                continue
            self.denied.append(need)
            return ApiError(DENIED_CODE.get(service, "AccessDenied"),
                            f"User: {self.principal} is not authorized to perform: {need.action} on "
                            f"resource: {need.resource} because no identity-based policy allows the "
                            f"{need.action} action")
        return None


def needs(service: str, action: str, params: Mapping[str, Any], region: str, account: str) -> Iterator[Need]:
    """The permissions one API call needs (pure)."""
    name = iam_action(service, action)
    ecs = f"arn:aws:ecs:{region}:{account}"
    if service == "ecs":
        cluster = _name(str(params.get("cluster") or "default"))
        if action in ("DescribeServices", "UpdateService"):
            services = params.get("services") or [params.get("service")]
            for svc in services:
                yield Need(name, f"{ecs}:service/{cluster}/{_name(str(svc))}")
            return
        if action == "DescribeClusters":
            for c in params.get("clusters") or ["default"]:
                yield Need(name, f"{ecs}:cluster/{_name(str(c))}")
            return
        if action == "DescribeTasks":
            for task in params.get("tasks") or []:
                arn = str(task) if str(task).startswith("arn:") else f"{ecs}:task/{cluster}/{task}"
                yield Need(name, arn)
            return
        if action == "RegisterTaskDefinition":
            yield Need(name, "*")
            family = str(params.get("family"))
            if params.get("tags"):
                yield Need("ecs:TagResource", f"{ecs}:task-definition/{family}:*",
                           (("ecs:CreateAction", "RegisterTaskDefinition"),))
            for key in ("executionRoleArn", "taskRoleArn"):
                if params.get(key):
                    yield Need("iam:PassRole", str(params[key]), (("iam:PassedToService", PASSED_TO),))
            return
        if action == "TagResource":
            yield Need(name, str(params.get("resourceArn")))
            return
    if service == "logs" and action == "GetLogEvents":  # on the stream, inside its group
        yield Need(name, f"arn:aws:logs:{region}:{account}:log-group:{params.get('logGroupName')}:"
                         f"log-stream:{params.get('logStreamName')}")
        return
    if service == "iam" and action == "GetRole":
        yield Need(name, f"arn:aws:iam::{account}:role/{params.get('RoleName')}")
        return
    yield Need(name, "*")


def allowed(statements: list[Mapping[str, Any]], need: Need) -> bool:
    """True when a statement allows `need` and none denies it."""
    matching = [s for s in statements if _matches(s, need)]
    return any(s.get("Effect") == "Allow" for s in matching) and not any(
        s.get("Effect") == "Deny" for s in matching)


def _matches(statement: Mapping[str, Any], need: Need) -> bool:
    actions = _list(statement.get("Action"))
    resources = _list(statement.get("Resource"))
    return (any(fnmatch.fnmatchcase(need.action.lower(), a.lower()) for a in actions)
            and any(fnmatch.fnmatchcase(need.resource, r) for r in resources)
            and _condition_holds(statement.get("Condition") or {}, dict(need.context)))


def _condition_holds(condition: Mapping[str, Mapping[str, Any]], context: Mapping[str, str]) -> bool:
    for operator, pairs in condition.items():
        for key, wanted in pairs.items():
            value = context.get(key)
            if value is None:
                return False
            options = _list(wanted)
            if operator == "StringEquals" and value not in options:
                return False
            if operator == "StringLike" and not any(fnmatch.fnmatchcase(value, o) for o in options):
                return False
            if operator not in ("StringEquals", "StringLike"):
                raise ValueError(f"condition operator {operator} is not supported by the sandbox's IAM gate")
    return True


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(v) for v in value or []]


def _name(value: str) -> str:
    """A service or cluster name from a name or an ARN (…:service/cluster/name)."""
    return value.rsplit("/", 1)[-1]
