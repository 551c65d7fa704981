"""CLI verbs that run and read steps: step, sweep, replay, results, show, cancel."""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from typing import Any

import yaml

from producer import liveness, results
from producer.api import Producer, StepSpec
from producer.cliargs import add_config, expires, ident, number, parse_pairs
from producer.exitcodes import EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE
from producer.reach import CREDENTIALS_REMEDY, cli_producer
from worker.contract.errors import ConfigError
from worker.contract.inputs import load_json, read_text
from worker.contract.records import TERMINAL
from worker.contract.safetext import clip_line
from worker.contract.steps import components_from_state

BAR_WIDTH = 24
MAX_LIMIT = 100_000  # `results --limit`
MAX_WAIT_S = 7 * 86_400  # `--wait --timeout`


def register(sub: Any) -> None:
    p = sub.add_parser("step", help="run one step: adjust, settle, benchmark, record",
                       description="Validate and enqueue one step. Settings are key=value pairs "
                                   "(cpu in vCPU, mem in GiB, replicas, declared env vars).",
                       epilog="example: servo-fargate step web cpu=0.5 mem=1 GOGC=90 --wait")
    p.add_argument("component", nargs="?", help="component name from the config")
    p.add_argument("settings", nargs="*", metavar="key=value")
    p.add_argument("--json", metavar="FILE|-", dest="json_file",
                   help="settings in the original adjust format {\"application\": {\"components\": ...}}")
    p.add_argument("--control", metavar="key=value", action="append", default=[],
                   help="load overrides: duration, warmup, concurrency (with --json, its control: "
                        "the original ab driver's load message)")
    _expires(p)
    _common(p, wait=True)
    p.set_defaults(handler=cmd_step)

    p = sub.add_parser("sweep", help="run a sweep file (YAML or CSV) of steps or a grid, in order",
                       epilog="example: servo-fargate sweep sweeps/cpu-gogc.yaml --wait")
    p.add_argument("file")
    _expires(p)
    _common(p, wait=True)
    p.set_defaults(handler=cmd_sweep)

    p = sub.add_parser("replay", help="run a stored sweep again as a new sweep")
    p.add_argument("sweep_id", type=ident)
    _common(p, wait=True)
    p.set_defaults(handler=cmd_replay)

    p = sub.add_parser("results", help="list step results (a sweep's, or the latest steps)")
    p.add_argument("sweep_id", nargs="?", type=ident,
                   help="a sweep id; 'latest' for the newest step, or its whole sweep (default: the "
                        "recent steps, newest first)")
    p.add_argument("--limit", type=number(minimum=1, maximum=MAX_LIMIT, integer=True), default=100,
                   help=f"how many recent steps without a sweep id (1..{MAX_LIMIT})")
    _common(p, formats=("table", "csv", "json"))
    p.set_defaults(handler=cmd_results)

    p = sub.add_parser("show", help="print one step's full record")
    p.add_argument("step_id", type=ident)
    _common(p, formats=("table", "json"))
    p.set_defaults(handler=cmd_show)

    p = sub.add_parser("cancel", help="stop a step: queued ends at once, running rolls back")
    p.add_argument("step_id", type=ident)
    _common(p)
    p.set_defaults(handler=cmd_cancel)


def _expires(p: argparse.ArgumentParser) -> None:
    p.add_argument("--expires", type=expires, metavar="S",
                   help="seconds a step may wait for a worker before it ends expired (default 3600; "
                        "in a sweep each step's clock starts when the one before it ended)")


def _common(p: argparse.ArgumentParser, *, wait: bool = False,
            formats: tuple[str, ...] = ("table", "json")) -> None:
    if wait:
        formats = ("table", "csv", "json")
    add_config(p)
    p.add_argument("--format", choices=formats, default=formats[0])
    if wait:
        p.add_argument("--wait", action="store_true", help="wait for the end, with a live progress bar")
        p.add_argument("--timeout", type=number(minimum=0, strict_min=True, maximum=MAX_WAIT_S), default=None,
                       help="give up waiting after this many seconds")


def _producer(args: argparse.Namespace) -> Producer:
    producer: Producer = cli_producer(args.config)
    return producer


def cmd_step(args: argparse.Namespace) -> int:
    producer = _producer(args)
    control = parse_pairs(args.control, "--control")
    if args.json_file:
        state = load_json(read_text(args.json_file, "--json"), "--json")
        # The original servo's adjust input carries its `control` beside `application`.
        if not control and isinstance(state, dict) and isinstance(state.get("control"), dict):
            control = state["control"]
        specs = [StepSpec(name, settings, control, args.expires)
                 for name, settings in components_from_state(state).items()]
        if args.component or args.settings:
            raise ConfigError(["--json: give the settings either as key=value or as --json, not both"])
    else:
        if not args.component:
            raise ConfigError(["component: name the component to step (or use --json)"])
        specs = [StepSpec(args.component, parse_pairs(args.settings, "settings"), control, args.expires)]
    _warn(producer, specs)
    if len(specs) == 1:
        handle = producer.submit(specs[0].component, specs[0].settings, specs[0].control, specs[0].expires)
        ids = [handle.id]
    else:
        ids = producer.submit_sweep(specs, name="adjust input").step_ids
    return _after_submit(producer, ids, args)


