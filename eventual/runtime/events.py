"""API Gateway WebSocket events in, handler requests out; handler results in, Lambda responses out."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from eventual.middleware import EventType
from eventual.requests import (
    ConnectRequest,
    DisconnectRequest,
    MessageRequest,
    SocketRequest,
    SocketResponse,
)
from eventual.runtime.payload import json_dumps
from eventual.sockets import ROUTES

LambdaResponse = dict[str, Any]

_EMPTY: Mapping[str, Any] = {}


def event_type_of(event: Mapping[str, Any]) -> EventType:
    """The event type of an event; a route key other than $connect/$disconnect is a message,
    as API Gateway sends unmatched routes to ``$default``."""
    return ROUTES.get(event.get("requestContext", _EMPTY).get("routeKey", ""), "message")


def request_from_event(event_type: EventType, event: Mapping[str, Any]) -> SocketRequest:
    """Build the handler's request from a real API Gateway WebSocket event."""
    rc = event.get("requestContext") or _EMPTY
    connection_id = rc.get("connectionId", "")
    request_id = rc.get("requestId", "")
    identity = rc.get("authorizer") or None
    if event_type == "message":
        body = event.get("body")
        if body is None:
            body = ""
        elif event.get("isBase64Encoded"):
            body = base64.b64decode(body)
        return MessageRequest(connection_id, body, request_id, identity, event)
    if event_type == "connect":
        headers = event.get("headers") or _EMPTY
        return ConnectRequest(
            connection_id,
            dict(event.get("queryStringParameters") or _EMPTY),
            {name.lower(): value for name, value in headers.items()},
            request_id,
            identity,
            event,
        )
    return DisconnectRequest(
        connection_id,
        rc.get("disconnectStatusCode"),
        rc.get("disconnectReason"),
        request_id,
        identity,
        event,
    )


def response_for(event_type: EventType, result: Any) -> LambdaResponse:
    """The Lambda response for a handler's result.

    ``$connect``: ``None`` (or anything not a ``SocketResponse``) accepts with 200.
    ``$default``: the value becomes the route response's body. ``$disconnect``: always 200.
    """
    if isinstance(result, SocketResponse):
        if event_type == "disconnect":
            return {"statusCode": 200}
        return _with_body(result.status, result.message)
    if event_type == "message" and result is not None:
        return _with_body(200, result)
    return {"statusCode": 200}


def error_response(event_type: EventType, connection_id: str, request_id: str) -> LambdaResponse:
    """What API Gateway itself sends when an integration fails, so the client sees the same."""
    body = {
        "message": "Internal server error",
        "connectionId": connection_id,
        "requestId": request_id,
    }
    return {"statusCode": 500, "body": json_dumps(body)}


def _with_body(status: int, message: Any) -> LambdaResponse:
    if message is None:
        return {"statusCode": status}
    if isinstance(message, str):
        return {"statusCode": status, "body": message}
    if isinstance(message, bytes | bytearray | memoryview):
        encoded = base64.b64encode(bytes(message)).decode("ascii")
        return {"statusCode": status, "body": encoded, "isBase64Encoded": True}
    if isinstance(message, dict | list):
        return {"statusCode": status, "body": json_dumps(message)}
    raise TypeError(
        f"a handler returned {type(message).__name__}; return str, bytes, dict, list, SocketResponse or None"
    )
