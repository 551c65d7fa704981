"""Make a boto3 ECS client get AWS error answers for chosen calls, for tests.

The answer replaces the HTTP response at botocore's `before-send` event: botocore parses
it as it parses AWS's own (status, `__type`, message), so the worker's error handling
sees a real ClientError, exactly as from AWS. Every other call goes through to moto.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


@dataclass
class Rule:
    action: str  # the ECS API action, e.g. "UpdateService"
    code: str
    message: str
    status: int = 400
    times: int | None = None  # answer this many calls, then let them through (None: until removed)
    when: Callable[[], bool] = lambda: True  # answer only while this holds
    answered: int = 0


@dataclass
class AwsAnswers:
    """Error answers for one ECS client's calls; `calls` counts every call by action."""

    rules: list[Rule] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, client: Any) -> AwsAnswers:
        client.meta.events.register("before-send.ecs", self._send)
        return self

    def fail(self, action: str, code: str, message: str, *, status: int = 400, times: int | None = None,
             when: Callable[[], bool] = lambda: True) -> Rule:
        rule = Rule(action, code, message, status, times, when)
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def _send(self, request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        action = (target.decode() if isinstance(target, bytes) else str(target)).rsplit(".", 1)[-1]
        with self.lock:
            self.calls[action] = self.calls.get(action, 0) + 1
            rule = next((r for r in self.rules if r.action == action and r.when()
                         and (r.times is None or r.answered < r.times)), None)
            if rule is None:
                return None
            rule.answered += 1
        body = json.dumps({"__type": rule.code, "message": rule.message}).encode()
        return AWSResponse(request.url, rule.status, {"Content-Type": "application/x-amz-json-1.1",
                                                      "x-amzn-RequestId": "test"}, _Body(body))
