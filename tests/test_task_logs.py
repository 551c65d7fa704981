"""A stopped task's last log lines in the step record (worker/aws/tasklogs.py), read from the
awslogs stream the sandbox's tasks really write to (emulator/logdriver.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import assume, given
from hypothesis import strategies as st

from emulator.demoapp import HEAP_LIMIT_VAR
from emulator.iam_gate import ACCOUNT, PolicyGate
from emulator.profiles import FAST
from emulator.sandbox import Sandbox
from producer import objectives as obj
from producer.pruning import heap_failure, memory_failure
from tests.conftest import TEST_REDIS_URL
from tests.support import inline
from tests.support.aws_calls import recording
from worker.aws.budget import LOGS
from worker.aws.clients import Clients
from worker.aws.permissions import Scope, optional, policy
from worker.aws.stability import StoppedTask
from worker.aws.tasklogs import (
    MAX_LINE_CHARS,
    MAX_LINES,
    REDACTED,
    TaskLogs,
    failure_lines,
    log_sources,
    redact,
    stream_name,
)
from worker.contract.config import load_config
from worker.contract.records import RecordStore
from worker.flow.runtime import Runtime

HEAP_LINE = "java.lang.OutOfMemoryError: Java heap space"


# -- stream naming and what is read ---------------------------------------------------------
def test_the_stream_is_prefix_container_and_task_id() -> None:
    assert stream_name("ecs", "app", "0f3c9d") == "ecs/app/0f3c9d"


def test_only_essential_awslogs_containers_with_a_prefix_are_read() -> None:
    def container(name: str, driver: str = "awslogs", essential: bool | None = None,
                  prefix: str | None = "svc") -> dict[str, Any]:
        options = {"awslogs-group": "/ecs/web", "awslogs-region": "eu-west-1"}
        if prefix:
            options["awslogs-stream-prefix"] = prefix
        out: dict[str, Any] = {"name": name, "logConfiguration": {"logDriver": driver, "options": options}}
        if essential is not None:
            out["essential"] = essential
        return out

    td = {"containerDefinitions": [container("app"), container("sidecar", essential=False),
                                   container("proxy", driver="splunk"), container("bare", prefix=None),
                                   container("worker", essential=True), {"name": "nolog"}]}
    sources = list(log_sources(td, "abc123"))
    assert [(s.container, s.group, s.stream, s.region) for s in sources] == [
        ("app", "/ecs/web", "svc/app/abc123", "eu-west-1"),
        ("worker", "/ecs/web", "svc/worker/abc123", "eu-west-1")]


def test_only_failure_lines_are_kept_the_newest_few_and_short() -> None:
    lines = ["READY", "GET / 200", "Traceback (most recent call last):", '  File "app.py", line 3',
             "MemoryError", "panic: runtime error: index out of range",
             "fatal error: all goroutines are asleep", "x" * 10 + " Killed " + "y " * 200]
    kept = failure_lines(lines)
    assert len(kept) == MAX_LINES and all(len(line) <= MAX_LINE_CHARS for line in kept)
    assert kept[:2] == ("panic: runtime error: index out of range", "fatal error: all goroutines are asleep")
    assert kept[2].endswith("...")  # cut, and says so
    assert failure_lines(["READY", "listening on 127.0.0.2:8080"]) == ()
    jvm = f'Exception in thread "main" {HEAP_LINE}'
    assert failure_lines([jvm, "\tat emulator.demoapp.allocate(demoapp.py)"]) == (jvm,)
    assert failure_lines(["ValueError: bad\x1b[31m input"]) == ("ValueError: bad [31m input",)


def test_a_long_line_is_cut_around_its_failure_sign_so_a_heap_oom_stays_one() -> None:
    """A reviewer's find: a Spring line's 140-character prefix pushed "Java heap space" past the
    cut while "OutOfMemoryError" stayed, so pruning read a heap too small as a container out of
    memory (a bigger heap share hungrier: the wrong way)."""
    prefix = ("2026-12-01 10:00:00.000 ERROR 1 --- [nio-8080-exec-1] o.a.c.c.C.[.[localhost].[/]."
              "[dispatcherServlet] : Servlet.service() for servlet [dispatcherServlet] in context "
              "with path [] ")
    for pad in (0, 60, 400):
        (kept,) = failure_lines([f"{'x' * pad}{prefix}threw exception [{HEAP_LINE}] with root cause"])
        assert HEAP_LINE in kept and len(kept) <= MAX_LINE_CHARS, kept
        result = obj.Outcome("rejected", None, reason="start-failed", message=kept)
        assert heap_failure(result) and not memory_failure(result)


def test_a_stopped_task_with_its_lines_survives_the_memo_and_says_them() -> None:
    task = StoppedTask("arn:aws:ecs:us-east-1:1:task/c/abc", "Essential container in task exited",
                       ("container app exit code 1",), "arn:td:1", (HEAP_LINE,), True)
    assert StoppedTask.from_memo(asdict(task)) == task
    older = {"arn": task.arn, "reason": "r", "exit_codes": []}  # a memo from before the logs
    assert StoppedTask.from_memo(older).logs_read is False
    assert task.describe() == ("task abc stopped: Essential container in task exited "
                               f"(container app exit code 1); its log: {HEAP_LINE}")


def test_logs_get_log_events_is_optional_and_scoped_to_the_log_groups() -> None:
    assert [p.action for p in optional("worker")] == ["logs:GetLogEvents"]
    scope = Scope(region="eu-west-1", account="123456789012", services=(("c", "web"),), families=("web",),
                  log_groups=("/ecs/web",))
    logs = {s["Sid"]: s for s in policy(scope, "worker")["Statement"]}["TaskLogs"]
    assert logs["Action"] == ["logs:GetLogEvents"]
    assert logs["Resource"] == "arn:aws:logs:eu-west-1:123456789012:log-group:/ecs/web:*"
    assert "TaskLogs" not in {s["Sid"] for s in policy(Scope(log_groups=()), "worker")["Statement"]}


# -- redaction ---------------------------------------------------------------------------------
_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
_AROUND = st.lists(_WORD, max_size=5).map(" ".join)
_VALUE = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.!@#$%^*()",
                 min_size=6, max_size=40)
_KEY = st.sampled_from(["password", "PASSWORD", "db_password", "secret", "client_secret", "token",
                        "api_token", "Authorization", "X-Auth-Token", "aws_secret_access_key", "apiKey",
                        "api-key"])
_SECRETS = st.one_of(
    st.builds(lambda p, s: p + s, st.sampled_from(["AKIA", "ASIA"]),
              st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", min_size=16, max_size=16)).map(
        lambda key: ("", key)),
    st.tuples(_KEY, st.sampled_from(["=", ": ", "=", ":", " = ", '": "', "='"]), _VALUE).map(
        lambda kv: (kv[0] + kv[1], kv[2])),
    st.tuples(st.sampled_from(["Bearer ", "bearer ", "Authorization: Bearer "]),
              st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._~+/-", min_size=8, max_size=60)),
    st.text(alphabet="0123456789abcdef", min_size=32, max_size=80).map(lambda h: ("", h)),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", min_size=32,
            max_size=80).map(lambda b: ("", b + "==")),
)


@given(_AROUND, _SECRETS, _AROUND)
def test_a_secret_in_a_line_never_survives_redaction(before: str, secret: tuple[str, str],
                                                      after: str) -> None:
    lead, value = secret
    assume(value not in before and value not in after)
    line = f"{before} {lead}{value} {after}".strip()
    out = redact(line)
    assert value not in out, (line, out)
    assert REDACTED in out


@pytest.mark.parametrize(("line", "secret"), [
    ("fatal: postgres://app:hunter2@db:5432/orders", "hunter2"),
    ("panic: redis://:s3cretRedis@cache:6379/0", "s3cretRedis"),
    ("ERROR DATABASE_URL=mongodb+srv://admin:Pa55w0rd@cluster0/x", "Pa55w0rd"),
    ('fatal {"credentials": {"password": "hunter2"}}', "hunter2"),
    ("fatal: --password hunter2 --user app", "hunter2"),
    ('panic "password" => "hunter2"', "hunter2"),
    ('fatal {"password":"a\\"b c d"}', "b c d"),
    ('fatal {"pass": "x9y8z7"}', "x9y8z7"),
    ("fatal passphrase=correcthorse", "correcthorse"),
])
def test_a_reviewers_secrets_do_not_survive_redaction(line: str, secret: str) -> None:
    assert secret not in redact(line) and REDACTED in redact(line), redact(line)


@given(st.lists(_WORD, min_size=1, max_size=12).map(" ".join))
def test_plain_words_are_left_alone(line: str) -> None:
    assume(not any(k in line for k in ("secret", "pass", "pwd", "token", "credential", "authorization",
                                       "bearer", "basic", "apikey", "session", "cookie")))
    assert redact(line) == line


def test_a_kept_failure_line_is_redacted() -> None:
    kept = failure_lines(["fatal: cannot connect to db password=hunter2-very-secret host=db"])
    assert kept == (f"fatal: cannot connect to db password={REDACTED} host=db",)


# -- on the sandbox: real task processes, their awslogs stream, moto, Redis ------------------
@pytest.fixture
def sandbox(aws_endpoint: str, tmp_path: Path, redis_db: Any) -> Iterator[Sandbox]:
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml") as box:
        _declare_heap(box.config_path)
        yield box


def _declare_heap(path: Path) -> None:
    """The config declares the demo app's heap cap, so a step may set it."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for component in raw["fargate"].values():
        component["environment"][HEAP_LIMIT_VAR] = {"type": "range", "min": 100, "max": 1000, "step": 10}
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")


