"""Task definition fields the installed botocore does not know, which a describe -> register
round trip would silently drop (an old botocore parses away what its model
lacks, e.g. restartPolicy, versionConsistency, enableFaultInjection).

The raw DescribeTaskDefinition body is compared with botocore's own model before botocore
parses it; unknown keys are logged once per family as `taskdef.fields-unknown` with what to
do. `watch(ecs)` hooks a client; `unknown_fields` is the pure comparison.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import botocore
import structlog

log = structlog.get_logger("servo.fargate")
EVENT = "before-parse.ecs.DescribeTaskDefinition"
_warned: set[tuple[str, tuple[str, ...]]] = set()  # (family, fields) logged in this process


def unknown_fields(task_definition: Mapping[str, Any], model: Any) -> list[str]:
    """Keys of a raw described task definition (and of its containers, as
    `containerDefinitions[].key`) that the botocore ECS service model lacks."""
    known_td = set(model.shape_for("TaskDefinition").members)
    known_container = set(model.shape_for("ContainerDefinition").members)
    out = sorted(k for k in task_definition if k not in known_td)
    containers = task_definition.get("containerDefinitions") or []
    out += sorted({f"containerDefinitions[].{k}" for c in containers if isinstance(c, Mapping)
                   for k in c if k not in known_container})
    return out


def watch(ecs: Any) -> None:
    """Log unknown task definition fields of every DescribeTaskDefinition `ecs` makes."""
    model = ecs.meta.service_model

    def check(response_dict: Mapping[str, Any], **_: Any) -> None:
        try:
            td = json.loads(response_dict.get("body") or b"{}").get("taskDefinition") or {}
        except (ValueError, AttributeError):
            return  # not JSON: botocore reports the error itself
        warn(td, unknown_fields(td, model))

    ecs.meta.events.register(EVENT, check, unique_id="servo-td-fields")


def warn(td: Mapping[str, Any], fields: list[str]) -> None:
    key = (str(td.get("family")), tuple(fields))
    if not fields or key in _warned:
        return
    _warned.add(key)
    log.warning("taskdef.fields-unknown", family=td.get("family"), fields=fields,
                botocore=botocore.__version__,
                why="the installed botocore does not know these fields: a new revision registered "
                    "from this one would lose them",
                remedy="upgrade boto3 and botocore (pip install -U boto3 botocore) before tuning")
