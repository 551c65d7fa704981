"""Make sure a Redis server answers at $SERVO_REDIS_URL; start a local one if none does.

Used by `make test`, `make demo` and `.ci/run`. It never stops a server it did not start,
and it starts one only on localhost.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from urllib.parse import urlparse

import redis

from tests.support.waiting import wait_until
from worker.contract.constants import DEFAULT_REDIS_URL, ENV_REDIS_URL


def answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def main() -> int:
    url = os.environ.get(ENV_REDIS_URL, DEFAULT_REDIS_URL)
    if answers(url):
        return 0
    parsed = urlparse(url)
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        print(f"Redis at {parsed.hostname} does not answer; start it, or point "
              f"{ENV_REDIS_URL} at one that does", file=sys.stderr)
        return 1
    server = shutil.which("redis-server")
    if server is None:
        print("redis-server is not installed: apt-get install redis-server", file=sys.stderr)
        return 1
    port = str(parsed.port or 6379)
    subprocess.run([server, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", port,
                    "--save", "", "--appendonly", "no"], check=True)
    try:
        wait_until(lambda: answers(url), 5, f"redis-server to answer on port {port}", every=0.1)
    except AssertionError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(f"started redis-server on 127.0.0.1:{port}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
