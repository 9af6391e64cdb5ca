"""API Gateway's WebSocket event and Lambda response shapes, as ``TypedDict``s.

For the type checker, and for users who annotate with them: the runtime imports this module only
under ``TYPE_CHECKING``, since creating ``TypedDict``s at import compiles every field's annotation,
which would cost each Lambda cold start a few milliseconds (docs/architecture.md, "Cold start").
:mod:`eventual.runtime.apigateway` reads and writes these shapes.
"""

from __future__ import annotations

from typing import Any, Literal, Required, TypedDict


class CallerIdentity(TypedDict, total=False):
    sourceIp: str
    userAgent: str


class RequestContext(TypedDict, total=False):
    """``event["requestContext"]`` of a WebSocket route's Lambda proxy integration."""

    routeKey: Required[str]
    eventType: Literal["CONNECT", "MESSAGE", "DISCONNECT"]
    connectionId: Required[str]
    requestId: str
    extendedRequestId: str
    messageId: str
    requestTime: str
    requestTimeEpoch: int
    connectedAt: int
    messageDirection: Literal["IN"]
    stage: str
    domainName: str
    apiId: str
    identity: CallerIdentity
    authorizer: dict[str, Any]
    """The authorizer's context (values as strings) plus ``principalId`` and ``integrationLatency``."""
    disconnectStatusCode: int
    disconnectReason: str


class WebSocketEvent(TypedDict, total=False):
    """The event of a ``$connect``, ``$disconnect`` or message route."""

    requestContext: Required[RequestContext]
    headers: dict[str, str]
    multiValueHeaders: dict[str, list[str]]
    queryStringParameters: dict[str, str] | None
    multiValueQueryStringParameters: dict[str, list[str]] | None
    body: str
    isBase64Encoded: bool


class AuthorizerEvent(WebSocketEvent, total=False):
    """A Lambda REQUEST authorizer's input for a WebSocket ``$connect``."""

    type: Literal["REQUEST"]
    methodArn: str
    stageVariables: dict[str, str]


class LambdaResponse(TypedDict, total=False):
    """What a route's Lambda returns; ``body`` is the route response a message route sends back."""

    statusCode: Required[int]
    body: str
    isBase64Encoded: bool
    headers: dict[str, str]
