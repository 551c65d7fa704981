"""Run the `servo-fargate` CLI in this process (producer.cli.main) with its output captured,
and a config every input test starts from: fast enough for hundreds of fuzz examples."""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from producer.cli import main

MAX_OUTPUT = 8192  # "a few KB": no input may make the CLI print more than this on failure

CONFIG: dict[str, Any] = {
    "fargate": {"web": {
        "service_name": "web",
        "settings": {
            "cpu": {"type": "enum", "values": [0.25, 0.5, 1]},
            "memory": {"type": "range", "min": 0.5, "max": 4, "step": 0.5},
            "replicas": {"min": 1, "max": 4},
        },
        "environment": {
            "GOGC": {"type": "range", "min": 50, "max": 300, "step": 10},
            "MODE": {"type": "enum", "values": ["fast", "safe", "=1+1", "-x"]},
        },
    }},
    "ab": {"url": "http://127.0.0.1:9/", "duration": 5, "warmup": 0},
}


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def output(self) -> str:
        return self.out + self.err


def run(*argv: str) -> Run:
    """`servo-fargate *argv`, in process; argparse's own exit becomes the code."""
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 2
    return Run(code, out.getvalue(), err.getvalue(), time.monotonic() - start)


def write_config(directory: Path, config: Any = None, name: str = "config.yaml") -> str:
    path = directory / name
    path.write_text(yaml.safe_dump(CONFIG if config is None else config), encoding="utf-8")
    return str(path)


def assert_clean_failure(result: Run, code: int = 2) -> None:
    """Exit `code`, a short message, and no traceback."""
    assert result.code == code, result
    assert "Traceback" not in result.output, result.output
    assert len(result.output) <= MAX_OUTPUT, len(result.output)
    assert result.err.strip(), "a failure says why"
