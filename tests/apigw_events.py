"""API Gateway WebSocket events for tests, with the fixed values of AWS's documented examples
("Working with WebSocket APIs", the Lambda proxy integration input of WebSocket routes), built
by the runtime's own contract (:mod:`eventual.runtime.apigateway`)."""

from __future__ import annotations

from typing import Any

from eventual.requests import ConnectRequest
from eventual.runtime import apigateway
from eventual.runtime.apigateway import Caller, Stage

API_ID = "abcd1234"
DOMAIN = f"{API_ID}.execute-api.us-east-1.amazonaws.com"
CONNECTED_AT = 1707502303419
STAGE = Stage(DOMAIN, stage="prod", api_id=API_ID, account="123456789012")
DEFAULT_HEADERS = {
    "Host": DOMAIN,
    "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    "X-Amzn-Trace-Id": "Root=1-65c66adf-0123456789abcdef01234567",
    "X-Forwarded-For": "192.0.2.1",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
}


def caller(connection_id: str) -> Caller:
    return Caller(connection_id, "192.0.2.1", "python-websockets/14.0", CONNECTED_AT)


def connect_event(
    connection_id: str = "Ab1Cd2Ef3Gh=",
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    request_id: str = "ReqConnect1=",
) -> dict[str, Any]:
    """A $connect event with the headers API Gateway adds and an optional query string."""
    event = apigateway.connect_event(
        STAGE,
        caller(connection_id),
        headers={**DEFAULT_HEADERS, **(headers or {})}.items(),
        query=(query or {}).items(),
        request_id=request_id,
    )
    return dict(event)


def message_event(
    body: str | bytes,
    connection_id: str = "Ab1Cd2Ef3Gh=",
    *,
    route_key: str = "$default",
    request_id: str = "ReqMessage1=",
) -> dict[str, Any]:
    """A message event; a bytes body arrives base64-encoded with ``isBase64Encoded``."""
    event = apigateway.message_event(
        STAGE,
        caller(connection_id),
        body,
        request_id=request_id,
        message_id="MsgId0000001=",
        at=CONNECTED_AT + 1,
        route_key=route_key,
    )
    return dict(event)


def disconnect_event(
    connection_id: str = "Ab1Cd2Ef3Gh=",
    *,
    status_code: int = 1005,
    reason: str = "Client-side close frame status not set",
    request_id: str = "ReqDisconn1=",
) -> dict[str, Any]:
    """A $disconnect event with the close code and reason API Gateway reports."""
    event = apigateway.disconnect_event(
        STAGE,
        caller(connection_id),
        status_code=status_code,
        reason=reason,
        request_id=request_id,
        at=CONNECTED_AT + 2,
    )
    return dict(event)


def authorizer_event(
    connection_id: str = "Ab1Cd2Ef3Gh=",
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The REQUEST authorizer event API Gateway sends for a WebSocket ``$connect``."""
    event = apigateway.authorizer_event(
        STAGE,
        caller(connection_id),
        headers={**DEFAULT_HEADERS, **(headers or {})}.items(),
        query=(query or {}).items(),
        request_id="ReqAuthorz1=",
    )
    return dict(event)


def result_bytes(method_arn: str, identity: dict[str, Any]) -> int:
    """The size of an Allow answer carrying ``identity``, in AWS's documented output format for a
    Lambda authorizer (principalId, policyDocument, context), as the Lambda Python runtime writes it
    (``json.dumps``, UTF-8): what the "AWS Lambda authorizer result size" quota (8 KB) measures."""
    import json

    answer = {
        "principalId": identity["principalId"],
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": method_arn}],
        },
        "context": identity,
    }
    return len(json.dumps(answer, ensure_ascii=False).encode())


def sized_authorizer(request: ConnectRequest) -> dict[str, Any]:
    """An authorizer whose answer is exactly ``?size=N`` bytes: it pads its identity to fit."""
    target, method_arn = int(request.query["size"]), request.event["methodArn"]
    empty = result_bytes(method_arn, {"principalId": "ada", "pad": ""})
    return {"principalId": "ada", "pad": "x" * (target - empty)}
