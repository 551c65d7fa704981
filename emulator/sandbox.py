"""The local Fargate sandbox: moto as the AWS endpoint, and a service that really runs.

    with Sandbox("fast", config_out=Path("config.yaml")) as box:
        print(box.env)  # AWS_ENDPOINT_URL, SERVO_CONFIG, dummy credentials, region

    with Sandbox(faults="throttle,errors=0.2,capacity=0.05,seed=7", call_log=Path("calls.jsonl")) as box:
        box.calls            # every call the public endpoint answered (emulator/calllog.py)
        box.service_state()  # what the service really runs, read past the faults

`Sandbox.start()` starts moto in server mode in this process (or uses the in-process moto
at `endpoint_url`) and the public endpoint in front of it (emulator/faultlayer.py: the
fault spec's throttling and errors, the gates, the call log), provisions the
infrastructure the README's "Using it on AWS" asks a user to create, through the AWS APIs
(emulator.provision), starts
the local load balancer on the listener's port, the controller that runs the service's
tasks as local processes, and the CloudWatch feed;
writes a ready config.yaml and waits for the first deployment to settle. `stop()` stops
every process and thread it started. The worker reaches the sandbox only through
`AWS_ENDPOINT_URL` (the public endpoint) and the load balancer's URL; provisioning, the
controller and the metrics feed talk to moto directly and are never faulted.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import boto3
import yaml

from emulator import moto_ecs
from emulator.calllog import Call, CallLog
from emulator.cloudwatch_feed import FeedTarget, MetricsFeed, lb_dimension
from emulator.controller import ServiceController
from emulator.faultlayer import FaultLayer, Gate, PublicEndpoint, moto_app
from emulator.faults import Faults, parse_faults
from emulator.profiles import FAST, Profile, profile_named
from emulator.provision import Setup, config_dict, provision
from emulator.taskfaults import TaskFaults

DUMMY_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
REGION = "us-east-1"
SERVICE_NAME = "web"
NAMESPACE = "sandbox"  # its own namespace (worker.contract.namespace): no real worker takes its steps
SETTLE_FIRST_TIMEOUT_S = {"fast": 30.0, "aws": 600.0}  # the first deployment, at start
AB_DURATION_PERIODS = 2  # an ab run spans two metric periods: one whole period lies inside


class SandboxError(RuntimeError):
    """The sandbox could not start; the message says which part failed."""


class _Clients:
    """boto3 clients on the sandbox's endpoint, shaped as provision() expects."""

    def __init__(self, endpoint_url: str, region: str):
        self.session = boto3.session.Session(region_name=region, aws_access_key_id="testing",
                                             aws_secret_access_key="testing")  # noqa: S106 (moto's dummy)
        self.endpoint_url = endpoint_url

    def client(self, name: str) -> Any:
        return self.session.client(name, endpoint_url=self.endpoint_url)


