"""The benchmark stage against wrk, and the stage's own overhead.

Usage: .venv/bin/python bench/ab_vs_wrk.py [--duration 5] [--concurrency 16] [--rounds 3]

Starts one fast local target (bench/fast_server.c, compiled with cc; without a C compiler,
the Python test server from tests/support), then against it, in one run:
  1. wrk (1 thread, then 2 threads) and the stage (worker.load.abrun.run_ab with keep-alive, 1 and
     2 processes) at the same concurrency, alternating, `--rounds` times each;
  2. the stage's overhead beyond ab's own run: run_ab() wall time minus the wall time of
     the same ab command run bare with subprocess.run, for a fixed request count.
Results are printed as a Markdown table for bench/README.md.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.http_servers import closed_port, serve
from worker.contract.config import AbConfig
from worker.load.ab import ab_command
from worker.load.abrun import run_ab

HERE = Path(__file__).resolve().parent


def start_target(stack: ExitStack) -> tuple[str, str]:
    """(url, description) of the fast target, stopped when `stack` closes."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        server = stack.enter_context(serve())
        return server.url, "Python threaded test server (no C compiler found)"
    tmp = stack.enter_context(tempfile.TemporaryDirectory())
    binary = Path(tmp) / "fast_server"
    subprocess.run([cc, "-O2", "-o", str(binary), str(HERE / "fast_server.c")], check=True)
    port = closed_port()
    proc = subprocess.Popen([str(binary), str(port)], stdout=subprocess.PIPE, text=True)
    stack.callback(proc.wait)
    stack.callback(proc.kill)
    assert proc.stdout is not None
    proc.stdout.readline()  # "listening PORT"
    return f"http://127.0.0.1:{port}/", "bench/fast_server.c (single-threaded epoll, -O2)"


def wrk_rps(url: str, concurrency: int, duration: float, threads: int) -> float:
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{int(duration)}s", url],
                         capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def stage_rps(url: str, concurrency: int, duration: float, processes: int) -> float:
    cfg = AbConfig(url=url, concurrency=concurrency, duration=duration, warmup=0, keepalive=True,
                   processes=processes)
    return run_ab(cfg).result.requests_per_second


def overhead_ms(url: str, rounds: int) -> tuple[float, float, float]:
    """(median stage wall, median bare ab wall, difference) in ms for a fixed 20k requests."""
    cfg = AbConfig(url=url, concurrency=8, duration=30, warmup=0, keepalive=True, requests=20_000)
    stage, bare = [], []
    with tempfile.TemporaryDirectory() as tmp:
        cmd = ab_command(cfg, csv_path=str(Path(tmp) / "x.csv"))
        for _ in range(rounds):
            t = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True)
            bare.append(time.perf_counter() - t)
            t = time.perf_counter()
            run_ab(cfg)
            stage.append(time.perf_counter() - t)
    s, b = statistics.median(stage) * 1000, statistics.median(bare) * 1000
    return s, b, s - b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with ExitStack() as stack:
        url, target = start_target(stack)
        runs: dict[str, list[float]] = {"wrk -t1": [], "wrk -t2": [], "stage, 1 process": [],
                                        "stage, 2 processes": []}
        for _ in range(args.rounds):
            runs["wrk -t1"].append(wrk_rps(url, args.concurrency, args.duration, 1))
            runs["stage, 1 process"].append(stage_rps(url, args.concurrency, args.duration, 1))
            runs["wrk -t2"].append(wrk_rps(url, args.concurrency, args.duration, 2))
            runs["stage, 2 processes"].append(stage_rps(url, args.concurrency, args.duration, 2))
        stage_ms, bare_ms, extra_ms = overhead_ms(url, max(5, args.rounds))
    best_wrk = max(statistics.median(runs["wrk -t1"]), statistics.median(runs["wrk -t2"]))
    print(f"target: {target}; concurrency {args.concurrency}, {args.duration:g} s runs, "
          f"{args.rounds} rounds, median req/s\n")
    print("| load generator | req/s (median) | runs | vs best wrk |")
    print("| --- | ---: | --- | ---: |")
    for name, values in runs.items():
        med = statistics.median(values)
        shown = ", ".join(f"{v:,.0f}" for v in values)
        print(f"| {name} | {med:,.0f} | {shown} | {med / best_wrk:.2f}x |")
    print(f"\noverhead (20,000 keep-alive requests, c=8, median of {max(5, args.rounds)}): "
          f"run_ab {stage_ms:.1f} ms, bare ab {bare_ms:.1f} ms, difference {extra_ms:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
