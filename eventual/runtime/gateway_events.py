"""Writing API Gateway's WebSocket events: the inverse of :func:`eventual.runtime.apigateway.
request_from_event`, for the dev server, the test client and the tests.

Reached as ``eventual.runtime.apigateway.connect_event`` (and so on), which loads this module on
first use: a Lambda function only reads events, and compiling the writers would cost each cold
start (docs/architecture.md, "Cold start").
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from eventual.records import Record, init_fields

if TYPE_CHECKING:
    from eventual.runtime.shapes import AuthorizerEvent, RequestContext, WebSocketEvent


class Stage(Record):
    """The deployed stage an event comes through: ``wss://{domain_name}/{stage}``."""

    __slots__ = ("account", "api_id", "domain_name", "region", "stage")
    _compared = ("domain_name", "stage", "api_id", "region", "account")

    domain_name: str
    """``{api_id}.execute-api.{region}.amazonaws.com`` in the cloud, ``host:port`` locally."""
    stage: str
    api_id: str
    region: str
    account: str

    def __init__(
        self,
        domain_name: str,
        stage: str = "local",
        api_id: str = "local",
        region: str = "us-east-1",
        account: str = "000000000000",
    ) -> None:
        init_fields(self, domain_name=domain_name, stage=stage, api_id=api_id, region=region, account=account)


class Caller(Record):
    """What API Gateway knows of one connection and puts in each of its events."""

    __slots__ = ("connected_at", "connection_id", "identity", "source_ip", "user_agent")
    _compared = ("connection_id", "source_ip", "user_agent", "connected_at", "identity")

    connection_id: str
    source_ip: str
    user_agent: str
    connected_at: int
    """Epoch milliseconds."""
    identity: dict[str, Any] | None
    """``requestContext.authorizer`` (sockets with an authorizer)."""

    def __init__(
        self,
        connection_id: str,
        source_ip: str,
        user_agent: str,
        connected_at: int,
        identity: dict[str, Any] | None = None,
    ) -> None:
        init_fields(
            self,
            connection_id=connection_id,
            source_ip=source_ip,
            user_agent=user_agent,
            connected_at=connected_at,
            identity=identity,
        )


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def request_time(epoch_ms: int) -> str:
    """``09/Feb/2024:18:11:43 +0000``, API Gateway's ``requestTime`` (locale-independent)."""
    global _last_time
    second = epoch_ms // 1000
    cached = _last_time
    if cached[0] == second:  # events come many to a second: format each second once
        return cached[1]
    import time

    t = time.gmtime(second)
    day = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}"
    text = f"{day}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    _last_time = (second, text)  # one tuple: threads read a consistent pair
    return text


_last_time: tuple[int, str] = (-1, "")
_EVENT_TYPES = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}


def request_context(
    stage: Stage,
    caller: Caller,
    route_key: str,
    *,
    request_id: str,
    at: int,
) -> RequestContext:
    """The ``requestContext`` every WebSocket event carries."""
    event_type = _EVENT_TYPES.get(route_key, "MESSAGE")
    context: RequestContext = {
        "routeKey": route_key,
        "eventType": event_type,  # type: ignore[typeddict-item]
        "extendedRequestId": request_id,
        "requestTime": request_time(at),
        "messageDirection": "IN",
        "stage": stage.stage,
        "connectedAt": caller.connected_at,
        "requestTimeEpoch": at,
        "identity": {"sourceIp": caller.source_ip, "userAgent": caller.user_agent},
        "requestId": request_id,
        "domainName": stage.domain_name,
        "connectionId": caller.connection_id,
        "apiId": stage.api_id,
    }
    if caller.identity is not None:
        context["authorizer"] = caller.identity
    return context


def connect_event(
    stage: Stage,
    caller: Caller,
    *,
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]] = (),
    request_id: str,
) -> WebSocketEvent:
    """``$connect``: the upgrade request's headers (as sent, repeats kept) and query pairs.

    API Gateway leaves both query keys out when there is no query string; the single-value maps
    keep the last of repeated names.
    """
    multi_headers: dict[str, list[str]] = {}
    for name, value in headers:
        multi_headers.setdefault(name, []).append(value)
    event: WebSocketEvent = {
        "headers": {name: values[-1] for name, values in multi_headers.items()},
        "multiValueHeaders": multi_headers,
        "requestContext": request_context(
            stage, caller, "$connect", request_id=request_id, at=caller.connected_at
        ),
        "isBase64Encoded": False,
    }
    multi_query: dict[str, list[str]] = {}
    for name, value in query:
        multi_query.setdefault(name, []).append(value)
    if multi_query:
        event["queryStringParameters"] = {name: values[-1] for name, values in multi_query.items()}
        event["multiValueQueryStringParameters"] = multi_query
    return event


def authorizer_event(
    stage: Stage,
    caller: Caller,
    *,
    headers: Iterable[tuple[str, str]],
    query: Iterable[tuple[str, str]] = (),
    request_id: str,
) -> AuthorizerEvent:
    """The REQUEST authorizer's input: the ``$connect`` event plus ``type`` and ``methodArn``."""
    event: AuthorizerEvent = {
        **connect_event(stage, caller, headers=headers, query=query, request_id=request_id),
        "type": "REQUEST",
        "methodArn": (
            f"arn:aws:execute-api:{stage.region}:{stage.account}:{stage.api_id}/{stage.stage}/$connect"
        ),
        "stageVariables": {},
    }
    return event


def message_event(
    stage: Stage,
    caller: Caller,
    body: str | bytes,
    *,
    request_id: str,
    message_id: str,
    at: int,
    route_key: str = "$default",
) -> WebSocketEvent:
    """A message; a ``bytes`` body travels base64-encoded with ``isBase64Encoded``."""
    context = request_context(stage, caller, route_key, request_id=request_id, at=at)
    context["messageId"] = message_id
    if isinstance(body, bytes):
        encoded = binascii.b2a_base64(body, newline=False).decode("ascii")
        return {"requestContext": context, "body": encoded, "isBase64Encoded": True}
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def disconnect_event(
    stage: Stage,
    caller: Caller,
    *,
    status_code: int,
    reason: str,
    request_id: str,
    at: int,
) -> WebSocketEvent:
    """``$disconnect``, with the close code and reason API Gateway reports."""
    context = request_context(stage, caller, "$disconnect", request_id=request_id, at=at)
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    headers = {"Host": stage.domain_name, "X-Forwarded-For": caller.source_ip}
    return {
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "requestContext": context,
        "isBase64Encoded": False,
    }
