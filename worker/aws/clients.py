"""boto3 clients with the standard credential chain, `AWS_ENDPOINT_URL` and botocore's
`standard` retries, and the one map of AWS errors onto the project's errors.

Retries happen in two places only: botocore retries a throttled or 5xx call a few times
(`standard` mode, exponential backoff with jitter), and past that the stage's own loop
(the poll, or adjust's re-run) looks again later, up to the step's deadline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from worker.contract.aws_settings import AwsSettings
from worker.contract.errors import (
    AdjustmentRejected,
    AwsTerminal,
    AwsTransient,
    AwsUnreachable,
    TransientError,
)

if TYPE_CHECKING:
    from worker.contract.config import Config

# botocore's own attempts per call (the first included): few, since the stage loops retry too.
DEFAULT_MAX_ATTEMPTS = 3

Kind = Literal["transient", "terminal", "rejected"]

TRANSIENT_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "ServiceUnavailable", "ServiceUnavailableException", "ServerException", "InternalFailure",
    "InternalError", "InternalServerError", "RequestTimeout", "RequestTimeoutException",
})
DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "ExpiredToken",
    "ExpiredTokenException", "UnrecognizedClientException", "InvalidClientTokenId",
    "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature", "AuthFailure",
    "MissingAuthenticationToken", "RequestExpired",
})
NOT_FOUND_CODES = frozenset({
    "ServiceNotFoundException", "ClusterNotFoundException", "ServiceNotActiveException",
    "TargetGroupNotFound", "TargetGroupNotFoundException", "LoadBalancerNotFound",
    "ResourceNotFoundException",
})
INVALID_CODES = frozenset({
    "InvalidParameterException", "InvalidParameterValue", "InvalidParameterCombination", "ValidationError",
    "ValidationException", "MissingParameter",
})
# A ClientException that only means "someone else is registering in this family right now".
TRANSIENT_MESSAGES = re.compile(r"too many concurrent attempts", re.I)
# The permission AWS names in an access-denied message, when it does.
NAMED_PERMISSION = re.compile(r"not authorized to perform:?\s*([a-z0-9-]+:[A-Za-z0-9]+)")
# IAM prefixes of the actions the worker calls outside ECS.
ACTION_SERVICE = {"DescribeTargetHealth": "elasticloadbalancing",
                  "DescribeTargetGroups": "elasticloadbalancing",
                  "DescribeLoadBalancers": "elasticloadbalancing", "GetMetricData": "cloudwatch",
                  "GetLogEvents": "logs"}


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
        config = BotoConfig(retries={"mode": "standard", "total_max_attempts": max_attempts},
                            connect_timeout=5, read_timeout=30)
        extra = settings.client_kwargs()
        make: Callable[[str], Any] = lambda name: session.client(name, config=config, **extra)  # noqa: E731
        return cls(ecs=make("ecs"), elbv2=make("elbv2"), cloudwatch=make("cloudwatch"), session=session,
                   endpoint=settings.endpoint)

    @classmethod
    def for_config(cls, config: Config, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> Clients:
        return cls.from_env(max_attempts=max_attempts, settings=config.aws)

    def client(self, name: str, region: str | None = None) -> Any:
        """Another client with the same settings (in `region`, else the session's)."""
        extra = {"endpoint_url": self.endpoint} if self.endpoint else {}
        return self.session.client(name, region_name=region, config=self.ecs.meta.config, **extra)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", "")) or str(exc)


def classify(code: str, status: int, message: str) -> tuple[Kind, str]:
    """What an AWS error means for the step (pure): transient (look again later), terminal
    (end the step: the reason says which of FAIL_REASONS) or rejected (the settings cannot
    run: a REJECT_REASONS reason)."""
    if code in TRANSIENT_CODES or status >= 500 or TRANSIENT_MESSAGES.search(message):
        return "transient", "aws-transient"
    if code in DENIED_CODES:
        return "terminal", "access-denied"
    if code in NOT_FOUND_CODES:
        return "terminal", "aws-not-found"
    if code in INVALID_CODES:
        return "terminal", "aws-invalid"
    return "rejected", "invalid-settings"


def permission(action: str, message: str) -> str:
    """The IAM permission an access-denied action needs: as AWS named it, else derived."""
    if named := NAMED_PERMISSION.search(message):
        return named.group(1)
    return f"{ACTION_SERVICE.get(action, 'ecs')}:{action}"


@contextmanager
def aws_errors(action: str, resource: str | None = None) -> Iterator[None]:
    """Turn boto errors raised inside into the project's: AwsTransient (look again later),
    AwsTerminal (end the step, naming `action` and `resource`) or AdjustmentRejected."""
    try:
        yield
    except ClientError as exc:
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        message = error_message(exc)
        kind, reason = classify(code, status, message)
        if kind == "transient":
            raise AwsTransient(action, code or str(status), message) from exc
        if kind == "terminal":
            need = permission(action, message) if reason == "access-denied" else None
            raise AwsTerminal(reason, action, code, message, resource=resource, permission=need) from exc
        where = f" on {resource}" if resource else ""
        raise AdjustmentRejected(reason, f"{action}{where}: {code or status}: {message}") from exc
    except NoCredentialsError as exc:  # no retry brings credentials: end the step, say what to do
        raise AwsTerminal("no-credentials", action, "NoCredentials",
                          f"no AWS credentials found ({exc}); give the worker credentials through the "
                          "boto3 chain, or on the local sandbox start it with the config the sandbox "
                          "wrote") from exc
    except EndpointConnectionError as exc:
        raise AwsUnreachable(f"{action}: cannot reach AWS ({exc})") from exc
    except BotoCoreError as exc:  # read timeouts, connection resets: the network, not the request
        raise TransientError(f"{action}: {exc}") from exc
