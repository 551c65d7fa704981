"""The egress rules of network.route-out (worker/aws/preflight/egress.py), pure."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from worker.aws.preflight.egress import default_targets, missing_endpoints, way_out

PREFIXES = ["igw-", "nat-", "eni-", "i-", "tgw-", "pcx-", "vgw-", "local", "vpce-"]
targets = st.lists(st.builds(lambda p, n: f"{p}{n:04x}" if p != "local" else p,
                             st.sampled_from(PREFIXES), st.integers(0, 0xFFFF)), max_size=4)
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1"


@given(targets)
def test_a_private_task_never_leaves_through_an_internet_gateway_alone(found: list[str]) -> None:
    way = way_out(found, public=False)
    carriers = [t for t in found if t.startswith(("nat-", "eni-", "i-", "tgw-", "pcx-"))]
    assert (way is None) == (not carriers)
    assert way is None or "internet gateway" not in way


@given(targets)
def test_a_public_task_prefers_the_internet_gateway(found: list[str]) -> None:
    way = way_out(found, public=True)
    if any(t.startswith("igw-") for t in found):
        assert way is not None and way.startswith("an internet gateway")
    elif not any(t.startswith(("nat-", "eni-", "i-", "tgw-", "pcx-")) for t in found):
        assert way is None


def test_only_the_active_default_route_counts() -> None:
    table = {"Routes": [
        {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "State": "active"},
        {"DestinationCidrBlock": "0.0.0.0/0", "TransitGatewayId": "tgw-1", "State": "active"},
        {"DestinationPrefixListId": "pl-1", "GatewayId": "vpce-1", "State": "active"},
        {"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "blackhole"}]}
    assert default_targets(table) == ["tgw-1"]


def test_ecr_images_need_the_ecr_endpoints_and_s3_and_logs_only_with_awslogs() -> None:
    region = "us-east-1"
    have = [f"com.amazonaws.{region}.{s}" for s in ("ecr.api", "ecr.dkr", "s3")]
    plain = {"containerDefinitions": [{"image": ECR}]}
    logged = {"containerDefinitions": [{"image": ECR, "logConfiguration": {"logDriver": "awslogs"}}]}
    assert missing_endpoints(have, region, plain) == []
    assert missing_endpoints(have, region, logged) == [f"com.amazonaws.{region}.logs"]
    assert missing_endpoints(have[:1], region, plain) == [f"com.amazonaws.{region}.ecr.dkr",
                                                         f"com.amazonaws.{region}.s3"]
    hub = missing_endpoints(have, region, {"containerDefinitions": [{"image": "nginx:latest"}]})
    assert hub == ["a route out for images outside ECR (nginx:latest)"]
