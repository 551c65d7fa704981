"""What the sandbox's public endpoint costs, and how its buckets hold (issue 10, part 1).

Usage: .venv/bin/python -m bench.fault_layer [--calls 400] [--burst-s 3]

On one in-process moto with a cluster and one service:
1. latency of DescribeServices (one service named) straight to moto and through the fault
   layer without faults, sequential, `--calls` each: the layer's own cost per call;
2. with `throttle` on and retries off, DescribeServices as fast as one client can for
   `--burst-s` seconds: calls passed vs the bucket's promise (burst 50 + 20/s), from the
   call log, as a bench in another process would read it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(url: str, name: str = "ecs") -> Any:
    return boto3.client(name, endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=NO_RETRIES)  # moto's dummy credentials


def latencies_ms(call: Callable[[], Any], n: int) -> list[float]:
    out = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def burst(call: Callable[[], Any], seconds: float) -> tuple[int, int, float]:
    passed = throttled = 0
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        try:
            call()
            passed += 1
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ThrottlingException":
                raise
            throttled += 1
    return passed, throttled, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    from emulator.calllog import CallLog, summarize
    from emulator.faultlayer import FaultLayer, PublicEndpoint, moto_app
    from emulator.faults import parse_faults
    from emulator.motoserver import start_moto

    parser = argparse.ArgumentParser(prog="python -m bench.fault_layer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--burst-s", type=float, default=3.0)
    args = parser.parse_args(argv)
    server, direct = start_moto()
    endpoints = []
    try:
        setup = client(direct)
        setup.create_cluster(clusterName="c")
        kind = PublicEndpoint(FaultLayer(moto_app(), parse_faults("seed=1"))).start()
        log = CallLog()
        hostile = PublicEndpoint(FaultLayer(moto_app(), parse_faults("throttle,seed=1"), log=log)).start()
        endpoints += [kind, hostile]
        for name, url in (("moto directly", direct), ("through the layer, no faults", kind.url)):
            ecs = client(url)
            latencies_ms(lambda ecs=ecs: ecs.describe_services(cluster="c", services=["web"]), 20)  # warm up
            lat = sorted(latencies_ms(lambda ecs=ecs: ecs.describe_services(cluster="c", services=["web"]),
                                      args.calls))
            print(f"{name:<30} DescribeServices median {statistics.median(lat):.2f} ms, "
                  f"p95 {lat[int(len(lat) * 0.95)]:.2f} ms ({args.calls} calls)")
        ecs = client(hostile.url)
        passed, throttled, took = burst(lambda: ecs.describe_services(cluster="c", services=["web"]),
                                        args.burst_s)
        summary = summarize(log.calls)["actions"]["ecs:DescribeServices"]
        print(f"throttle, {took:.1f} s flat out: {passed} passed, {throttled} throttled; the bucket promises "
              f"at most {50 + 20 * took:.0f}; call log: {summary['outcomes']}")
    finally:
        for endpoint in endpoints:
            endpoint.stop()
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
