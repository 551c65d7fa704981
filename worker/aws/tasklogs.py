"""A stopped task's last log lines: what its service said before it died, from CloudWatch Logs.

ECS keeps only a stopped task's reason and each container's exit code (and, for a container
OOM kill, "OutOfMemoryError: Container killed due to memory usage"). A JVM that dies of
"java.lang.OutOfMemoryError: Java heap space" exits 1 and ECS keeps no text, so a heap OOM
would read as any crash. The service's own log (the `awslogs` driver) says it: for each
essential container whose task definition logs with `awslogs`, one GetLogEvents reads the end
of its stream (`prefix/container-name/task-id`), and the lines that name a failure are kept,
redacted (they may hold secrets), a few and short.

Reading never fails a step: access denied, a missing group or stream, throttling or any
other error is no lines and a warning (access denied once per worker, naming the permission).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from worker.aws.budget import LOGS, TASK_DEFS
from worker.aws.clients import Clients, classify, error_code, error_message, permission
from worker.flow import logs

log = logs.get("servo.tasklogs")

LOGS_PER_CONTAINER = 50  # GetLogEvents' limit: the end of the stream, where a crash is
MAX_LINES = 3  # kept per task, the newest
MAX_LINE_CHARS = 200
TASKS_PER_LOOK = 3  # stopped tasks whose logs one look reads (a failed step's message names 3)
REDACTED = "[redacted]"

# Lines that name a failure: a runtime's out-of-memory, a kill, a Go panic, a fatal error, a
# Python traceback's last line (`MemoryError`, `ValueError: ...`), a Java exception.
FAILURE_SIGNS: tuple[str, ...] = (
    r"OutOfMemoryError", r"Java heap space", r"GC overhead limit exceeded", r"heap out of memory",
    r"out of memory", r"MemoryError", r"\bKilled\b", r"\bpanic\b", r"\bfatal\b",
    r"Segmentation fault", r"Exception in thread", r"^\s*[\w.]*(?:Error|Exception)\b(?::|$)",
)
FAILURE = re.compile("|".join(FAILURE_SIGNS), re.IGNORECASE)

# What looks like a credential, replaced by REDACTED before a line is kept.
_SECRET_KEY = (r"[\w.-]*(?:secret|pass|pwd|token|authorization|api[_-]?key|credential|session|cookie"  # noqa: S105
               r"|private[_-]?key)[\w.-]*")
_QUOTED = r"\"(?:[^\"\\]|\\.)*\"?|'(?:[^'\\]|\\.)*'?"  # a quoted value, escaped quotes and all
SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|APKA)[A-Z0-9]{16}\b"),  # AWS key and principal ids
    re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@]*:)[^\s@/]+@"),  # a URL's user:password@
    # key=value, key: value, "key" => value
    re.compile(rf"(?i)(?<![\w.-])({_SECRET_KEY}[\"']?\s*(?:=>|[=:])\s*)"
               rf"({_QUOTED}|(?:(?:bearer|basic|token)\s+)?(?![{{\[])[^\s,;&]+)"),
    re.compile(rf"(?i)(?<![\w.-])(--?{_SECRET_KEY}\s+)({_QUOTED}|[^\s-][^\s]*)"),  # --password hunter2
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"),  # an Authorization header's credentials
    re.compile(r"[A-Za-z0-9+/=_-]{32,}"),  # a long base64 or hex run: a key, a token, a signature
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
LEAD = 40  # characters kept before a long line's first failure sign


def redact(line: str) -> str:
    """`line` with anything that looks like a credential replaced by `[redacted]` (pure)."""
    out = SECRET_PATTERNS[0].sub(REDACTED, line)
    out = SECRET_PATTERNS[1].sub(lambda m: m.group(1) + REDACTED + "@", out)
    out = SECRET_PATTERNS[2].sub(lambda m: m.group(1) + REDACTED, out)
    out = SECRET_PATTERNS[3].sub(lambda m: m.group(1) + REDACTED, out)
    out = SECRET_PATTERNS[4].sub(lambda m: f"{m.group(1)} {REDACTED}", out)
    return SECRET_PATTERNS[5].sub(REDACTED, out)


def _window(text: str) -> str:
    """A long line cut to MAX_LINE_CHARS around its first failure sign (from `LEAD` before it),
    so a logger's long prefix cannot push "Java heap space" out of what is kept."""
    if len(text) <= MAX_LINE_CHARS:
        return text
    sign = FAILURE.search(text)
    start = max(0, (sign.start() if sign else 0) - LEAD)
    head = "..." if start else ""
    room = MAX_LINE_CHARS - len(head)
    body = text[start:]
    return head + (body if len(body) <= room else body[:room - 3] + "...")


