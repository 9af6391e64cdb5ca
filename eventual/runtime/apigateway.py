"""The API Gateway WebSocket contract, in one module and both directions.

What Lambda receives and returns, as the API Gateway Developer Guide documents it ("Working
with routes for WebSocket APIs", the Lambda proxy integration input of WebSocket routes,
"Setting up a WebSocket API route response" and "Lambda REQUEST authorizer" input):

- read: :func:`request_from_event` turns an event into the handler's request;
  :func:`response_for` and :func:`error_response` turn a handler's result into the response;
- written: ``connect_event``, ``message_event``, ``disconnect_event`` and ``authorizer_event``
  build events as API Gateway sends them (the dev server, the test client and the tests use
  them; defined in :mod:`eventual.runtime.gateway_events`, loaded on first use), and
  :func:`reply_of` reads back the message a response carries to the client.

The Lambda entry imports this module, so it keeps to what a cold start already has.
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eventual.payload import is_model, json_dumps
from eventual.requests import (
    ConnectRequest,
    DisconnectRequest,
    MessageRequest,
    SocketRequest,
    SocketResponse,
)
from eventual.routes import EventType, event_type_of

# The shapes, for the type checker only (eventual/runtime/shapes.py says why).
if TYPE_CHECKING:
    from eventual.runtime.gateway_events import Caller as Caller
    from eventual.runtime.gateway_events import Stage as Stage
    from eventual.runtime.gateway_events import authorizer_event as authorizer_event
    from eventual.runtime.gateway_events import connect_event as connect_event
    from eventual.runtime.gateway_events import disconnect_event as disconnect_event
    from eventual.runtime.gateway_events import message_event as message_event
    from eventual.runtime.gateway_events import request_context as request_context
    from eventual.runtime.gateway_events import request_time as request_time
    from eventual.runtime.shapes import AuthorizerEvent as AuthorizerEvent
    from eventual.runtime.shapes import CallerIdentity as CallerIdentity
    from eventual.runtime.shapes import LambdaResponse as LambdaResponse
    from eventual.runtime.shapes import RequestContext as RequestContext
    from eventual.runtime.shapes import WebSocketEvent as WebSocketEvent

_EMPTY: Mapping[str, Any] = {}

# -- reading events, writing responses (the Lambda side) -------------------------------------


class MalformedEvent(ValueError):
    """Not an event API Gateway sends a WebSocket route; the message names what is wrong."""


_MISSING: Any = object()
_EVENT_TYPE_OF = {"CONNECT": "connect", "MESSAGE": "message", "DISCONNECT": "disconnect"}
"""``requestContext.eventType`` as API Gateway sends it, and the event type of its route keys."""


def _malformed(where: str, value: object, expected: str) -> MalformedEvent:
    got = "missing" if value is _MISSING else f"{type(value).__name__} {value!r:.60}"
    return MalformedEvent(f"{where} is {got}; API Gateway sends {expected}")


def _is_map(value: object) -> bool:
    return type(value) is dict or isinstance(value, Mapping)  # Lambda's JSON gives dicts: fast


def _is_int(value: object) -> bool:
    """An int, or a subclass such as the dev server's ``CloseCode``; never a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _ids_problem(rc: Mapping[str, Any]) -> MalformedEvent | None:
    """Which id is wrong, and how; ``None`` where they are ``str`` subclasses, not ``str``."""
    for key in ("connectionId", "routeKey"):
        value = rc.get(key, _MISSING)
        if not isinstance(value, str) or not value:
            return _malformed(f"requestContext.{key}", value, "a non-empty string")
    request_id = rc.get("requestId", "")
    return (
        None
        if isinstance(request_id, str)
        else _malformed("requestContext.requestId", request_id, "a string")
    )


def request_from_event(event: Mapping[str, Any]) -> SocketRequest:
    """The handler's request for an API Gateway WebSocket event; :class:`MalformedEvent` for
    anything else, so nothing runs as ``$default`` by accident. Every event passes here: the
    checks are inline type tests, and only a failed one builds its message (``bench_runtime``)."""
    if type(event) is not dict and not isinstance(event, Mapping):
        raise _malformed("the event", event, "an object")
    rc = event.get("requestContext", _MISSING)
    if type(rc) is not dict and not _is_map(rc):
        raise _malformed("requestContext", rc, "an object")
    connection_id, route_key = rc.get("connectionId"), rc.get("routeKey")
    request_id = rc.get("requestId", "")
    if type(connection_id) is not str or type(route_key) is not str or type(request_id) is not str:
        problem = _ids_problem(rc)
        if problem is not None:
            raise problem
    if not (connection_id and route_key):
        raise _ids_problem(rc) or MalformedEvent("requestContext lacks an id")
    event_type = event_type_of(route_key)
    sent_type = rc.get("eventType", _MISSING)
    if not isinstance(sent_type, str) or _EVENT_TYPE_OF.get(sent_type) != event_type:
        expected = next(name for name, kind in _EVENT_TYPE_OF.items() if kind == event_type)
        raise _malformed("requestContext.eventType", sent_type, f"{expected!r} with route {route_key!r}")
    identity = rc.get("authorizer") or None
    if identity is not None and not _is_map(identity):
        raise _malformed("requestContext.authorizer", identity, "an object (the authorizer's context)")
    connected_at = rc.get("connectedAt")
    if connected_at is not None and type(connected_at) is not int and not _is_int(connected_at):
        raise _malformed("requestContext.connectedAt", connected_at, "an integer (epoch milliseconds)")
    if event_type == "message":
        body = event.get("body")
        encoded = event.get("isBase64Encoded", False)
        if type(body) is not str or encoded is not False:
            body = _body(body, encoded)
        return MessageRequest(connection_id, body, request_id, identity, event, route_key)
    if event_type == "connect":
        return ConnectRequest(
            connection_id,
            _pairs(event, "queryStringParameters"),
            _headers(event),
            request_id,
            identity,
            event,
        )
    status, reason = rc.get("disconnectStatusCode"), rc.get("disconnectReason")
    if status is not None and not _is_int(status):
        raise _malformed("requestContext.disconnectStatusCode", status, "an integer close code")
    if reason is not None and not isinstance(reason, str):
        raise _malformed("requestContext.disconnectReason", reason, "a string")
    return DisconnectRequest(connection_id, status, reason, request_id, identity, event)