class Sandbox:
    """One sandboxed Fargate service with its load balancer and metrics.

    Attributes (after start): endpoint_url (the public, possibly faulted endpoint),
    direct_endpoint_url (moto itself), lb_url, config_path, setup (emulator.provision.Setup),
    controller, env (the variables a worker or CLI needs), pids (every process started),
    faults (the parsed spec; str(box.faults) repeats the run), calls (the call log).

    `faults`: a spec string (emulator/faults.py) or Faults; None is a kind AWS (calls are
    still logged). `call_log`: also append every call as JSON lines to this file. `gates`:
    callables (service, action, params) -> ApiError | None tried on every public call
    (emulator/faultlayer.py), e.g. an IAM policy enforcer.
    """

    def __init__(self, profile: Profile | str = FAST, *, config_out: Path | None = None,
                 endpoint_url: str | None = None, name: str = SERVICE_NAME, desired_count: int = 2,
                 cpu: int = 256, memory: int = 1024, env: Mapping[str, str] | None = None,
                 region: str = REGION, faults: Faults | str | None = None, call_log: Path | None = None,
                 gates: Sequence[Gate] = (), provision_options: Mapping[str, Any] | None = None,
                 namespace: str = NAMESPACE):
        self.profile = profile_named(profile) if isinstance(profile, str) else profile
        self.faults = faults if isinstance(faults, Faults) else parse_faults(faults)
        self.call_log_path, self.gates = call_log, list(gates)
        self.direct_endpoint_url = endpoint_url or ""
        self.endpoint_url = ""
        self._own_moto = endpoint_url is None
        self.layer: FaultLayer | None = None
        self._public: PublicEndpoint | None = None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        if config_out is None:
            self._workdir = tempfile.TemporaryDirectory(prefix="servo-sandbox-")
            config_out = Path(self._workdir.name) / "config.yaml"
        self.config_path = Path(config_out).resolve()
        self.name, self.desired_count, self.cpu, self.memory = name, desired_count, cpu, memory
        self.task_env = dict(env) if env is not None else {"GOGC": "100"}
        self.region = region
        self.provision_options = dict(provision_options or {})  # e.g. route="tgw", strategy=...
        self.namespace = namespace
        self.setup: Setup | None = None
        self.controller: ServiceController | None = None
        self.lb: Any = None
        self.feed: MetricsFeed | None = None
        self._server: Any = None
        self._task_states: dict[str, Any] | None = None

    # -- lifecycle -----------------------------------------------------------------------
    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, wait: bool = True) -> Sandbox:
        try:
            self._start()
            if wait:
                self.wait_settled(SETTLE_FIRST_TIMEOUT_S.get(self.profile.name, 600.0))
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        from emulator.lb import LoadBalancer
        from emulator.motoserver import start_moto

        if self._own_moto:
            self._server, self.direct_endpoint_url = start_moto()
        self.layer = FaultLayer(moto_app(), self.faults, log=CallLog(self.call_log_path), gates=self.gates)
        self._public = PublicEndpoint(self.layer).start()
        self.endpoint_url = self._public.url
        self._task_states = moto_ecs.freeze_task_states()
        clients = _Clients(self.direct_endpoint_url, self.region)
        self.lb = LoadBalancer(host="127.0.0.1", port=0)
        self.lb.start()
        p = self.profile
        options = {"log_group": f"/ecs/{self.name}", **self.provision_options}  # awslogs, as a user's would
        self.setup = setup = provision(
            clients, name=self.name, desired_count=self.desired_count, cpu=self.cpu, memory=self.memory,
            env=self.task_env, health_check_interval=max(5, math.ceil(p.health_interval)),
            healthy_threshold=p.healthy_threshold, deregistration_delay=math.ceil(p.deregistration_delay),
            listener_port=self.lb.port, **options)
        elbv2 = clients.client("elbv2")
        self.controller = ServiceController(
            moto_ecs.MotoEcs(setup.cluster, setup.service, region=self.region), clients.client("ecs"),
            elbv2, p, health_path=_health_path(elbv2, setup), on_targets=self.lb.set_targets,
            task_faults=TaskFaults(self.faults, p) if self.faults.capacity or self.faults.spot else None,
            logs=clients.client("logs"),
        ).start()
        target = FeedTarget(setup.cluster, setup.service,
                            lb_dimension(setup.load_balancer_arn) if setup.load_balancer_arn else None)
        self.feed = MetricsFeed(clients.client("cloudwatch"), target, p.metrics_period,
                                tasks=self.controller.running_addresses,
                                lb_stats=self.lb.stats_and_reset, delay=self.faults.metrics_delay).start()
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        raw = sandbox_config(setup, self.lb_url, p, self.namespace)
        # The config carries its own endpoint, region and the dummy keys (worker/contract/aws_settings.py),
        # so a worker or CLI started with it needs no exported variables.
        raw["aws"] = {"endpoint": self.endpoint_url, "region": self.region, "credentials": "sandbox"}
        self.config_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")

    def wait_settled(self, timeout: float) -> None:
        """Block until the service's deployment has COMPLETED, or raise SandboxError."""
        assert self.controller is not None
        deadline = time.monotonic() + timeout
        while not self.controller.settled():
            if self.controller.errors:
                raise SandboxError(f"the controller stopped: {self.controller.errors[0]!r}")
            if time.monotonic() > deadline:
                raise SandboxError(f"the service did not settle within {timeout:g} s")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop everything started, in reverse order; safe to call twice."""
        if self.feed is not None:
            self.feed.stop()
        if self.controller is not None:
            self.controller.stop()
        if self.lb is not None:
            self.lb.stop()
            self.lb = None
        if self._task_states is not None:
            moto_ecs.restore_task_states(self._task_states)
            self._task_states = None
        if self._public is not None:
            self._public.stop()
            self._public = None
        if self.layer is not None:
            self.layer.log.close()
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    # -- what others need ----------------------------------------------------------------
    @property
    def lb_url(self) -> str:
        return f"http://127.0.0.1:{self.lb.port}/" if self.lb is not None else ""

    @property
    def pids(self) -> list[int]:
        return self.controller.pids if self.controller is not None else []

    @property
    def env(self) -> dict[str, str]:
        return {**DUMMY_CREDENTIALS, "AWS_DEFAULT_REGION": self.region,
                "AWS_ENDPOINT_URL": self.endpoint_url, "SERVO_CONFIG": str(self.config_path)}

    @property
    def calls(self) -> list[Call]:
        """Every call the public endpoint answered so far, oldest first."""
        return self.layer.log.calls if self.layer is not None else []

    def direct_client(self, name: str) -> Any:
        """A boto3 client on moto itself: no faults, no gates, not in the call log."""
        return _Clients(self.direct_endpoint_url, self.region).client(name)

    def service_state(self) -> dict[str, Any]:
        """What the service really runs, read past the faults: taskDefinition, desiredCount,
        runningCount, pendingCount and deployments (as DescribeServices shows them)."""
        assert self.setup is not None, "start() the sandbox first"
        svc = self.direct_client("ecs").describe_services(
            cluster=self.setup.cluster, services=[self.setup.service])["services"][0]
        return {key: svc.get(key) for key in ("taskDefinition", "desiredCount", "runningCount",
                                              "pendingCount", "deployments")}


def _health_path(elbv2: Any, setup: Setup) -> str:
    if not setup.target_group_arn:
        return "/"
    group = elbv2.describe_target_groups(TargetGroupArns=[setup.target_group_arn])["TargetGroups"][0]
    return str(group.get("HealthCheckPath") or "/")


def sandbox_config(setup: Setup, lb_url: str, profile: Profile, namespace: str = NAMESPACE) -> dict[str, Any]:
    """config.yaml for the sandbox: the service, ab on the load balancer, and CloudWatch
    queries whose period is the feed's, so a short demo run gets data."""
    period = profile.metrics_period
    ecs_dims = [{"Name": "ClusterName", "Value": setup.cluster},
                {"Name": "ServiceName", "Value": setup.service}]
    lb_dims = [{"Name": "LoadBalancer", "Value": lb_dimension(setup.load_balancer_arn or "")}]

    def query(qid: str, namespace: str, metric: str, dims: list[dict[str, str]], stat: str) -> dict[str, Any]:
        return {"Id": qid, "MetricStat": {"Metric": {"Namespace": namespace, "MetricName": metric,
                                                     "Dimensions": dims}, "Period": period, "Stat": stat}}

    metrics = [
        query("cpu", "AWS/ECS", "CPUUtilization", ecs_dims, "Average"),
        query("memory", "AWS/ECS", "MemoryUtilization", ecs_dims, "Average"),
        query("latency", "AWS/ApplicationELB", "TargetResponseTime", lb_dims, "Average"),
        query("requests", "AWS/ApplicationELB", "RequestCount", lb_dims, "Sum"),
        query("errors_5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", lb_dims, "Sum"),
    ]
    raw = config_dict(setup, ab_url=lb_url, metrics=metrics, memory_range=(0.5, 2))
    component = raw["fargate"][setup.name]
    component["timeout_service_desired_count"] = 120 if profile.name == "fast" else 1200
    component["rollback_timeout"] = 120 if profile.name == "fast" else 1200
    duration = AB_DURATION_PERIODS * period
    raw["ab"] = {"url": lb_url, "concurrency": 8, "duration": duration, "warmup": 2 if period < 60 else 30,
                 "timeout": 5}
    # The datum of a whole period is put when the period ends, which is inside the run: a
    # short delay is enough (aws keeps CloudWatch's own minute).
    raw["cloudwatch"] = {"duration": duration, "delay": 3 if period < 60 else 60, "metrics": metrics}
    raw["namespace"] = namespace  # $SERVO_NAMESPACE still wins, as for any config
    return raw