def cmd_sweep(args: argparse.Namespace) -> int:
    from producer.sweeps import load_sweep

    producer = _producer(args)
    specs = [spec if args.expires is None or spec.expires is not None else replace(spec, expires=args.expires)
             for spec in load_sweep(args.file, producer.config)]
    _warn(producer, specs)
    sweep = producer.submit_sweep(specs, name=args.file)
    print(f"sweep {sweep.id}: {len(sweep.step_ids)} steps", file=sys.stderr)
    return _after_submit(producer, sweep.step_ids, args)


def _warn(producer: Producer, specs: list[StepSpec]) -> None:
    for line in producer.warnings(specs):
        print(clip_line(f"warning: {line}", 400), file=sys.stderr)


def cmd_replay(args: argparse.Namespace) -> int:
    producer = _producer(args)
    sweep = producer.replay(args.sweep_id)
    print(f"sweep {sweep.id}: replay of {args.sweep_id}, {len(sweep.step_ids)} steps", file=sys.stderr)
    return _after_submit(producer, sweep.step_ids, args)


def _after_submit(producer: Producer, ids: list[str], args: argparse.Namespace) -> int:
    if not args.wait:
        records = producer.store.many(ids)
        if args.format == "json":
            print(json.dumps(records[0] if len(records) == 1 else records, indent=2))
        else:
            results.show(records, args.format)
        return EXIT_OK
    records = watch(producer, ids, args.timeout, args.config)
    results.show(records, args.format)
    for record in records:
        _warn_rollback_failed(record)
    if any(r.get("reason") == "no-credentials" for r in records):  # AWS cannot be reached: exit 3
        print(clip_line(f"error: the worker found no AWS credentials; {CREDENTIALS_REMEDY}", 400),
              file=sys.stderr)
        return EXIT_UNREACHABLE
    return EXIT_OK if all(r["status"] == "succeeded" for r in records) else EXIT_FAILED


def _warn_rollback_failed(record: dict[str, Any]) -> bool:
    """Say on stderr that a step left its service on neither its pre-step state nor its
    result, and what the service runs; True when it did."""
    if record.get("reason") != "rollback-failed":
        return False
    runs = record.get("runs") or {}
    now = runs.get("error") or f"{runs.get('task_definition')} x {runs.get('desired_count')}"
    print(f"step {record['id']}: {record['message']}; the service runs {now}: check it before the next step",
          file=sys.stderr)
    return True


def watch(producer: Producer, ids: list[str], timeout: float | None,
          config_path: str | None = None) -> list[dict[str, Any]]:
    """Wait for the steps, showing each step's progress on stderr: one live line per step on
    a terminal (rich), else one plain line per step whenever its status or message changes.
    When no record has changed for a few seconds, it asks whether a live worker serves the
    queue the steps wait in (producer/liveness.py), and says so with the command to start one."""
    view = LiveView(ids) if sys.stderr.isatty() else PlainView()
    deadline = None if timeout is None else time.monotonic() + timeout
    missing: dict[str, list[str]] = {}
    said, last, quiet_since, next_check = "", None, time.monotonic(), 0.0

    def look(records: list[dict[str, Any]]) -> None:
        nonlocal missing, said, last, quiet_since, next_check
        view.draw(records)
        if all(r["status"] in TERMINAL for r in records):
            return
        now = time.monotonic()
        changed = [(r["status"], r.get("updated_at")) for r in records]
        if changed != last:  # a worker is at work: nothing to ask
            last, quiet_since, missing = changed, now, {}
            if said:
                view.note("a worker took the steps up; they go on")
                said = ""
        elif now - quiet_since >= liveness.CHECK_EVERY_S and now >= next_check:
            missing = liveness.waiting_without_worker(producer.app, producer.store, records)
            line = liveness.advice(missing, config_path) if missing else ""
            if line and line != said:  # said once, and again only when it changes
                view.note(line)
            said, next_check = line, time.monotonic() + liveness.CHECK_EVERY_S
        if deadline is not None and time.monotonic() > deadline:
            if not missing:  # ask once more: "never picked up" needs to know why
                missing = liveness.waiting_without_worker(producer.app, producer.store, records)
            raise TimeoutError(liveness.timeout_message(records, timeout or 0, missing, config_path))

    try:  # Producer.wait's loop, expiry and lost-record check; this view draws each look
        return producer.wait(ids, on_look=look)
    finally:
        view.close()


