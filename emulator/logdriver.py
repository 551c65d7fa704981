"""The `awslogs` log driver for the sandbox's tasks: what a task prints goes to CloudWatch Logs.

As on Fargate, a container whose task definition has an `awslogs` logConfiguration writes each
line of its stdout and stderr to the stream `prefix/container-name/task-id` of the group
`awslogs-group`. The driver creates the stream; the group must already exist unless
`awslogs-create-group` is "true", and a task whose group is missing fails to start with
ECS's ResourceInitializationError, as on AWS. Lines are buffered by the task's reader threads
and put by the controller (`flush`), so a dead task's last lines are in CloudWatch Logs before
ECS shows it stopped. The driver talks to moto directly, never through the public endpoint.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

MISSING_GROUP = ("ResourceInitializationError: failed to validate logger args: create stream has been "
                 "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: "
                 "The specified log group does not exist. : exit status 1")
MAX_BATCH = 1000  # events per PutLogEvents


def awslogs_options(container: Mapping[str, Any]) -> Mapping[str, str] | None:
    """The container's awslogs options, or None when it logs some other way (or not at all)."""
    conf = container.get("logConfiguration") or {}
    return conf.get("options") or {} if conf.get("logDriver") == "awslogs" else None


class TaskLog:
    """One container's stream: lines in from the reader threads, out to CloudWatch Logs."""

    def __init__(self, logs: Any, group: str, stream: str):
        self.logs, self.group, self.stream = logs, group, stream
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def line(self, _source: str, text: str) -> None:
        """A line the container printed (taskproc.OnLine); thread-safe."""
        with self._lock:
            self._pending.append({"timestamp": int(time.time() * 1000), "message": text})

    def flush(self) -> None:
        with self._lock:
            events, self._pending = self._pending, []
        for start in range(0, len(events), MAX_BATCH):
            self.logs.put_log_events(logGroupName=self.group, logStreamName=self.stream,
                                     logEvents=events[start:start + MAX_BATCH])


def open_log(logs: Any, container: Mapping[str, Any], task_id: str) -> TaskLog | str | None:
    """The container's TaskLog with its stream created; None without awslogs; the stopped
    reason when the driver cannot start (its group is missing)."""
    options = awslogs_options(container)
    if options is None or logs is None:
        return None
    group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
    if not group or not prefix:  # Fargate refuses a task definition without both
        return f"ResourceInitializationError: awslogs-group and awslogs-stream-prefix are required " \
               f"(container {container.get('name')})"
    if str(options.get("awslogs-create-group", "")).lower() == "true" and not _group_exists(logs, group):
        logs.create_log_group(logGroupName=group)
    stream = f"{prefix}/{container['name']}/{task_id}"
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceNotFoundException:
        return MISSING_GROUP
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    return TaskLog(logs, group, stream)


def _group_exists(logs: Any, group: str) -> bool:
    found = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups", [])
    return any(g.get("logGroupName") == group for g in found)
