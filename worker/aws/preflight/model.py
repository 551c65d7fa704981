"""Preflight results, the check registry, and the per-run context that describes each AWS
resource once."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from worker.aws.clients import Clients, error_code, error_message
from worker.contract.config import Component, Config

Verdict = Literal["pass", "warn", "fail", "unverified"]
VERDICTS: tuple[Verdict, ...] = ("pass", "warn", "fail", "unverified")

# An endpoint without the API answers 500/501 (moto: NotImplementedError, HTML body).
NOT_IMPLEMENTED_CODES = {"NotImplemented", "NotImplementedException", "InternalFailure", "InternalError"}


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict on one component (or on the whole config when component is None)."""

    id: str
    component: str | None
    verdict: Verdict
    finding: str
    remedy: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class NotVerifiable(Exception):
    """Raised inside a check: this endpoint or account cannot tell; the check is `unverified`."""


class Missing(NotVerifiable):
    """A resource another check reports on is missing, so this check cannot look."""


CheckFn = Callable[["Context"], CheckResult]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    fn: CheckFn
    critical: bool  # a fail blocks the worker from taking steps for the component
    scope: Literal["component", "global"]


REGISTRY: dict[str, CheckSpec] = {}


def check(check_id: str, *, critical: bool = False, scope: Literal["component", "global"] = "component",
          ) -> Callable[[CheckFn], CheckFn]:
    """Register a check function under a stable id, in definition order."""

    def register(fn: CheckFn) -> CheckFn:
        if check_id in REGISTRY:
            raise ValueError(f"duplicate preflight check id {check_id!r}")
        REGISTRY[check_id] = CheckSpec(check_id, fn, critical, scope)
        return fn

    return register


class Cache:
    """Results (and errors) of read-only AWS calls, shared by every check in one run."""

    def __init__(self) -> None:
        self._values: dict[tuple[Any, ...], Any] = {}
        self._errors: dict[tuple[Any, ...], Exception] = {}

    def get(self, key: tuple[Any, ...], fetch: Callable[[], Any]) -> Any:
        if key in self._errors:
            raise self._errors[key]
        if key not in self._values:
            try:
                self._values[key] = fetch()
            except (ClientError, BotoCoreError, NotVerifiable, OSError) as exc:
                self._errors[key] = exc
                raise
        return self._values[key]


@dataclass
class Context:
    """What a check may look at: the config, its component, AWS clients, the shared cache."""

    config: Config
    clients: Clients
    cache: Cache
    component: Component | None = None
    check_id: str = ""

    @property
    def comp(self) -> Component:
        assert self.component is not None, "a component check ran without a component"
        return self.component

    def result(self, verdict: Verdict, finding: str, remedy: str = "") -> CheckResult:
        name = self.component.name if self.component else None
        return CheckResult(self.check_id, name, verdict, finding, remedy)

    def ok(self, finding: str) -> CheckResult:
        return self.result("pass", finding)

    def warn(self, finding: str, remedy: str) -> CheckResult:
        return self.result("warn", finding, remedy)

    def fail(self, finding: str, remedy: str) -> CheckResult:
        return self.result("fail", finding, remedy)

    def cached(self, *key: Any, fetch: Callable[[], Any]) -> Any:
        return self.cache.get(key, fetch)


def is_not_implemented(exc: Exception) -> bool:
    """True when the endpoint lacks the API (moto answers HTML 500s botocore cannot parse)."""
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        return error_code(exc) in NOT_IMPLEMENTED_CODES or status in (500, 501)
    return type(exc).__name__ == "ResponseParserError"


def aws_failure(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return f"{error_code(exc)}: {error_message(exc)}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


@contextmanager
def unverified_when_missing_api(what: str) -> Iterator[None]:
    """Turn 'this endpoint does not implement the API' into NotVerifiable."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        if is_not_implemented(exc):
            raise NotVerifiable(f"the AWS endpoint does not implement {what}") from exc
        raise
