"""Target identity: the AWS service a step was validated for, and the worker's refusal of
a step meant for another one.

The producer records, at submission, where the step is meant to run: the account (when it
is cheap to know), a custom endpoint (a sandbox, LocalStack) or None for AWS itself, the
region, the cluster and service (with the service ARN when account and region are known)
and a digest of the component's config. It never imports boto3: the account comes from a
cluster ARN in the config, from $AWS_ACCOUNT_ID, or from the account the namespace's
workers pinned in Redis (below), else it stays None.

Before any change a worker compares that with its own config and credentials. Everything
both sides know must match; a worker resolves its own account once with STS, and pins it
in the namespace (first worker wins per endpoint), so a producer that cannot know its
account still records the namespace's, and a worker of another account refuses the step.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from worker.contract.aws_settings import AwsSettings
from worker.contract.config import Component
from worker.contract.errors import ConfigError
from worker.flow import logs

if TYPE_CHECKING:
    from worker.contract.records import RecordStore
    from worker.flow.runtime import Runtime

log = logs.get("servo.target")

AWS_ENDPOINT = "aws"  # the accounts hash's field for AWS's own endpoints
_AWS_HOSTS = (".amazonaws.com", ".amazonaws.com.cn", ".api.aws")


@dataclass(frozen=True)
class ServiceTarget:
    """Where a step runs; None means 'not known' (never compared)."""

    cluster: str
    service: str
    config_digest: str
    endpoint: str | None = None  # a custom endpoint; None is AWS itself
    region: str | None = None
    account: str | None = None
    service_arn: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ServiceTarget:
        return cls(cluster=str(data["cluster"]), service=str(data["service"]),
                   config_digest=str(data["config_digest"]), endpoint=data.get("endpoint"),
                   region=data.get("region"), account=data.get("account"),
                   service_arn=data.get("service_arn"))

    def describe(self) -> str:
        return (f"service {self.service} in cluster {self.cluster}, account {self.account or 'unknown'}, "
                f"region {self.region or 'unknown'}, endpoint {self.endpoint or 'AWS'}, "
                f"config {self.config_digest}")


def config_digest(comp: Component) -> str:
    """The component's whole config, hashed: settings, ranges, timeouts, cluster, service."""
    text = json.dumps(dataclasses.asdict(comp), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def normalize_endpoint(url: str | None) -> str | None:
    """`scheme://host:port` of a custom endpoint; None for none or one of AWS's own."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if not host or host.endswith(_AWS_HOSTS):
        return None
    port = f":{parts.port}" if parts.port else ""
    return f"{(parts.scheme or 'https').lower()}://{host}{port}"


def endpoint_field(endpoint: str | None) -> str:
    return endpoint or AWS_ENDPOINT


def parse_arn(value: str) -> tuple[str | None, str | None, str]:
    """(region, account, name) of `arn:aws:ecs:<region>:<account>:cluster/<name>`, or
    (None, None, value) for a plain name."""
    parts = value.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn":
        return parts[3] or None, parts[4] or None, parts[5].rsplit("/", 1)[-1]
    return None, None, value


def service_arn(region: str | None, account: str | None, cluster: str, service: str) -> str | None:
    if not (region and account):
        return None
    return f"arn:aws:ecs:{region}:{account}:service/{cluster}/{service}"


def for_producer(comp: Component, environ: Mapping[str, str],
                 pinned: Mapping[str, str] | None = None, aws: AwsSettings | None = None) -> ServiceTarget:
    """The target a producer validates a step for, from its config and environment only.
    `pinned`: the namespace's endpoint -> account hash (the producer reads it from Redis).
    `aws`: the config's aws: section, whose endpoint and region win (worker/contract/aws_settings.py)."""
    aws = aws or AwsSettings()
    region, account, cluster = parse_arn(comp.cluster)
    endpoint = normalize_endpoint(aws.endpoint or environ.get("AWS_ENDPOINT_URL_ECS")
                                  or environ.get("AWS_ENDPOINT_URL"))
    region = region or aws.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None
    account = account or environ.get("AWS_ACCOUNT_ID") or (pinned or {}).get(endpoint_field(endpoint)) or None
    return ServiceTarget(cluster=cluster, service=comp.service_name, config_digest=config_digest(comp),
                         endpoint=endpoint, region=region, account=account,
                         service_arn=service_arn(region, account, cluster, comp.service_name))


def for_worker(comp: Component, endpoint_url: str | None, region: str | None,
               account: str | None) -> ServiceTarget:
    """The target this worker would change for `comp`, with its clients' endpoint and region."""
    arn_region, arn_account, cluster = parse_arn(comp.cluster)
    region, account = region or arn_region, account or arn_account
    return ServiceTarget(cluster=cluster, service=comp.service_name, config_digest=config_digest(comp),
                         endpoint=normalize_endpoint(endpoint_url), region=region, account=account,
                         service_arn=service_arn(region, account, cluster, comp.service_name))


def differences(wanted: ServiceTarget, mine: ServiceTarget) -> list[str]:
    """What differs. Endpoint, cluster, service and config always count; region and
    account only when both sides know them."""
    out = []
    for name in ("endpoint", "cluster", "service", "config_digest"):
        if getattr(wanted, name) != getattr(mine, name):
            out.append(name)
    for name in ("region", "account"):
        a, b = getattr(wanted, name), getattr(mine, name)
        if a and b and a != b:
            out.append(name)
    return out


def refusal(wanted: ServiceTarget, mine: ServiceTarget) -> str | None:
    """The message of a wrong-target refusal, naming both targets; None when they match."""
    diff = differences(wanted, mine)
    if not diff:
        return None
    return (f"this step is for {wanted.describe()}; this worker serves {mine.describe()} "
            f"({', '.join(d.replace('_', ' ') for d in diff)} differ). Nothing was changed: submit the "
            "step in the namespace of the workers for that target, or run a worker with the same "
            "config and AWS settings as the producer")


# -- the worker's side: its account, pinned in the namespace, and the check ----------------

_accounts: dict[str, str | None] = {}  # endpoint field -> the account this process resolved


def worker_account(rt: Runtime) -> str | None:
    """This worker's account for its endpoint, asked of STS once per process (None when
    STS does not answer: then only the other fields are compared)."""
    field = endpoint_field(normalize_endpoint(rt.clients.ecs.meta.endpoint_url))
    if field not in _accounts:
        account: str | None
        try:
            account = str(rt.clients.client("sts").get_caller_identity()["Account"])
        except Exception as exc:  # no STS permission, or unreachable: compare what is known
            log.warning("target.account-unknown", error=str(exc))
            account = None
        _accounts[field] = account
        if account:
            pin(rt.store, field, account)
    return _accounts[field]


def pin(store: RecordStore, field: str, account: str) -> None:
    """Record the namespace's account for an endpoint; the first worker's stays."""
    if not store.r.hsetnx(store.keys.accounts, field, account):
        held = store.r.hget(store.keys.accounts, field)
        if held != account:
            log.error("target.other-account", namespace=store.keys.namespace, endpoint=field,
                      pinned=held, mine=account, advice="this worker refuses steps recorded for "
                      "the pinned account; give it its own namespace")


def pinned_accounts(store: RecordStore) -> dict[str, str]:
    return {str(k): str(v) for k, v in store.r.hgetall(store.keys.accounts).items()}


def check(rt: Runtime, record: Mapping[str, Any]) -> str | None:
    """Why this worker must not run the step (a wrong-target message), or None."""
    raw = record.get("service_target")
    if not raw:
        return None  # a record written before target identity: nothing to compare
    wanted = ServiceTarget.from_dict(raw)
    try:
        comp = rt.component(dict(record))
    except ConfigError:
        return (f"this step is for {wanted.describe()}; this worker's config has no component "
                f"{record['component']!r}. Nothing was changed: submit it where its workers run")
    meta = rt.clients.ecs.meta
    return refusal(wanted, for_worker(comp, meta.endpoint_url, meta.region_name, worker_account(rt)))