def _body(body: object, encoded: object) -> str | bytes:  # absent, base64 or malformed
    if encoded is not None and type(encoded) is not bool:
        raise _malformed("isBase64Encoded", encoded, "a boolean")
    if body is None:
        return ""
    if not isinstance(body, str):
        raise _malformed("body", body, "a string (base64 for a binary message)")
    if not encoded:
        return body
    try:
        return binascii.a2b_base64(body, strict_mode=True)
    except ValueError as error:  # binascii.Error, or a plain ValueError for non-ASCII text
        raise MalformedEvent(f"body is not valid base64 ({error}), yet isBase64Encoded is true") from None


def _pairs(event: Mapping[str, Any], key: str) -> dict[str, str]:
    pairs = event.get(key) or _EMPTY
    if not _is_map(pairs) or any(not isinstance(v, str) for v in pairs.values()):
        raise _malformed(key, pairs, "an object of strings")
    return dict(pairs)


def _headers(event: Mapping[str, Any]) -> dict[str, str]:
    return {name.lower(): value for name, value in _pairs(event, "headers").items()}


def response_for(event_type: EventType, result: Any) -> LambdaResponse:
    """The Lambda response for a handler's result.

    ``$connect``: ``None`` (or anything not a ``SocketResponse``) accepts with 200; a
    ``SocketResponse``'s headers go back with it (``Sec-WebSocket-Protocol`` selects the
    subprotocol, "Set up a $connect route that requires a WebSocket subprotocol").
    A message route: the value becomes the route response's body. ``$disconnect``: always 200.
    """
    if isinstance(result, SocketResponse):
        if event_type == "disconnect":
            return {"statusCode": 200}
        response = _with_body(result.status, result.message)
        if event_type == "connect" and result.headers:
            response["headers"] = dict(result.headers)
        return response
    if event_type == "message" and result is not None:
        return _with_body(200, result)
    return {"statusCode": 200}


def error_response(connection_id: str, request_id: str) -> LambdaResponse:
    """What API Gateway itself sends when an integration fails, so the client sees the same."""
    body = {"message": "Internal server error", "connectionId": connection_id, "requestId": request_id}
    return {"statusCode": 500, "body": json_dumps(body)}


def no_route_message(connection_id: str, request_id: str) -> str:
    """What API Gateway sends a client whose message selects no route on an API without a
    ``$default`` route: an error message on the open connection ("If there is no matching route
    and no $default route, the service returns an error", Route selection expressions; the body
    as API Gateway's own samples show it)."""
    return json_dumps({"message": "Forbidden", "connectionId": connection_id, "requestId": request_id})


def _with_body(status: int, message: Any) -> LambdaResponse:
    if message is None:
        return {"statusCode": status}
    if isinstance(message, str):
        return {"statusCode": status, "body": message}
    if isinstance(message, bytes | bytearray | memoryview):
        encoded = binascii.b2a_base64(bytes(message), newline=False).decode("ascii")
        return {"statusCode": status, "body": encoded, "isBase64Encoded": True}
    if isinstance(message, dict | list) or is_model(message):
        return {"statusCode": status, "body": json_dumps(message)}
    raise TypeError(
        f"a handler returned {type(message).__name__}; return str, bytes, dict, list, a model "
        "(a pydantic model or dataclass instance), SocketResponse or None"
    )


def reply_of(response: Mapping[str, Any]) -> str | bytes | None:
    """The message a route response carries to the client: text, bytes (base64 in the
    response), or ``None`` for no body. The inverse of :func:`response_for`'s body."""
    body = response.get("body")
    if body is None or body == "":
        return None
    if response.get("isBase64Encoded"):
        return binascii.a2b_base64(body)
    return str(body)


# -- writing events (the dev server, the test client, the tests) ------------------------------
# In runtime/gateway_events.py, loaded on first use: a Lambda function never writes an event,
# and compiling the writers would cost its cold start.

_WRITERS = {"Stage", "Caller", "request_time", "request_context", "connect_event"}
_WRITERS |= {"authorizer_event", "message_event", "disconnect_event"}


def __getattr__(name: str) -> Any:
    if name in _WRITERS:
        from eventual.runtime import gateway_events

        return getattr(gateway_events, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
