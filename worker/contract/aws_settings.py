"""The config's `aws:` section: which AWS endpoint and region every client of this config
talks to, so a config carries its own target and no shell needs `export` lines.

    aws:
      endpoint: http://127.0.0.1:4566   # default: AWS itself (or $AWS_ENDPOINT_URL)
      region: us-east-1                 # default: the boto3 chain ($AWS_DEFAULT_REGION, ~/.aws)
      credentials: sandbox              # only for a local sandbox: its dummy keys

Credentials are never written in a config: they come from the standard boto3 chain
(instance profile, environment, ~/.aws). `credentials: sandbox` is the one exception: the
local sandbox's published dummy keys (emulator/sandbox.py), allowed only with an endpoint
on this host, so they can never be sent to AWS itself. Values here win over the
environment's `AWS_ENDPOINT_URL` and region.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from worker.contract.problems import Problems
from worker.contract.safetext import url_problem

AWS_KEYS = ("endpoint", "region", "credentials")
SANDBOX = "sandbox"
SANDBOX_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # moto's dummy pair
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
LOCAL_HOSTS = ("localhost",)


@dataclass(frozen=True)
class AwsSettings:
    endpoint: str | None = None
    region: str | None = None
    sandbox: bool = False  # the sandbox's dummy credentials

    def session_kwargs(self) -> dict[str, Any]:
        """Arguments of boto3.session.Session: the region, and the sandbox's dummy keys."""
        out: dict[str, Any] = {}
        if self.region:
            out["region_name"] = self.region
        if self.sandbox:
            out.update(SANDBOX_KEYS)
        return out

    def client_kwargs(self) -> dict[str, Any]:
        """Arguments of session.client: the endpoint, when the config names one."""
        return {"endpoint_url": self.endpoint} if self.endpoint else {}


def parse_aws(raw: Any, problems: Problems) -> AwsSettings:
    """The `aws:` section; every problem is recorded under `aws.<field>`."""
    if raw is None:
        return AwsSettings()
    spec = problems.mapping(raw, "aws")
    if spec is None:
        return AwsSettings()
    problems.unknown_keys(spec, "aws", AWS_KEYS)
    endpoint = problems.string(spec, "endpoint", "aws", None)
    if endpoint is not None and (why := url_problem(endpoint)):
        problems.add("aws.endpoint", why)
        endpoint = None
    region = problems.string(spec, "region", "aws", None)
    if region is not None and not REGION.match(region):
        problems.add("aws.region", f"{region[:40]!r} is not an AWS region name such as us-east-1")
        region = None
    credentials = spec.get("credentials")
    sandbox = credentials == SANDBOX
    if credentials is not None and not sandbox:
        problems.add("aws.credentials", "the only value is `sandbox` (a local sandbox's dummy keys); real "
                                        "credentials come from the boto3 chain, never from a config file")
    if sandbox and not (endpoint and is_local(endpoint)):
        problems.add("aws.credentials", "`sandbox` needs aws.endpoint on this host (127.0.0.1 or "
                                        "localhost): the dummy keys must never reach AWS")
        sandbox = False
    return AwsSettings(endpoint=endpoint, region=region, sandbox=sandbox)


def is_local(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
