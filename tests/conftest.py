"""Shared fixtures: real moto server, real Redis database, a free port.

Every AWS test talks to moto in server mode through boto3's endpoint_url, exactly as the
worker talks to real AWS; moto's state is reset between tests.
"""

from __future__ import annotations

import os
import urllib.request
from collections.abc import Iterator

import pytest

# Tests never touch a real AWS account: fake credentials, a fixed region.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
    AWS_DEFAULT_REGION="us-east-1", AWS_REGION="us-east-1",
)
# Tests use their own Redis database (never the default 0 a running instance may use), set
# before worker.flow.app is imported anywhere, since the Celery app reads it once.
# Under pytest-xdist each test process takes the database below the previous one's (13,
# 12, 11, ...): the tests flush their database, so two processes must never share one.


def _test_redis_url(base: str, xdist_worker: str) -> str:
    if not xdist_worker.startswith("gw"):
        return base
    head, _, db = base.rpartition("/")
    return f"{head}/{int(db or 0) - int(xdist_worker[2:])}"


TEST_REDIS_URL = _test_redis_url(os.environ.get("SERVO_TEST_REDIS_URL", "redis://127.0.0.1:6379/13"),
                                 os.environ.get("PYTEST_XDIST_WORKER", ""))
os.environ["SERVO_REDIS_URL"] = TEST_REDIS_URL
# ... and their own namespace (worker.contract.namespace), so no real worker sharing that Redis can
# pick up a test's step, nor a test a real one. Worker subprocesses inherit it.
TEST_NAMESPACE = os.environ.get("SERVO_TEST_NAMESPACE", "tests")
os.environ["SERVO_NAMESPACE"] = TEST_NAMESPACE
for _var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AB_TEST_URL", "AB_HEADERS", "FARGATE_CLUSTER",
             "SERVO_CONFIG"):
    os.environ.pop(_var, None)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto in server mode, in this process (so the state driver can reach its backends)."""
    from emulator.motoserver import start_moto

    server, url = start_moto()
    yield url
    server.stop()


@pytest.fixture
def aws_endpoint(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A clean moto for this test, with AWS_ENDPOINT_URL pointing at it."""
    req = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=10).close()
    from worker.aws import fargate

    # A reset moto hands out the same revision ARNs again, which AWS never does: forget
    # what this process learned about revisions.
    fargate.forget_revisions()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


@pytest.fixture
def clients(aws_endpoint: str):  # type: ignore[no-untyped-def]
    from worker.aws.clients import Clients

    return Clients.from_env(max_attempts=1)


@pytest.fixture
def redis_db() -> Iterator[object]:
    """The tests' Redis database, emptied before and after the test."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL, decode_responses=True)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
