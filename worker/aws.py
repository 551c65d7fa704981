"""boto3 clients with the standard credential chain, `AWS_ENDPOINT_URL` and adaptive
retries, and the mapping of AWS errors onto the project's errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from worker.errors import AdjustmentFailed, AdjustmentRejected

DEFAULT_MAX_ATTEMPTS = 8  # adaptive mode backs off on throttling before giving up

THROTTLING = {"Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
              "TooManyRequestsException", "ServiceUnavailable", "ServerException",
              "InternalFailure", "ServiceUnavailableException", "InternalError"}


@dataclass(frozen=True)
class Clients:
    """The AWS clients the worker uses, built once per process."""

    ecs: Any
    elbv2: Any
    cloudwatch: Any
    session: Any

    @classmethod
    def from_env(cls, region: str | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Clients:
        session = boto3.session.Session(region_name=region)
        config = BotoConfig(retries={"mode": "adaptive", "max_attempts": max_attempts},
                            connect_timeout=5, read_timeout=30)
        make: Callable[[str], Any] = lambda name: session.client(name, config=config)  # noqa: E731
        return cls(ecs=make("ecs"), elbv2=make("elbv2"), cloudwatch=make("cloudwatch"), session=session)

    def client(self, name: str) -> Any:
        return self.session.client(name, config=self.ecs.meta.config)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


@contextmanager
def aws_errors(action: str) -> Iterator[None]:
    """Turn boto errors raised inside into AdjustmentFailed (retry) or Rejected (do not)."""
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        text = f"{action}: {code or status}: {error_message(exc)}"
        if code in THROTTLING or status >= 500:
            raise AdjustmentFailed(text) from exc
        if code in ("ServiceNotFoundException", "ClusterNotFoundException", "ServiceNotActiveException"):
            raise AdjustmentRejected("invalid-service", text) from exc
        if code in ("AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException"):
            raise AdjustmentFailed(text) from exc
        raise AdjustmentRejected("invalid-settings", text) from exc
    except EndpointConnectionError as exc:
        failed = AdjustmentFailed(f"{action}: cannot reach AWS ({exc})")
        failed.unreachable = True  # type: ignore[attr-defined]
        raise failed from exc
    except BotoCoreError as exc:
        raise AdjustmentFailed(f"{action}: {exc}") from exc
