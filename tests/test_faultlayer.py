"""The fault layer over real HTTP in front of real moto: what boto3 sees, and what the call
log records. No sandbox processes here (those: test_hostile_sandbox.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator.awswire import ApiError
from emulator.calllog import CallLog, load, main, read_calls, summarize
from emulator.faultlayer import CONCURRENT_REVISION, FaultLayer, Gate, PublicEndpoint, moto_app
from emulator.faults import parse_faults

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})
Start = Callable[..., tuple[FaultLayer, Callable[[str], Any]]]


@pytest.fixture
def layer(aws_endpoint: str, tmp_path: Path) -> Iterator[Start]:
    """start(spec, gates=()) -> (layer, client factory on its public endpoint, retries off)."""
    endpoints: list[PublicEndpoint] = []

    def start(spec: str, gates: tuple[Gate, ...] = ()) -> tuple[FaultLayer, Callable[[str], Any]]:
        log = CallLog(tmp_path / f"calls-{len(endpoints)}.jsonl")
        fault_layer = FaultLayer(moto_app(), parse_faults(spec), log=log, gates=gates)
        endpoint = PublicEndpoint(fault_layer).start()
        endpoints.append(endpoint)
        return fault_layer, lambda name: boto3.client(name, endpoint_url=endpoint.url,
                                                      region_name="us-east-1",
                                                      config=NO_RETRIES)

    yield start
    for endpoint in endpoints:
        endpoint.stop()


def code_of(call: Callable[[], Any]) -> str:
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return "ok"


def test_throttling_reaches_boto3_as_each_services_own_error(layer: Start) -> None:
    _, client = layer("throttle=0.005,seed=1")  # every bucket below one token: the first call is throttled
    ecs, elbv2, cloudwatch, ec2 = (client(n) for n in ("ecs", "elbv2", "cloudwatch", "ec2"))
    assert code_of(lambda: ecs.describe_services(cluster="c", services=["web"])) == "ThrottlingException"
    assert code_of(elbv2.describe_target_groups) == "Throttling"
    assert code_of(lambda: cloudwatch.get_metric_data(MetricDataQueries=[], StartTime=0,
                                                      EndTime=60)) == "Throttling"
    assert code_of(ec2.describe_vpcs) == "RequestLimitExceeded"
    assert code_of(lambda: client("iam").list_roles()) == "ok"  # IAM has no bucket here


def test_a_burst_passes_about_the_bucket_and_the_rest_is_throttled_then_it_refills(layer: Start) -> None:
    fault_layer, client = layer("throttle,seed=1")
    ecs = client("ecs")
    ecs.create_cluster(clusterName="c")
    started = time.monotonic()
    codes = [code_of(lambda: ecs.describe_services(cluster="c", services=["web"])) for _ in range(90)]
    burst_s = time.monotonic() - started
    passed = codes.count("ok")
    assert set(codes) == {"ok", "ThrottlingException"}
    assert 50 <= passed <= 50 + 20 * burst_s + 1  # the bucket (50), plus 20/s refilled meanwhile
    time.sleep(1.0)  # letting time pass is what is tested: the bucket refills 20 tokens a second
    again_at = time.monotonic()
    refilled = [code_of(lambda: ecs.describe_services(cluster="c", services=["web"])) for _ in range(60)]
    assert 20 <= refilled.count("ok") <= 20 * (time.monotonic() - again_at + 1.0) + 1
    throttled = codes.count("ThrottlingException") + refilled.count("ThrottlingException")
    assert sum(c.outcome == "throttled" for c in fault_layer.log.calls) == throttled


def test_the_call_log_counts_a_families_calls_and_throttles_in_a_window(layer: Start) -> None:
    fault_layer, client = layer("throttle,seed=1")
    ecs = client("ecs")
    ecs.create_cluster(clusterName="c")
    began = time.time()
    codes = [code_of(lambda: ecs.describe_services(cluster="c", services=["a", "b"])) for _ in range(70)]
    ended = time.time()
    ecs.list_tasks(cluster="c")  # after the window: not counted
    seen = load(fault_layer.log.calls, began, ended)
    reads = seen["ecs.service-read"]
    assert set(seen) == {"ecs.service-read"}  # CreateCluster has no bucket; ListTasks came later
    assert reads.calls == 70 and reads.names_per_call == 2.0
    assert reads.throttled == codes.count("ThrottlingException") >= 70 - 50 - 20 * (ended - began) - 1
    assert reads.peak_1s == 70 if ended - began <= 1.0 else reads.peak_1s >= 70 / (ended - began + 1)
    assert reads.per_s == round(70 / (ended - began), 3)


def test_injected_errors_are_transient_codes_per_protocol_with_the_revision_clash(layer: Start) -> None:
    fault_layer, client = layer("errors=1,seed=3")
    ecs, elbv2, cloudwatch = client("ecs"), client("elbv2"), client("cloudwatch")
    container = [{"name": "app", "image": "nginx", "memory": 512}]
    messages: dict[str, str] = {}
    for _ in range(30):
        try:
            ecs.register_task_definition(family="web", containerDefinitions=container)
        except ClientError as exc:
            messages[exc.response["Error"]["Code"]] = exc.response["Error"]["Message"]
    assert set(messages) == {"ServerException", "ThrottlingException", "ClientException"}
    assert messages["ClientException"] == CONCURRENT_REVISION
    assert {code_of(ecs.list_clusters) for _ in range(20)} == {"ServerException", "ThrottlingException"}
    assert {code_of(elbv2.describe_load_balancers) for _ in range(20)} == {"InternalFailure", "Throttling"}
    assert {code_of(cloudwatch.list_metrics) for _ in range(20)} == {"InternalFailure", "Throttling"}
    calls = fault_layer.log.calls
    assert len(calls) == 90 and all(c.outcome == "injected" for c in calls)
    assert {c.status for c in calls if c.code in ("ServerException", "InternalFailure")} == {500}


def test_the_same_seed_and_calls_give_the_same_faults_and_another_seed_others(layer: Start) -> None:
    def outcomes(spec: str) -> list[str]:
        _, client = layer(spec)
        ecs, elbv2 = client("ecs"), client("elbv2")
        out = []
        for i in range(40):
            call = (ecs.list_clusters) if i % 3 else (elbv2.describe_target_groups)
            out.append(code_of(call))
        return out

    first = outcomes("errors=0.3,seed=11")
    assert first == outcomes("errors=0.3,seed=11")
    assert 0 < sum(c != "ok" for c in first) < 40
    assert first != outcomes("errors=0.3,seed=12")


def test_a_gate_answers_before_moto_with_the_call_and_its_parameters(layer: Start) -> None:
    seen: list[tuple[str, str, Mapping[str, Any]]] = []

    def deny_describe_services(service: str, action: str, params: Mapping[str, Any]) -> ApiError | None:
        seen.append((service, action, params))
        if (service, action) == ("ecs", "DescribeServices"):
            return ApiError("AccessDeniedException",
                            "User is not authorized to perform: ecs:DescribeServices")
        return None

    fault_layer, client = layer("seed=1", gates=(deny_describe_services,))
    ecs = client("ecs")
    with pytest.raises(ClientError) as caught:
        ecs.describe_services(cluster="c", services=["web", "api"])
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert "ecs:DescribeServices" in caught.value.response["Error"]["Message"]
    assert ecs.list_clusters()["clusterArns"] == []
    assert seen[0] == ("ecs", "DescribeServices", {"cluster": "c", "services": ["web", "api"]})
    denied = fault_layer.log.calls[0]
    assert (denied.outcome, denied.code, denied.names) == ("denied", "AccessDeniedException", ("web", "api"))


def test_the_call_log_counts_every_call_with_moto_errors_and_names(layer: Start, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    fault_layer, client = layer("seed=1")
    ecs, elbv2 = client("ecs"), client("elbv2")
    for _ in range(7):
        ecs.list_clusters()
    assert code_of(lambda: ecs.describe_services(cluster="nope", services=["web"])) == (
        "ClusterNotFoundException")
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/0123456789abcdef"
    assert code_of(lambda: elbv2.describe_target_health(TargetGroupArn=arn)) != "ok"
    calls = fault_layer.log.calls
    assert [c.action for c in calls] == ["ListClusters"] * 7 + ["DescribeServices", "DescribeTargetHealth"]
    assert calls[7].outcome == "error" and calls[7].names == ("web",)
    assert calls[7].code == "ClusterNotFoundException"
    assert calls[8].names == (arn,) and calls[8].family == "elbv2.describe"
    assert all(c.outcome == "ok" and c.status == 200 and c.latency_ms > 0 for c in calls[:7])
    path = fault_layer.log.path
    assert path is not None and read_calls(path) == calls  # the JSON lines say the same
    summary = summarize(calls)
    assert summary["calls"] == 9 and summary["actions"]["ecs:ListClusters"]["calls"] == 7
    assert summary["actions"]["ecs:DescribeServices"]["outcomes"] == {"error:ClusterNotFoundException": 1}
    assert main([str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["calls"] == 9
    assert main([str(tmp_path / "missing.jsonl")]) == 1
