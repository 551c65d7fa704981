"""How long the input boundary takes to refuse hostile inputs and to accept big valid ones,
and how long the CLI takes to give up on a mute Redis or AWS endpoint (issue 14).

    .venv/bin/python bench/input_boundary.py [--rounds 5]

Prints one line per case: median and max seconds over the rounds. Run by hand; the
numbers are written down in bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from producer.cli import main
from worker.contract.errors import ConfigError
from worker.contract.inputs import load_json, load_yaml


def alias_bomb(levels: int = 9) -> str:
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def refused(load: Callable[[str, str], object], text: str) -> Callable[[], None]:
    def run() -> None:
        with contextlib.suppress(ConfigError):
            load(text, "bench")
    return run


def cli(*argv: str, env: dict[str, str] | None = None) -> Callable[[], None]:
    def run() -> None:
        old = {k: os.environ.get(k) for k in env or {}}
        os.environ.update(env or {})
        try:
            with (contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()),
                  contextlib.suppress(SystemExit)):
                main(list(argv))
        finally:
            for k, v in old.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return run


def timed(fn: Callable[[], None], rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main_bench() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    workdir = Path(tempfile.mkdtemp())
    config = workdir / "config.yaml"
    config.write_text(yaml.safe_dump({"fargate": {"web": {"service_name": "web", "settings": {
        "cpu": {"type": "enum", "values": [0.25, 0.5, 1]}}}}}), encoding="utf-8")
    big_sweep = "steps:\n" + "- {cpu: 0.5, GOGC: 90}\n" * 10_000  # the largest sweep accepted
    mute = socket.socket()
    mute.bind(("127.0.0.1", 0))
    mute.listen(16)
    port = mute.getsockname()[1]
    cases: dict[str, Callable[[], None]] = {
        "YAML alias bomb (9 levels of 9), refused": refused(load_yaml, alias_bomb()),
        "YAML 20k-deep nesting, refused": refused(load_yaml, "[" * 20_000 + "]" * 20_000),
        "JSON 20k-deep nesting, refused": refused(load_json, "[" * 20_000 + "]" * 20_000),
        "YAML 10,000-step sweep (~230 KB), loaded": refused(load_yaml, big_sweep),
        "CLI: results against a mute Redis (exit 3)": cli("results", "--config", str(config),
                                                          env={"SERVO_REDIS_URL": f"redis://127.0.0.1:{port}/6"}),
        "CLI: check against a mute AWS endpoint (exit 3)": cli(
            "check", "--config", str(config), env={"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                                                   "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                                                   "AWS_DEFAULT_REGION": "us-east-1"}),
    }
    for name, fn in cases.items():
        median, worst = timed(fn, rounds)
        print(f"{name:<52} median {median:8.4f} s   max {worst:8.4f} s")
    mute.close()


if __name__ == "__main__":
    main_bench()
