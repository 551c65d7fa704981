"""The hostile sandbox's pure parts: the fault spec, the token buckets, the seeded dice and
the error replies in each wire protocol (the layer over real HTTP: test_faultlayer.py)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emulator.awswire import ApiCall, ApiError, cbor_text_map, error_code_of, error_reply
from emulator.faults import KINDS, Dice, Faults, FaultSpecError, parse_faults
from emulator.throttle import RATES, Throttle, TokenBucket, family_of


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# -- the spec ----------------------------------------------------------------------------
def test_a_full_spec_reads_every_kind() -> None:
    f = parse_faults("throttle,errors=0.2,capacity=0.05,spot=0.02,metrics-delay=90,customer=0.5,seed=7")
    assert f == Faults(throttle=1.0, errors=0.2, capacity=0.05, spot=0.02, metrics_delay=90, customer=0.5,
                       seed=7)
    assert parse_faults("throttle=0.5,seed=1").throttle == 0.5
    assert parse_faults(" errors = 0.1 , seed = 3 ") == Faults(errors=0.1, seed=3)


def test_no_spec_is_a_kind_aws_with_a_drawn_seed_that_str_repeats() -> None:
    f = parse_faults(None)
    assert not f.active and parse_faults("").active is False
    assert parse_faults(str(f)) == f  # the drawn seed is shown, so a run can be repeated
    assert parse_faults("errors=0.1", seed=9).seed == 9


@pytest.mark.parametrize(("spec", "says"), [
    ("throttle,bogus=1", "unknown fault kind 'bogus'"),
    ("errors=0.1,errors=0.2", "given twice"),
    ("errors", "needs a value"),
    ("errors=2", "must be >= 0 and <= 1"),
    ("capacity=-0.1", "must be >= 0"),
    ("spot=lots", "is not a number"),
    ("seed=1.5", "whole number"),
    ("throttle=0", "must be > 0"),
    ("metrics-delay=nan", "must be >= 0"),
    ("throttle,,errors=0.1", "unknown fault kind ''"),
])
def test_a_bad_spec_is_refused_naming_the_item_and_what_is_allowed(spec: str, says: str) -> None:
    with pytest.raises(FaultSpecError, match=says.replace("(", r"\(")):
        parse_faults(spec)


def test_an_unknown_kind_lists_the_allowed_ones() -> None:
    with pytest.raises(FaultSpecError) as caught:
        parse_faults("chaos=1")
    assert all(kind in str(caught.value) for kind in KINDS)


shares = st.sampled_from([0.0, 0.01, 0.05, 0.2, 0.5, 1.0])


@given(throttle=st.sampled_from([0.0, 0.5, 1.0, 2.0]), errors=shares, capacity=shares, spot=shares,
       delay=st.sampled_from([0.0, 2.0, 90.0]), customer=shares, seed=st.integers(0, 2**31))
def test_the_canonical_spec_reads_back_to_the_same_faults(throttle: float, errors: float, capacity: float,
                                                          spot: float, delay: float, customer: float,
                                                          seed: int) -> None:
    f = Faults(throttle, errors, capacity, spot, delay, customer, seed)
    assert parse_faults(str(f)) == f


# -- the buckets -------------------------------------------------------------------------
def test_a_bucket_passes_its_burst_then_refills_at_its_rate() -> None:
    bucket = TokenBucket(burst=20, rate=1, now=0.0)
    assert sum(bucket.take(0.0) for _ in range(30)) == 20
    assert not bucket.take(0.5)
    assert bucket.take(1.0) and not bucket.take(1.0)
    assert sum(bucket.take(100.0) for _ in range(30)) == 20  # never more than the burst


def test_the_published_families_and_an_unthrottled_action() -> None:
    assert family_of("ecs", "DescribeServices") == "ecs.service-read"
    assert family_of("ecs", "RegisterTaskDefinition") == "ecs.task-definition-write"
    assert RATES["ecs.task-definition-write"].burst == 20 and RATES["ecs.task-definition-write"].rate == 1
    assert RATES["elbv2.describe"].burst == 40 and RATES["elbv2.describe"].rate == 10
    assert family_of("elbv2", "DescribeTargetHealth") == "elbv2.describe"
    assert family_of("ec2", "DescribeSubnets") == family_of("ec2", "DescribeVpcs") == "ec2.describe"
    assert family_of("iam", "GetRole") is None
    throttle = Throttle(1.0, clock=FakeClock())
    assert all(throttle.admit("iam", "GetRole") for _ in range(1000))


def test_families_share_a_bucket_and_the_customer_share_slows_the_refill() -> None:
    clock = FakeClock()
    throttle = Throttle(1.0, customer=0.5, clock=clock)
    assert sum(throttle.admit("ecs", "DescribeTasks") for _ in range(30)) == 30
    assert sum(throttle.admit("ecs", "ListTasks") for _ in range(30)) == 20  # one task-read bucket of 50
    clock.now += 1.0
    assert sum(throttle.admit("ecs", "ListTasks") for _ in range(30)) == 10  # half of 20/s left for us
    assert Throttle(0.0, clock=clock).admit("ecs", "ListTasks")  # throttle off


@given(gaps=st.lists(st.floats(0.0, 0.2), min_size=1, max_size=300),
       family=st.sampled_from(["ecs:DescribeServices", "ecs:RegisterTaskDefinition",
                               "elbv2:DescribeTargetHealth"]))
def test_admitted_calls_never_exceed_burst_plus_rate_times_time(gaps: list[float], family: str) -> None:
    clock = FakeClock()
    throttle = Throttle(1.0, clock=clock)
    service, action = family.split(":")
    spec = RATES[family_of(service, action) or ""]
    start, admitted = clock.now, 0
    for gap in gaps:
        clock.now += gap
        admitted += throttle.admit(service, action)
        assert admitted <= spec.burst + spec.rate * (clock.now - start) + 1e-9


# -- the dice ----------------------------------------------------------------------------
@given(seed=st.integers(0, 2**31), others=st.lists(st.sampled_from(["a", "b", "c"]), max_size=30))
def test_a_keys_draws_depend_on_seed_and_key_only_not_on_other_keys_draws(seed: int,
                                                                          others: list[str]) -> None:
    alone = Dice(seed)
    expected = [alone.hit(0.5, "errors", "ecs", "DescribeServices") for _ in range(len(others))]
    mixed = Dice(seed)
    got = []
    for other in others:
        mixed.hit(0.5, "errors", "elbv2", other)
        got.append(mixed.hit(0.5, "errors", "ecs", "DescribeServices"))
    assert got == expected


def test_another_seed_draws_differently_and_rate_zero_never_hits() -> None:
    draws = [[Dice(s).hit(0.5, "k") for _ in range(1)] + [Dice(s).uniform(0, 1, "u")] for s in (1, 2)]
    assert draws[0] != draws[1]
    dice = Dice(3)
    assert not any(dice.hit(0.0, "k") for _ in range(100)) and all(dice.hit(1.0, "k") for _ in range(100))


# -- error replies -----------------------------------------------------------------------
def test_json_errors_carry_the_type_and_query_compatible_ones_the_query_code_header() -> None:
    status, headers, body = error_reply(ApiCall("ecs", "DescribeServices", "json"),
                                        ApiError("ThrottlingException", "Rate exceeded"))
    assert status == "400 Bad Request"
    assert json.loads(body) == {"__type": "ThrottlingException", "message": "Rate exceeded"}
    assert ("Content-Type", "application/x-amz-json-1.1") in headers
    _, headers, _ = error_reply(ApiCall("cloudwatch", "GetMetricData", "json", json_version="1.0",
                                        query_compatible=True), ApiError("InternalFailure", "x", 500))
    assert ("x-amzn-query-error", "InternalFailure;Receiver") in headers


def test_query_and_ec2_errors_are_xml_in_their_own_shapes() -> None:
    _, _, body = error_reply(ApiCall("elbv2", "DescribeTargetHealth", "query"), ApiError("Throttling", "a<b"))
    assert body.startswith(b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>")
    assert b"a&lt;b" in body and error_code_of(body) == "Throttling"
    status, _, body = error_reply(ApiCall("ec2", "DescribeVpcs", "ec2"),
                                  ApiError("RequestLimitExceeded", "Request limit exceeded.", 503))
    assert status.startswith("503") and b"<Response><Errors><Error><Code>RequestLimitExceeded" in body


def test_cbor_error_bodies_are_a_text_map_botocores_rpc_v2_parser_reads() -> None:
    """Should botocore switch CloudWatch to smithy-rpc-v2-cbor, the reply is ready for it."""
    import boto3
    from botocore.parsers import create_parser

    assert cbor_text_map({"a": "bc"}) == bytes([0xA1, 0x61]) + b"a" + bytes([0x62]) + b"bc"
    assert cbor_text_map({"m": "x" * 30})[3:5] == bytes([0x78, 30])
    status, headers, body = error_reply(ApiCall("cloudwatch", "GetMetricData", "cbor"),
                                        ApiError("Throttling", "Rate exceeded"))
    model = boto3.client("cloudwatch", region_name="us-east-1").meta.service_model
    parsed = create_parser("smithy-rpc-v2-cbor").parse(
        {"status_code": int(status.split()[0]), "headers": dict(headers), "body": body},
        model.operation_model("GetMetricData").output_shape)
    assert parsed["Error"] == {"Code": "Throttling", "Message": "Rate exceeded"}
    assert error_code_of(b'{"__type": "com.amazonaws.ecs#ServiceNotFoundException"}') == (
        "ServiceNotFoundException")
