"""`servo-fargate iam-policy`: the least-privilege IAM policy for the configured services,
built from the one list of actions the code calls (worker/aws/permissions.py)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from producer.cliargs import add_config
from producer.exitcodes import EXIT_OK
from worker.aws.permissions import PARTS, Scope, optional, policy
from worker.contract.config import Config, load_config

EPILOG = """\
examples:
  servo-fargate iam-policy > policy.json
  servo-fargate iam-policy --part preflight
  aws iam put-role-policy --role-name servo-worker --policy-name servo-fargate \\
      --policy-document file://policy.json

The policy names the configured clusters and services, the task definition families they
run and the roles those name, read from AWS. What cannot be read is left as `*` (a warning
on stderr says which); --offline reads nothing and leaves region, account and families open.
Optional actions are in the policy and named on stderr with what is lost without them
(logs:GetLogEvents: a failed start's message without the service's last log lines).
"""


def register(sub: Any) -> None:
    """Add the `iam-policy` subcommand to the CLI's subparsers."""
    p = sub.add_parser("iam-policy", help="print the least-privilege IAM policy the config needs",
                       description=__doc__, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config(p)
    p.add_argument("--part", choices=("all", *PARTS), default="all",
                   help="the worker's actions, the preflight's, the CLI's, or all (default)")
    p.add_argument("--offline", action="store_true", help="read nothing from AWS")
    p.set_defaults(handler=cmd_iam_policy)


def cmd_iam_policy(args: argparse.Namespace, out: TextIO | None = None) -> int:
    config = load_config(args.config)
    if args.offline:
        scope = Scope(services=_services(config))
        warnings = ["--offline: iam:PassRole and iam:GetRole are left out, since the task definitions' "
                    "roles are not read; add them for the roles your task definitions name"]
    else:
        scope, warnings = scope_from_aws(config)
    for line in warnings:
        print(f"warning: {line}", file=sys.stderr)
    for perm in optional(args.part):
        print(f"optional: {perm.action} ({perm.why}); without it {perm.optional}", file=sys.stderr)
    json.dump(policy(scope, args.part), out or sys.stdout, indent=2)
    (out or sys.stdout).write("\n")
    return EXIT_OK


def _services(config: Config) -> tuple[tuple[str, str], ...]:
    return tuple((c.cluster, c.service_name) for c in config.components.values())


def scope_from_aws(config: Config) -> tuple[Scope, list[str]]:
    """The account, region, families and roles behind the configured services, read from AWS
    as the preflight reads them; what cannot be read is left open and named in the notes."""
    from worker.aws.clients import Clients
    from worker.aws.preflight import resources
    from worker.aws.preflight.model import Cache, Context

    return resources.policy_scope(Context(config, Clients.for_config(config, max_attempts=3), Cache()))
