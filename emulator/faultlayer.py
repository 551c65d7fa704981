"""The sandbox's public AWS endpoint: a WSGI layer in front of moto that misbehaves on purpose.

    layer = FaultLayer(moto_app(), parse_faults("throttle,errors=0.2,seed=7"), log=CallLog())
    server = PublicEndpoint(layer).start()     # server.url is what AWS_ENDPOINT_URL names

Every request on the public endpoint is read (emulator/awswire.py), then, in this order:

1. **gates**: callables `gate(service, action, params) -> ApiError | None`, tried in the order
   given; the first error returned is the answer (outcome `denied`). `service` is the boto3
   client name (`ecs`, `elbv2`, `cloudwatch`, `ec2`, `iam`, ...), `action` the API action
   (`DescribeServices`), `params` the request's parameters: the JSON body for JSON services,
   the flat query form (`TargetGroupArns.member.1`, ...) for query/ec2 ones. A gate runs on a
   request thread, so it must be thread-safe; it must not call the public endpoint itself.
   An IAM enforcer (emulator/iam_gate.py) plugs in here:

       def deny_describe(service, action, params):
           if (service, action) == ("ecs", "DescribeServices"):
               return ApiError("AccessDeniedException", "User: ... is not authorized to perform: "
                               "ecs:DescribeServices on resource: ...", 400)
           return None
       Sandbox(gates=[deny_describe])

2. **throttle**: the call's bucket (emulator/throttle.py) must have a token, else
   `ThrottlingException` (ECS; `Throttling` for ELBv2, CloudWatch and IAM,
   `RequestLimitExceeded` for EC2), outcome `throttled`.
3. **errors**: with the spec's `errors` share, a seeded transient error (outcome `injected`).
4. otherwise moto answers (outcome `ok`, or `error` with moto's own code).

Every call is logged (emulator/calllog.py). moto's own `/moto-api/` paths pass through
unlogged. The sandbox's controller, provisioning and metrics feed talk to moto directly,
never through this layer.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from emulator.awswire import ApiCall, ApiError, Headers, error_code_of, error_reply, parse_call
from emulator.calllog import Call, CallLog
from emulator.faults import Dice, Faults
from emulator.throttle import Throttle, family_of

Gate = Callable[[str, str, Mapping[str, Any]], ApiError | None]
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

RATE_EXCEEDED = "Rate exceeded"
CONCURRENT_REVISION = "Too many concurrent attempts to create a new revision of the specified family."
THROTTLE_CODES = {"ecs": ("ThrottlingException", 400), "ec2": ("RequestLimitExceeded", 503),
                  "logs": ("ThrottlingException", 400)}
SERVER_FAULTS = {"ecs": "ServerException", "ec2": "InternalError", "iam": "ServiceFailure"}


def throttling_error(service: str) -> ApiError:
    code, status = THROTTLE_CODES.get(service, ("Throttling", 400))
    return ApiError(code, RATE_EXCEEDED, status)


def transient_errors(service: str, action: str) -> list[ApiError]:
    """The transient errors one call may draw: a 5xx, a throttle, and for
    RegisterTaskDefinition the concurrent-revision ClientException."""
    mix = [ApiError(SERVER_FAULTS.get(service, "InternalFailure"),
                    "We encountered an internal error. Please try again.", 500),
           throttling_error(service)]
    if (service, action) == ("ecs", "RegisterTaskDefinition"):
        mix.append(ApiError("ClientException", CONCURRENT_REVISION, 400))
    return mix


def names_in(call: ApiCall) -> tuple[str, ...]:
    """ECS services and target groups a call names (cheap: top-level parameters only)."""
    p = call.params
    if call.protocol == "json":
        listed = p.get("services")
        services: list[Any] = listed if isinstance(listed, list) else [p.get("service")]
        return tuple(str(s) for s in services if isinstance(s, str))
    return tuple(str(v) for k, v in p.items() if k.startswith(("TargetGroupArn", "TargetGroupArns.member.")))


class FaultLayer:
    """WSGI middleware in front of moto's app; see the module docstring for the order."""

    def __init__(self, app: WsgiApp, faults: Faults, *, log: CallLog | None = None,
                 gates: Sequence[Gate] = (), clock: Callable[[], float] = time.monotonic):
        self.app, self.faults, self.gates = app, faults, list(gates)
        self.log = log if log is not None else CallLog()
        self.throttle = Throttle(faults.throttle, faults.customer, clock)
        self.dice = Dice(faults.seed)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
            return self.app(environ, start_response)
        arrived, started = time.time(), time.perf_counter()
        body = _read_body(environ)
        call = parse_call(environ, body)
        outcome, error = self.decide(call)
        if error is not None:
            status, headers, out = error_reply(call, error)
            code: str | None = error.code
        else:
            status, headers, out = self._forward(environ, body)
            code = error_code_of(out) if not status.startswith(("2", "3")) else None
            outcome = "error" if code is not None or not status.startswith(("2", "3")) else "ok"
        self.log.record(Call(arrived, call.service, call.action, family_of(call.service, call.action),
                             names_in(call), outcome, code, int(status.split()[0]),
                             round((time.perf_counter() - started) * 1000, 3)))
        start_response(status, headers)
        return [out]

    def decide(self, call: ApiCall) -> tuple[str, ApiError | None]:
        """(outcome, the error to answer instead of moto, or None to let moto answer)."""
        for gate in self.gates:
            denial = gate(call.service, call.action, call.params)
            if denial is not None:
                return "denied", denial
        if not self.throttle.admit(call.service, call.action):
            return "throttled", throttling_error(call.service)
        if self.dice.hit(self.faults.errors, "errors", call.service, call.action):
            mix = transient_errors(call.service, call.action)
            chosen = self.dice.pick([e.code for e in mix], "error-kind", call.service, call.action)
            return "injected", next(e for e in mix if e.code == chosen)
        return "ok", None

    def _forward(self, environ: dict[str, Any], body: bytes) -> tuple[str, Headers, bytes]:
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        reply: dict[str, Any] = {}

        def capture(status: str, headers: Headers, exc_info: Any = None) -> Callable[[bytes], None]:
            reply["status"], reply["headers"] = status, headers
            return lambda _chunk: None

        chunks = self.app(environ, capture)
        try:
            out = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        headers = [(k, v) for k, v in reply["headers"] if k.lower() != "content-length"]
        return reply["status"], [*headers, ("Content-Length", str(len(out)))], out


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH")
    if length:
        return bytes(stream.read(int(length)))
    return bytes(stream.read()) if environ.get("wsgi.input_terminated") else b""


def moto_app() -> WsgiApp:
    """moto's WSGI app. Its state lives in this process's backends, shared with any other
    moto server here, so the layer and a direct moto endpoint see one AWS."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    app: WsgiApp = DomainDispatcherApplication(create_backend_app)
    return app


class PublicEndpoint:
    """Serves an app on a free loopback port in a thread (werkzeug, threaded, as moto does)."""

    def __init__(self, app: WsgiApp, host: str = "127.0.0.1", port: int = 0):
        self.app, self.host, self.port = app, host, port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> PublicEndpoint:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        self._server = make_server(self.host, self.port, self.app, threaded=True,
                                   request_handler=MotoRequestHandler)
        self.port = int(self._server.server_address[1])
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws-public-endpoint",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
