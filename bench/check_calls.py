"""What `servo-fargate check` costs the account's API budget, under the printed IAM policy.

Usage: .venv/bin/python -m bench.check_calls [--runs 5]

A fast sandbox with the IAM gate (emulator/iam_gate.py) loaded with `iam-policy`'s output;
`check` run `--runs` times through the sandbox's public endpoint: wall time per run, AWS
calls per run by action (from the call log), and any denial.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import os
import statistics
import time

os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",  # moto's dummies
                  AWS_DEFAULT_REGION="us-east-1")


def main() -> None:
    from emulator.iam_gate import PolicyGate
    from emulator.profiles import FAST
    from emulator.sandbox import Sandbox
    from producer.check_cmd import cmd_check
    from producer.iam_cmd import cmd_iam_policy

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    gate = PolicyGate({"Statement": []})
    with Sandbox(FAST, gates=[gate]) as box:
        os.environ["AWS_ENDPOINT_URL"] = box.direct_endpoint_url  # the admin prints the policy
        printed = io.StringIO()
        cmd_iam_policy(argparse.Namespace(config=str(box.config_path), part="all", offline=False),
                       out=printed)
        gate.load(json.loads(printed.getvalue()))
        os.environ["AWS_ENDPOINT_URL"] = box.endpoint_url
        times, per_run = [], collections.Counter[str]()
        for _ in range(args.runs):
            before, started = len(box.calls), time.perf_counter()
            code = cmd_check(argparse.Namespace(config=str(box.config_path), only="", format="json"),
                             out=io.StringIO())
            times.append(time.perf_counter() - started)
            per_run = collections.Counter(f"{c.service}:{c.action}" for c in box.calls[before:])
    print(f"check exit {code}; {args.runs} runs: median {statistics.median(times):.3f} s, "
          f"max {max(times):.3f} s; {sum(per_run.values())} AWS calls per run; denied {len(gate.denied)}")
    for action, count in per_run.most_common():
        print(f"  {action:<50} {count}")


if __name__ == "__main__":
    main()
