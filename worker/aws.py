"""boto3 clients with the standard credential chain, `AWS_ENDPOINT_URL` and adaptive
retries, and the mapping of AWS errors onto the project's errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from worker.aws_settings import AwsSettings
from worker.errors import AdjustmentFailed, AdjustmentRejected

if TYPE_CHECKING:
    from worker.config import Config

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
    endpoint: str | None = None  # the config's aws.endpoint, for further clients

    @classmethod
    def from_env(cls, region: str | None = None, max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                 settings: AwsSettings | None = None) -> Clients:
        """Clients on the boto3 chain, or on the endpoint and region a config's `aws:`
        section names (`settings`, which wins over the environment)."""
        settings = settings or AwsSettings()
        session = boto3.session.Session(**{"region_name": region, **settings.session_kwargs()})
        config = BotoConfig(retries={"mode": "adaptive", "max_attempts": max_attempts},
                            connect_timeout=5, read_timeout=30)
        extra = settings.client_kwargs()
        make: Callable[[str], Any] = lambda name: session.client(name, config=config, **extra)  # noqa: E731
        return cls(ecs=make("ecs"), elbv2=make("elbv2"), cloudwatch=make("cloudwatch"), session=session,
                   endpoint=settings.endpoint)

    @classmethod
    def for_config(cls, config: Config, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Clients:
        return cls.from_env(max_attempts=max_attempts, settings=config.aws)

    def client(self, name: str) -> Any:
        extra = {"endpoint_url": self.endpoint} if self.endpoint else {}
        return self.session.client(name, config=self.ecs.meta.config, **extra)


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
    except NoCredentialsError as exc:  # no retry brings credentials: end the step, say what to do
        raise AdjustmentRejected("no-credentials", f"{action}: no AWS credentials found ({exc}); give the "
                                 "worker credentials through the boto3 chain, or on the local sandbox "
                                 "start it with the config the sandbox wrote") from exc
    except EndpointConnectionError as exc:
        failed = AdjustmentFailed(f"{action}: cannot reach AWS ({exc})")
        failed.unreachable = True  # type: ignore[attr-defined]
        raise failed from exc
    except BotoCoreError as exc:
        raise AdjustmentFailed(f"{action}: {exc}") from exc