def _step(box: Sandbox, settings: dict[str, object]) -> dict[str, Any]:
    """adjust + settle through the stages the worker's tasks run; the step record after."""
    config = load_config(str(box.config_path), environ={})
    rt = Runtime(store=RecordStore.from_url(TEST_REDIS_URL), config=config)
    rt.clients = Clients.from_env(max_attempts=1)  # type: ignore[misc]
    return inline.run(rt, config, box.name, dict(settings))


def _outcome(record: dict[str, Any]) -> obj.Outcome:
    return obj.Outcome(record["status"], 0.01, reason=record.get("reason"), message=record.get("message"))


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_heap_oom_reaches_the_step_record_from_the_tasks_own_log(sandbox: Sandbox) -> None:
    """The task printed the JVM's heap OOM and exited 1; ECS keeps no text, the step's message
    has the line from the task's awslogs stream, and pruning reads it as a heap OOM."""
    with recording() as calls:
        record = _step(sandbox, {HEAP_LIMIT_VAR: 100})  # the demo app's heap peaks at 240 MiB at GOGC 100
    assert (record["status"], record["reason"]) == ("rejected", "start-failed"), record
    assert "exit code 1" in record["message"] and HEAP_LINE in record["message"], record["message"]
    assert heap_failure(_outcome(record)) and not memory_failure(_outcome(record))
    assert record["rollback"]["ok"], record
    # what ECS itself kept has no word of it: only the log does
    ecs = sandbox.direct_client("ecs")
    arns = ecs.list_tasks(cluster=sandbox.setup.cluster, desiredStatus="STOPPED")["taskArns"]  # type: ignore[union-attr]
    tasks = ecs.describe_tasks(cluster=sandbox.setup.cluster, tasks=arns)["tasks"]  # type: ignore[union-attr]
    died = [c for t in tasks for c in t["containers"] if c.get("exitCode") == 1]
    assert died and not any("heap" in str(c.get("reason", "")) for c in died)
    assert 1 <= calls.count("logs:GetLogEvents") <= 3  # one a stopped task, a few at most, read once


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_container_oom_says_its_exit_code_and_reads_as_memory(sandbox: Sandbox) -> None:
    record = _step(sandbox, {"mem": 0.5, "GOGC": 200})
    assert (record["status"], record["reason"]) == ("rejected", "start-failed"), record
    assert "exit code 137" in record["message"] and memory_failure(_outcome(record)), record["message"]


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_logs_access_denied_gives_no_lines_and_the_step_fails_for_its_start(
        aws_endpoint: str, tmp_path: Path, redis_db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The IAM gate allows everything the worker needs but logs:GetLogEvents: the step still
    ends for its start failure, its message without log lines."""
    gate = PolicyGate({"Statement": []})
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "config.yaml", gates=[gate]) as box:
        _declare_heap(box.config_path)
        setup = box.setup
        assert setup is not None
        scope = Scope(region=box.region, account=ACCOUNT, services=((setup.cluster, setup.service),),
                      families=(setup.family,), roles=(setup.execution_role_arn or "",),
                      log_groups=(f"/ecs/{setup.name}",))
        document = policy(scope, "worker")
        statements = [{**s, "Action": [a for a in s["Action"] if a != "logs:GetLogEvents"]}
                      for s in document["Statement"]]
        gate.load({**document, "Statement": [s for s in statements if s["Action"]]})
        monkeypatch.setenv("AWS_ENDPOINT_URL", box.endpoint_url)  # the worker's calls go through IAM
        record = _step(box, {HEAP_LIMIT_VAR: 100})
    assert (record["status"], record["reason"]) == ("rejected", "start-failed"), record
    assert "exit code 1" in record["message"] and "its log:" not in record["message"], record["message"]
    assert record["rollback"]["ok"], record
    denied = {n.action for n in gate.denied}
    assert denied == {"logs:GetLogEvents"}, gate.denied


def test_the_sandbox_tasks_write_to_their_awslogs_stream(aws_endpoint: str, tmp_path: Path,
                                                         redis_db: Any) -> None:
    with Sandbox(FAST, endpoint_url=aws_endpoint, config_out=tmp_path / "c.yaml", desired_count=1) as box:
        assert box.setup is not None
        td = box.direct_client("ecs").describe_task_definition(
            taskDefinition=box.setup.task_definition_arn)["taskDefinition"]
        task = box.controller.tasks[0]  # type: ignore[union-attr]
        (source,) = log_sources(td, task.id)
        events = box.direct_client("logs").get_log_events(
            logGroupName=source.group, logStreamName=source.stream, startFromHead=True)["events"]
        # A read the budget cannot pay for waits for a later look (None), rather than saying "no lines".
        clients = Clients.from_env(max_attempts=1)
        arn = f"arn:aws:ecs:{box.region}:{ACCOUNT}:task/{box.setup.cluster}/{task.id}"
        td_arn = box.setup.task_definition_arn
        assert TaskLogs(clients, lambda family, calls: False).lines(arn, td_arn) is None
        assert TaskLogs(clients, lambda family, calls: family != LOGS).lines(arn, td_arn) is None
        assert TaskLogs(clients, lambda family, calls: True).lines(arn, td_arn) == ()
    assert source.stream == f"ecs/app/{task.id}" and "READY" in [e["message"] for e in events]