def failure_lines(messages: Iterable[str]) -> tuple[str, ...]:
    """The newest MAX_LINES lines of `messages` (oldest first) that name a failure, redacted
    (whole, before any cut) and cut to MAX_LINE_CHARS around their failure sign (pure)."""
    kept = []
    for message in messages:
        for raw in str(message).splitlines():
            line = _CONTROL.sub(" ", raw).strip()
            if line and FAILURE.search(line):
                kept.append(_window(redact(line)))
    return tuple(kept[-MAX_LINES:])


def stream_name(prefix: str, container: str, task_id: str) -> str:
    """The awslogs driver's stream on Fargate: `prefix/container-name/task-id`."""
    return f"{prefix}/{container}/{task_id}"


@dataclass(frozen=True)
class LogSource:
    """Where one container of a task logs."""

    container: str
    group: str
    stream: str
    region: str | None = None


def log_sources(task_definition: Mapping[str, Any], task_id: str) -> Iterator[LogSource]:
    """The awslogs streams of a task's essential containers (pure). A container without a
    stream prefix is skipped: its stream is named after a container id ECS does not report."""
    for container in task_definition.get("containerDefinitions") or []:
        conf = container.get("logConfiguration") or {}
        if container.get("essential", True) is False or conf.get("logDriver") != "awslogs":
            continue
        options = conf.get("options") or {}
        group, prefix = options.get("awslogs-group"), options.get("awslogs-stream-prefix")
        if group and prefix:
            yield LogSource(str(container["name"]), str(group),
                            stream_name(str(prefix), str(container["name"]), task_id),
                            options.get("awslogs-region"))


_WARNED_DENIED: set[str] = set()  # permissions whose denial this worker already logged


class _Later(Exception):
    """The read must wait for a later look: the budget is short, or AWS failed transiently."""


class TaskLogs:
    """Reads stopped tasks' failure lines for one look. `take(family, calls)` asks the shared
    API budget (worker/aws/budget.py) for the calls; False: not this look."""

    def __init__(self, clients: Clients, take: Callable[[str, int], bool] | None = None):
        self.clients, self.take = clients, take
        self._definitions: dict[str, Mapping[str, Any] | None] = {}
        self._logs: dict[str | None, Any] = {}

    def lines(self, task_arn: str, task_definition: str) -> tuple[str, ...] | None:
        """The failure lines of one stopped task's essential containers, at most MAX_LINES of
        each; () when there are none or they cannot be read (denied, not found); None when a
        read must wait for a later look (a short budget, throttling, a 5xx, a lost connection)."""
        try:
            td = self._definition(task_definition)
            if td is None:
                return ()
            task_id = task_arn.rsplit("/", 1)[-1]
            return tuple(line for source in log_sources(td, task_id) for line in self._read(source))
        except _Later:
            return None

    def _definition(self, arn: str) -> Mapping[str, Any] | None:
        if arn not in self._definitions:
            if self.take is not None and not self.take(TASK_DEFS, 1):
                raise _Later
            self._definitions[arn] = self._call("ecs:DescribeTaskDefinition", arn, lambda: self.clients.ecs
                                                .describe_task_definition(taskDefinition=arn)["taskDefinition"])
        return self._definitions[arn]

    def _read(self, source: LogSource) -> tuple[str, ...]:
        if self.take is not None and not self.take(LOGS, 1):
            log.info("tasklogs.budget_short", group=source.group, stream=source.stream)
            raise _Later
        where = f"log stream {source.stream} in group {source.group}"
        answer = self._call("logs:GetLogEvents", where, lambda: self._client(source.region).get_log_events(
            logGroupName=source.group, logStreamName=source.stream, startFromHead=False,
            limit=LOGS_PER_CONTAINER))
        if answer is None:
            return ()
        return failure_lines(str(e.get("message", "")) for e in answer.get("events") or [])

    def _client(self, region: str | None) -> Any:
        if region not in self._logs:
            self._logs[region] = self.clients.client("logs", region=region)
        return self._logs[region]

    def _call(self, action: str, where: str, call: Callable[[], Any]) -> Any:
        """The call's answer; None after a warning when it cannot be read (nothing here may
        fail the step); `_Later` when AWS failed transiently."""
        try:
            return call()
        except ClientError as exc:
            code, message = error_code(exc), error_message(exc)
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            kind, reason = classify(code, status, message)
            if kind == "transient":
                log.info("tasklogs.later", action=action, resource=where, code=code)
                raise _Later from exc
            if reason == "access-denied":
                need = permission(action.split(":", 1)[1], message)
                if need not in _WARNED_DENIED:
                    _WARNED_DENIED.add(need)
                    log.warning("tasklogs.access_denied", permission=need, resource=where,
                                lost="a failed start's message carries no log lines: grant it "
                                "(servo-fargate iam-policy lists it as optional)")
                return None
            log.warning("tasklogs.unread", action=action, resource=where, code=code, error=message[:200])
        except BotoCoreError as exc:
            log.info("tasklogs.later", action=action, resource=where, error=str(exc)[:200])
            raise _Later from exc
        return None
