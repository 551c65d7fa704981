"""Read an AWS API request off the wire, and write an error reply in its own protocol.

botocore 1.44 speaks awsJson1_1 to ECS (`X-Amz-Target`), the query protocol to ELBv2 and
IAM (form body `Action=...`, XML errors), the ec2 protocol to EC2, and awsJson1_0 to
CloudWatch (its model lists smithy-rpc-v2-cbor first, but botocore sends JSON with
`x-amzn-query-mode: true`, which makes the error code come from the `x-amzn-query-error`
header). An error written here reaches boto3 as a real `botocore.exceptions.ClientError`
with the code and message given. Pure functions, no I/O.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

Protocol = Literal["json", "query", "ec2", "cbor", "unknown"]
Headers = list[tuple[str, str]]

SIGNING_TO_CLIENT = {"elasticloadbalancing": "elbv2", "monitoring": "cloudwatch",
                     "servicequotas": "service-quotas"}  # the rest sign with their client name
_CREDENTIAL = re.compile(r"Credential=[^/]*/[^/]*/[^/]*/([^/]+)/")
_CBOR_PATH = re.compile(r"/service/[^/]+/operation/([^/?]+)")


@dataclass(frozen=True)
class ApiCall:
    """One request: who it is for, what it asks, and how to answer it."""

    service: str  # boto3 client name: ecs, elbv2, cloudwatch, ec2, iam, ...
    action: str
    protocol: Protocol
    params: Mapping[str, Any] = field(default_factory=dict)  # JSON body, or the query form (flat)
    json_version: str = "1.1"
    query_compatible: bool = False  # a JSON service answering with query-protocol error codes


@dataclass(frozen=True)
class ApiError:
    """An error the sandbox answers instead of moto. `status` 5xx for server faults."""

    code: str
    message: str
    status: int = 400


def parse_call(environ: Mapping[str, Any], body: bytes) -> ApiCall:
    """The call a WSGI request makes (service from the SigV4 credential scope)."""
    match = _CREDENTIAL.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    signing = match.group(1) if match else "unknown"
    service = SIGNING_TO_CLIENT.get(signing, signing)
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    content_type = str(environ.get("CONTENT_TYPE", ""))
    if target:
        version = "1.0" if content_type.endswith("json-1.0") else "1.1"
        return ApiCall(service, target.rsplit(".", 1)[-1], "json", _json(body), version,
                       str(environ.get("HTTP_X_AMZN_QUERY_MODE", "")).lower() == "true")
    cbor = _CBOR_PATH.search(str(environ.get("PATH_INFO", "")))
    if cbor and environ.get("HTTP_SMITHY_PROTOCOL") == "rpc-v2-cbor":
        return ApiCall(service, cbor.group(1), "cbor")
    form = dict(parse_qsl(body.decode("utf-8", "replace"))) if body else {}
    form.update(parse_qsl(str(environ.get("QUERY_STRING", ""))))
    if "Action" in form:
        return ApiCall(service, form["Action"], "ec2" if service == "ec2" else "query", form)
    return ApiCall(service, str(environ.get("REQUEST_METHOD", "")) + " " + str(environ.get("PATH_INFO", "")),
                   "unknown")


def _json(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def error_reply(call: ApiCall, error: ApiError) -> tuple[str, Headers, bytes]:
    """(status line, headers, body) of `error`, in the protocol `call` was made in."""
    request_id = str(uuid.uuid4())
    status = f"{error.status} {_REASONS.get(error.status, 'Error')}"
    headers: Headers = [("x-amzn-RequestId", request_id)]
    fault = "Receiver" if error.status >= 500 else "Sender"
    if call.protocol in {"json", "unknown"}:
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        headers.append(("Content-Type", f"application/x-amz-json-{call.json_version}"))
        if call.query_compatible:
            headers.append(("x-amzn-query-error", f"{error.code};{fault}"))
    elif call.protocol == "cbor":
        body = cbor_text_map({"__type": error.code, "message": error.message})
        headers += [("Content-Type", "application/cbor"), ("smithy-protocol", "rpc-v2-cbor")]
    elif call.protocol == "ec2":
        body = (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>"
                f"<Code>{escape(error.code)}</Code><Message>{escape(error.message)}</Message></Error></Errors>"
                f"<RequestID>{request_id}</RequestID></Response>").encode()
        headers.append(("Content-Type", "text/xml"))
    else:
        body = (f"<ErrorResponse><Error><Type>{fault}</Type><Code>{escape(error.code)}</Code>"
                f"<Message>{escape(error.message)}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>").encode()
        headers.append(("Content-Type", "text/xml"))
    headers.append(("Content-Length", str(len(body))))
    return status, headers, body


_REASONS = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}


def error_code_of(body: bytes) -> str | None:
    """The error code in a reply body (JSON `__type` or XML `<Code>`), for the call log."""
    text = body[:4096].decode("utf-8", "replace")
    match = re.search(r'"__type"\s*:\s*"([^"]+)"', text) or re.search(r"<Code>([^<]+)</Code>", text)
    return match.group(1).rsplit("#", 1)[-1] if match else None


def cbor_text_map(values: Mapping[str, str]) -> bytes:
    """A CBOR map of text strings (RFC 8949 major types 5 and 3): all an error body needs."""
    out = bytearray(_cbor_head(5, len(values)))
    for key, value in values.items():
        for text in (key, value):
            raw = text.encode()
            out += _cbor_head(3, len(raw)) + raw
    return bytes(out)


def _cbor_head(major: int, length: int) -> bytes:
    if length < 24:
        return bytes([major << 5 | length])
    if length < 256:
        return bytes([major << 5 | 24, length])
    return bytes([major << 5 | 25]) + length.to_bytes(2, "big")
