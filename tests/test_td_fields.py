"""Task definition fields the installed botocore would drop on a describe -> register round trip."""

from __future__ import annotations

import json
from typing import Any

import boto3
from structlog.testing import capture_logs

from worker.aws import td_fields

MODEL = boto3.session.Session(region_name="us-east-1").client("ecs").meta.service_model


def test_keys_the_model_lacks_are_named_at_both_levels() -> None:
    td = {"family": "web", "cpu": "256", "runtimePlatform": {}, "futureField": 1,
          "containerDefinitions": [{"name": "app", "restartPolicy": {}, "futureContainerField": True}]}
    assert td_fields.unknown_fields(td, MODEL) == ["futureField",
                                                   "containerDefinitions[].futureContainerField"]


def test_todays_fields_are_known_to_the_required_botocore() -> None:
    td = {"enableFaultInjection": True, "runtimePlatform": {}, "ephemeralStorage": {},
          "containerDefinitions": [{"restartPolicy": {}, "versionConsistency": "enabled"}]}
    assert td_fields.unknown_fields(td, MODEL) == []


def test_a_describe_through_moto_warns_about_nothing(clients: Any) -> None:
    arn = clients.ecs.register_task_definition(
        family="web", cpu="256", memory="512", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
        containerDefinitions=[{"name": "app", "image": "nginx"}])["taskDefinition"]["taskDefinitionArn"]
    td_fields.watch(clients.ecs)
    with capture_logs() as logs:
        clients.ecs.describe_task_definition(taskDefinition=arn)
    assert [e for e in logs if e["event"] == "taskdef.fields-unknown"] == []


def test_an_unknown_field_in_the_raw_response_is_logged_once_with_the_remedy(clients: Any) -> None:
    td_fields.watch(clients.ecs)
    td_fields.watch(clients.ecs)  # hooked once, however often read_state runs
    body = json.dumps({"taskDefinition": {"family": "api", "futureField": 1, "containerDefinitions": []}})
    with capture_logs() as logs:
        for _ in range(2):
            clients.ecs.meta.events.emit(td_fields.EVENT, response_dict={"body": body.encode()})
    [event] = [e for e in logs if e["event"] == "taskdef.fields-unknown"]
    assert event["family"] == "api" and event["fields"] == ["futureField"]
    assert "pip install -U boto3 botocore" in event["remedy"]
