"""Fast, honest failure for the CLI: Redis clients with short connect and answer timeouts,
and one quick AWS probe before `check` or `describe`, so a mute or unreachable service is
exit 3 with the right remedy in seconds, not a credentials hint after 17 s.

The worker keeps its own patient clients (worker/aws/clients.py, worker/contract/records.py): a step rides
out a slow minute; a person at a terminal should not wait for one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import redis

from worker.contract.aws_settings import AwsSettings

REDIS_CONNECT_TIMEOUT_S = 3  # TCP connect to Redis
REDIS_ANSWER_TIMEOUT_S = 3  # any one Redis answer (the CLI never issues blocking commands)
AWS_PROBE_TIMEOUT_S = 3  # connect and first answer of the AWS probe, one attempt
CREDENTIALS_REMEDY = ("on the local sandbox, use the config it wrote (servo-fargate sandbox --background; "
                      "its aws: section carries the endpoint and dummy keys); on AWS, give credentials "
                      "through the boto3 chain: an instance profile, AWS_PROFILE, or AWS_ACCESS_KEY_ID "
                      "and AWS_SECRET_ACCESS_KEY")


def redis_client(url: str) -> redis.Redis:
    """A Redis client that gives up on a mute server within seconds."""
    return redis.Redis.from_url(url, decode_responses=True, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_S,
                                socket_timeout=REDIS_ANSWER_TIMEOUT_S)


@dataclass(frozen=True)
class Reach:
    """What the AWS probe found: `ok`, else the exit code, the finding and the remedy."""

    ok: bool
    exit_code: int = 0
    finding: str = ""
    remedy: str = ""


def probe_aws(region: str | None = None, settings: AwsSettings | None = None) -> Reach:
    """One GetCallerIdentity call with a short timeout and no retry: can AWS be reached at all,
    with these credentials? It needs no IAM permission, so a least-privilege role passes it.
    On the config's `aws:` endpoint and region (`settings`) when it names them."""
    import boto3
    from botocore.config import Config as BotoConfig
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        ConnectionClosedError,
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        ReadTimeoutError,
    )

    from producer.exitcodes import EXIT_UNREACHABLE

    settings = settings or AwsSettings()
    endpoint = settings.endpoint or os.environ.get("AWS_ENDPOINT_URL") or "the AWS endpoint for the region"
    config = BotoConfig(connect_timeout=AWS_PROBE_TIMEOUT_S, read_timeout=AWS_PROBE_TIMEOUT_S,
                        retries={"mode": "standard", "total_max_attempts": 1})
    try:
        session = boto3.session.Session(**{"region_name": region, **settings.session_kwargs()})
        client: Any = session.client("sts", config=config, **settings.client_kwargs())
        client.get_caller_identity()
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, ConnectionClosedError) as exc:
        return Reach(False, EXIT_UNREACHABLE, f"cannot reach AWS at {endpoint}: {type(exc).__name__}",
                     "check the network and proxy, AWS_REGION, and AWS_ENDPOINT_URL if set")
    except NoRegionError:
        return Reach(False, EXIT_UNREACHABLE, "no AWS region is configured",
                     "set aws.region in the config, or AWS_DEFAULT_REGION")
    except NoCredentialsError:
        return Reach(False, EXIT_UNREACHABLE, "no AWS credentials found", CREDENTIALS_REMEDY)
    except (ClientError, BotoCoreError):
        return Reach(True)  # AWS answered; the checks say what is wrong with the answer
    return Reach(True)


def cli_producer(config_path: str | None) -> Any:
    """A Producer for the CLI: the config at `config_path`, and Redis (for records and
    tasks alike, $SERVO_REDIS_URL) behind a client with short timeouts."""
    from producer.api import Producer
    from worker.contract.config import load_config
    from worker.contract.errors import ConfigError
    from worker.contract.records import RecordStore
    from worker.flow.app import make_app, redis_url

    url = redis_url()
    try:
        client = redis_client(url)
    except ValueError as exc:  # redis-py's message never holds the password
        raise ConfigError([f"$SERVO_REDIS_URL: not a Redis URL ({exc})"]) from None
    return Producer(load_config(config_path), RecordStore(client), make_app(url))
