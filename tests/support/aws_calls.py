"""Record every AWS call that leaves botocore in this process, as IAM action names.

Every botocore session built while `recording()` is active gets a `before-call` handler, so
the clients the project builds itself (worker.aws.clients.Clients, the preflight's iam/sts/ec2
clients) are recorded without touching the project's code. `before-call` fires once per API
call, before botocore's own retries, and once per page of a paginator.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.session

from worker.aws.permissions import iam_action


@contextmanager
def recording() -> Iterator[list[str]]:
    """Yield the list that collects `service:Operation` of every call made meanwhile."""
    calls: list[str] = []
    original = botocore.session.Session.__init__

    def record(model: Any, **_: Any) -> None:
        calls.append(iam_action(model.service_model.service_name, model.name))

    def init(self: botocore.session.Session, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.register("before-call", record)

    botocore.session.Session.__init__ = init  # type: ignore[method-assign]
    try:
        yield calls
    finally:
        botocore.session.Session.__init__ = original  # type: ignore[method-assign]