class PlainView:
    """Stable text for logs and pipes: a step's line when its status or message changes."""

    def __init__(self) -> None:
        self.shown: dict[str, str] = {}
        self.percent: dict[str, int] = {}

    def draw(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            key = f"{record['status']}|{(record.get('progress') or {}).get('message')}"
            if self.shown.get(record["id"]) != key:
                self.shown[record["id"]] = key
                sys.stderr.write(bar(record, self.percent) + "\n")
        sys.stderr.flush()

    def note(self, line: str) -> None:
        sys.stderr.write(clip_line(line, 400) + "\n")

    def close(self) -> None:
        pass


class LiveView:
    """rich's live display: one line per step, redrawn in place."""

    def __init__(self, ids: list[str]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, TextColumn
        from rich.progress import Progress as Bars

        def text(template: str) -> TextColumn:  # values came from users and AWS: no markup read
            return TextColumn(template, markup=False)

        self.bars = Bars(text("{task.fields[name]}"), BarColumn(bar_width=BAR_WIDTH),
                         text("{task.percentage:>3.0f}%"), text("{task.fields[status]}"),
                         text("{task.fields[message]}"),
                         console=Console(file=sys.stderr), auto_refresh=False)
        self.tasks = {step_id: self.bars.add_task("", total=100, name=step_id, status="", message="")
                      for step_id in ids}
        self.percent: dict[str, int] = {}
        self.bars.start()

    def draw(self, records: list[dict[str, Any]]) -> None:
        for record in records:
            percent = shown_percent(record, self.percent)
            settings = " ".join(f"{k}={v}" for k, v in record["settings"].items())
            message = (record.get("progress") or {}).get("message") or ""
            self.bars.update(self.tasks[record["id"]], completed=percent,
                                 name=clip_line(f"{record['id']} {settings}", 60),
                                 status=f"{record['status']:<10}", message=clip_line(message, 80))
        self.bars.refresh()

    def note(self, line: str) -> None:
        from rich.text import Text

        self.bars.console.print(Text(clip_line(line, 400), style="yellow"))

    def close(self) -> None:
        self.bars.stop()


def shown_percent(record: dict[str, Any], shown: dict[str, int]) -> int:
    """The step's percent as displayed: never below what was shown before (worker/flow/progress.py
    keeps the record's own percent monotonic; this holds for records of older workers too)."""
    percent = max(shown.get(record["id"], 0), int((record.get("progress") or {}).get("percent") or 0))
    shown[record["id"]] = percent
    return percent


def bar(record: dict[str, Any], shown: dict[str, int] | None = None) -> str:
    percent = shown_percent(record, {} if shown is None else shown)
    progress = record.get("progress") or {}
    filled = BAR_WIDTH * percent // 100
    settings = " ".join(f"{k}={v}" for k, v in record["settings"].items())
    return clip_line(f"{record['id']} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {percent:3d}% "
                     f"{record['status']:<10} {settings}  {progress.get('message') or ''}", 200)


def cmd_results(args: argparse.Namespace) -> int:
    producer = _producer(args)
    if args.sweep_id == "latest":
        records = latest(producer)
    elif args.sweep_id:
        records = producer.results(args.sweep_id)
    else:
        records = list(reversed(producer.results(None, args.limit)))  # newest first
    results.show(records, args.format)
    return EXIT_OK


def latest(producer: Producer) -> list[dict[str, Any]]:
    """The newest step, or the whole sweep it belongs to (a sweep's steps are created
    together, so its last step is as new as the sweep)."""
    newest = producer.results(None, 1)
    if not newest:
        return []
    sweep_id = newest[0].get("sweep_id")
    return producer.results(sweep_id) if sweep_id else newest


def cmd_show(args: argparse.Namespace) -> int:
    producer = _producer(args)
    record = producer.store.get(args.step_id)
    if record is None:
        raise ConfigError([f"step: no step {args.step_id!r} in Redis"])
    if args.format == "json":
        print(json.dumps(record, indent=2))
    else:
        # YAML escapes control characters itself
        print(yaml.safe_dump(iso_times(record), sort_keys=False, width=110))
    return EXIT_FAILED if _warn_rollback_failed(record) else EXIT_OK


TIME_KEYS = ("created_at", "updated_at", "finished_at", "start", "end", "window", "started_at", "at")


def iso_times(value: Any, key: str = "") -> Any:
    """The record with its epoch times as ISO 8601 UTC (`2026-11-30T07:01:02.345Z`), for people;
    a CloudWatch series' `data` is `[time, value]` pairs, whose times are converted too."""
    if isinstance(value, dict):
        return {k: iso_times(v, k) for k, v in value.items()}
    if key == "data" and isinstance(value, list):
        return [[iso_times(pair[0], "at"), pair[1]] if isinstance(pair, list) and len(pair) == 2 else pair
                for pair in value]
    if isinstance(value, list):
        return [iso_times(v, key) for v in value]
    if key in TIME_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return iso_time(value)
    return value


def iso_time(epoch: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def cmd_cancel(args: argparse.Namespace) -> int:
    from worker.contract.records import TERMINAL

    producer = _producer(args)
    before = producer.store.get(args.step_id)
    if before is not None and before["status"] in TERMINAL:
        print(f"{args.step_id}: already ended ({before['status']}); nothing to cancel", file=sys.stderr)
        return EXIT_FAILED
    try:
        producer.cancel(args.step_id)
    except KeyError:
        raise ConfigError([f"step: no step {args.step_id!r} in Redis"]) from None
    record = producer.store.require(args.step_id)
    if args.format == "json":
        print(json.dumps(record, indent=2))
    else:
        print(f"{args.step_id}: cancel requested (status {record['status']})")
    return EXIT_OK
