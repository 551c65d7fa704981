"""`make demo`: the main job on the local sandbox, start to finish, then everything stops.

Starts the sandbox (moto + a FARGATE service whose tasks are local processes behind a
local load balancer), one real Celery worker, and runs a sweep of five steps on the demo
service through the producer API: adjust, settle, benchmark with ab, CloudWatch, record.
One step asks for less memory than the app's working set, so you also see a rejected
step rolled back. Prints the results table and what happened, then shuts down.

    python -m emulator.demo [--faults SPEC]     # or: make demo FAULTS=throttle,errors=0.2,seed=7

With `--faults` the sandbox's AWS endpoint has a bad day (emulator/faults.py) and the demo
also prints what the endpoint answered: calls, throttles and injected errors per action.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from emulator.workerproc import Worker

DEMO_STEPS = [  # (settings, what it shows)
    ({"cpu": 0.25, "mem": 1, "GOGC": 100}, "the current settings: nothing registered, nothing deployed"),
    ({"cpu": 0.5, "mem": 1, "GOGC": 100}, "twice the cpu: lower latency under the same load"),
    ({"cpu": 0.5, "mem": 1, "GOGC": 200}, "less garbage collection: a little faster, more memory"),
    ({"cpu": 0.25, "mem": 0.5, "GOGC": 200}, "below the working set: OOM, rejected and rolled back"),
    ({"cpu": 0.25, "mem": 1, "GOGC": 150, "replicas": 3}, "three small tasks share the load"),
]
DEMO_LOAD = {"duration": 10, "warmup": 1}  # short runs keep the demo under three minutes
TIMEOUT_S = 170
DEMO_NAMESPACE = "demo"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.demo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faults", metavar="SPEC", default=None,
                        help="a hostile AWS endpoint, e.g. throttle,errors=0.2,capacity=0.05,seed=7")
    args = parser.parse_args(argv)
    from emulator.calllog import summarize
    from emulator.faults import FaultSpecError, parse_faults
    from emulator.sandbox import Sandbox
    from producer import results
    from producer.api import Producer, StepSpec
    from producer.steps_cmd import watch
    from worker.contract.config import load_config
    from worker.contract.records import RecordStore

    try:
        faults = parse_faults(args.faults)
    except FaultSpecError as exc:
        parser.error(f"--faults: {exc}")
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="servo-demo-"))
    print("starting the sandbox: moto, a VPC, an ALB and a FARGATE service of 2 local tasks ...")
    if faults.active:
        print(f"  a bad day on AWS: {faults}")
    with Sandbox("fast", config_out=workdir / "config.yaml", faults=faults,
                 call_log=workdir / "calls.jsonl") as sandbox:
        # The demo's own namespace (worker.contract.namespace): its steps never reach a real worker.
        os.environ.setdefault("SERVO_NAMESPACE", DEMO_NAMESPACE)
        env = {**os.environ, **sandbox.env}
        os.environ.update(sandbox.env)
        print(f"  AWS endpoint {sandbox.endpoint_url}, load balancer {sandbox.lb_url}")
        worker = start_worker(env, workdir)
        try:
            from worker.flow.app import redis_url

            producer = Producer(load_config(str(sandbox.config_path)), RecordStore.from_url(redis_url()))
            sweep = producer.submit_sweep([StepSpec("web", s, DEMO_LOAD) for s, _ in DEMO_STEPS],
                                          name="make demo")
            print(f"sweep {sweep.id}: {len(DEMO_STEPS)} steps, one after another\n")
            records = watch(producer, sweep.step_ids, TIMEOUT_S)
        finally:
            worker.stop()
        calls = summarize(sandbox.calls)
    print("\n" + results.render(records, "table") + "\n")
    for record, (_, why) in zip(records, DEMO_STEPS, strict=True):
        print(f"  {record['status']:<9} {why}"
              + (f" ({record['reason']})" if record["status"] != "succeeded" else ""))
    print(f"\ndone in {time.monotonic() - started:.0f} s; the sandbox and the worker are stopped.")
    ns = os.environ["SERVO_NAMESPACE"]
    print(f"records stay in Redis, in namespace {ns}: SERVO_NAMESPACE={ns} {cli_path()} results {sweep.id} "
          "--format csv")
    print(f"worker log (JSON lines): {worker.log_path}")
    print(f"AWS calls the worker made: {calls['calls']}, throttled {calls['throttled']}")
    for action, seen in calls["actions"].items():
        bad = {k: v for k, v in seen["outcomes"].items() if k != "ok"}
        print(f"  {action:<34} {seen['calls']:>4}" + (f"  {json.dumps(bad)}" if bad else ""))
    print(f"call log (JSON lines): {workdir / 'calls.jsonl'} (python -m emulator.calllog PATH)")
    print(f"your own step, three commands: {cli_path()} sandbox --background; {cli_path()} worker "
          f"--config sandbox-config.yaml; {cli_path()} step web cpu=0.5 GOGC=90 --wait --config "
          "sandbox-config.yaml (README, 'Your first step')")
    expected = ["succeeded", "succeeded", "succeeded", "rejected", "succeeded"]
    return 0 if [r["status"] for r in records] == expected else 1


def cli_path() -> str:
    """The servo-fargate command of this environment, as the user can type it from here."""
    script = Path(sys.executable).with_name("servo-fargate")
    try:
        return str(script.relative_to(Path.cwd()))
    except ValueError:
        return str(script)


def start_worker(env: dict[str, str], log_dir: Path) -> Worker:
    # No -Q: the worker consumes its namespace's control and load queues (worker.flow.app).
    worker = Worker("demo", env, log_dir, inherit_env=False, host="%h")
    try:
        worker.wait_ready(timeout=60)
    except (RuntimeError, TimeoutError):
        worker.stop()
        raise RuntimeError(f"the worker did not start; see {worker.log_path}") from None
    print(f"worker ready (namespace {env.get('SERVO_NAMESPACE', 'default')})")
    return worker


if __name__ == "__main__":
    sys.exit(main())
