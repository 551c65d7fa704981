"""`servo-fargate worker` and `servo-fargate flower`: Celery started the right way, one command.

Thin wrappers that replace this process with Celery (so signals and a supervisor reach
Celery itself): the project's app (worker/flow/app.py), both queues, task events for Flower,
and the config passed on as $SERVO_CONFIG. Anything after `--` goes to Celery unchanged.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from producer.cliargs import add_config, number
from worker.contract import constants as C
from worker.contract import namespace
from worker.contract.config import config_path, load_config
from worker.contract.errors import ConfigError

DEFAULT_CONCURRENCY = 4
FLOWER_PORT = 5555
FLOWER_AUTH_ENV = "FLOWER_BASIC_AUTH"  # user:password, Flower's own variable
FLOWER_USER = "servo"


def register(sub: Any) -> None:
    p = sub.add_parser("worker", help="start a Celery worker for this config (both queues, events)",
                       epilog="example: servo-fargate worker --config sandbox-config.yaml")
    _config(p)
    p.add_argument("--concurrency", "-c", type=number(minimum=1, maximum=256, integer=True),
                   default=DEFAULT_CONCURRENCY, help=f"worker processes (default {DEFAULT_CONCURRENCY})")
    p.add_argument("--queues", "-Q", default=None,
                   help="control (adjust, poll: any host with AWS access), load (benchmark: a host "
                        "next to the load balancer); default both (worker/flow/app.py declares them)")
    p.add_argument("--namespace", metavar="NS", default=None,
                   help="the namespace to serve (default: $SERVO_NAMESPACE, else the config's namespace:)")
    p.add_argument("celery_args", nargs=argparse.REMAINDER, help="after --: passed to celery worker")
    p.set_defaults(handler=cmd_worker)

    p = sub.add_parser("flower", help="start Flower on this Redis, with basic auth",
                       epilog=f"Auth: ${FLOWER_AUTH_ENV}=user:password, else a generated password "
                              "printed once on stderr.")
    _config(p)
    p.add_argument("--port", type=number(minimum=1, maximum=65535, integer=True), default=FLOWER_PORT)
    p.add_argument("--address", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("celery_args", nargs=argparse.REMAINDER, help="after --: passed to celery flower")
    p.set_defaults(handler=cmd_flower)


def _config(p: argparse.ArgumentParser) -> None:
    add_config(p)


QUEUE_ROLES = ("control", "load")


def queue_names(text: str | None, keys: namespace.Keys) -> list[str]:
    """`-Q control,load` as the namespace's queue names (`team-a.control`, ...): Celery given
    the bare name would serve the default namespace's queue. Empty: both (the app's default)."""
    if not text:
        return []
    roles = [part.strip() for part in text.split(",")]
    bad = [role for role in roles if role not in QUEUE_ROLES]
    if bad or not roles:
        raise ConfigError([f"--queues: {', '.join(repr(b) for b in bad) or repr(text)} is not a queue; "
                           f"allowed: control, load, or both (control,load)"])
    by_role = dict(zip(QUEUE_ROLES, keys.queues, strict=True))
    return ["-Q", ",".join(dict.fromkeys(by_role[role] for role in roles))]


def worker_argv(args: argparse.Namespace, keys: namespace.Keys | None = None) -> list[str]:
    queues = queue_names(args.queues, keys or namespace.Keys())
    return [sys.executable, "-m", "celery", "-A", "worker.flow.app", "worker", *queues,
            "-c", str(args.concurrency), "-E", "-l", "INFO", *_rest(args.celery_args)]


def flower_argv(args: argparse.Namespace) -> list[str]:
    """Basic auth goes through the environment (Flower reads FLOWER_* options there), so the
    password never shows in the process list."""
    return [sys.executable, "-m", "celery", "-A", "worker.flow.app", "flower", f"--port={args.port}",
            f"--address={args.address}", *_rest(args.celery_args)]


def _rest(extra: Sequence[str]) -> list[str]:
    return list(extra[1:] if extra and extra[0] == "--" else extra)


def child_env(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The environment Celery starts with: the config, checked first, as $SERVO_CONFIG, and
    the namespace it serves as $SERVO_NAMESPACE (worker/contract/namespace.py: the flag, else the
    environment's, else the config's), so the queues and keys are the producer's."""
    path = os.path.abspath(config_path(args.config, environ))
    config = load_config(path)  # a bad config is exit 2 here, not a worker that refuses every step
    chosen = getattr(args, "namespace", None)
    try:
        ns = namespace.resolve({**environ, **({namespace.ENV_NAMESPACE: chosen} if chosen else {})},
                               config.namespace)
    except ValueError as exc:
        raise ConfigError([str(exc)]) from None
    return {**environ, C.ENV_CONFIG: path, namespace.ENV_NAMESPACE: ns}


def cmd_worker(args: argparse.Namespace) -> int:
    env = child_env(args)
    argv = worker_argv(args, namespace.Keys(env[namespace.ENV_NAMESPACE]))
    print(f"worker: {' '.join(argv[1:])} (config {env[C.ENV_CONFIG]}, namespace "
          f"{env[namespace.ENV_NAMESPACE]})", file=sys.stderr, flush=True)
    os.execve(sys.executable, argv, env)  # noqa: S606 - an argument list, no shell
    return 0  # not reached


def cmd_flower(args: argparse.Namespace) -> int:
    env = child_env(args)
    auth = env.get(FLOWER_AUTH_ENV) or ""
    if not auth:
        auth = f"{FLOWER_USER}:{secrets.token_urlsafe(12)}"
        print(f"flower: no ${FLOWER_AUTH_ENV}; log in as {auth.replace(':', ' / ', 1)}", file=sys.stderr)
    print(f"flower: http://{args.address}:{args.port}/", file=sys.stderr, flush=True)
    os.execve(sys.executable, flower_argv(args), {**env, FLOWER_AUTH_ENV: auth})  # noqa: S606 - no shell
    return 0  # not reached
