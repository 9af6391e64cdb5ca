"""API Gateway WebSocket events as AWS documents them ("Working with WebSocket APIs" /
the Lambda proxy integration input for WebSocket routes), built here for tests."""

from __future__ import annotations

import base64
from typing import Any

API_ID = "abcd1234"
DOMAIN = f"{API_ID}.execute-api.us-east-1.amazonaws.com"
CONNECTED_AT = 1707502303419


def _request_context(route_key: str, event_type: str, connection_id: str, request_id: str) -> dict[str, Any]:
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": request_id,
        "requestTime": "09/Feb/2024:18:11:43 +0000",
        "messageDirection": "IN",
        "stage": "prod",
        "connectedAt": CONNECTED_AT,
        "requestTimeEpoch": CONNECTED_AT + 1,
        "identity": {"userAgent": "python-websockets/14.0", "sourceIp": "192.0.2.1"},
        "requestId": request_id,
        "domainName": DOMAIN,
        "connectionId": connection_id,
        "apiId": API_ID,
    }


def connect_event(
    connection_id: str = "Ab1Cd2Ef3Gh=",
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    request_id: str = "ReqConnect1=",
) -> dict[str, Any]:
    """A $connect event with the headers API Gateway adds and an optional query string."""
    headers = {
        "Host": DOMAIN,
        "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        "X-Amzn-Trace-Id": "Root=1-65c66adf-0123456789abcdef01234567",
        "X-Forwarded-For": "192.0.2.1",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    event: dict[str, Any] = {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": _request_context("$connect", "CONNECT", connection_id, request_id),
        "isBase64Encoded": False,
    }
    if query is not None:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return event


def message_event(
    body: str | bytes,
    connection_id: str = "Ab1Cd2Ef3Gh=",
    *,
    route_key: str = "$default",
    request_id: str = "ReqMessage1=",
) -> dict[str, Any]:
    """A message event; a bytes body arrives base64-encoded with ``isBase64Encoded``."""
    context = _request_context(route_key, "MESSAGE", connection_id, request_id)
    context["messageId"] = "MsgId0000001="
    if isinstance(body, bytes):
        return {
            "requestContext": context,
            "body": base64.b64encode(body).decode(),
            "isBase64Encoded": True,
        }
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def disconnect_event(
    connection_id: str = "Ab1Cd2Ef3Gh=",
    *,
    status_code: int = 1005,
    reason: str = "Client-side close frame status not set",
    request_id: str = "ReqDisconn1=",
) -> dict[str, Any]:
    """A $disconnect event with the close code and reason API Gateway reports."""
    context = _request_context("$disconnect", "DISCONNECT", connection_id, request_id)
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    headers = {"Host": DOMAIN, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": ""}
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }


def authorizer_event(
    connection_id: str = "Ab1Cd2Ef3Gh=",
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The REQUEST authorizer event API Gateway sends for a WebSocket ``$connect``."""
    event = connect_event(connection_id, headers=headers, query=query)
    event["type"] = "REQUEST"
    event["methodArn"] = f"arn:aws:execute-api:us-east-1:123456789012:{API_ID}/prod/$connect"
    event["stageVariables"] = {}
    return event
