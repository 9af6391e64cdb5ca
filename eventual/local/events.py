"""API-Gateway-shaped events for one socket's connections: what the dev server hands the runtime.

The shapes follow the Lambda proxy integration input of WebSocket routes, so handlers see locally
exactly the fields they read in the cloud.
"""

from __future__ import annotations

import base64
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

_ids = random.Random()
"""Its own generator: a handler that seeds ``random`` must not make ids repeat."""
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def new_id() -> str:
    """An id shaped like API Gateway's connection and request ids: 16 base64 characters ending
    in ``=`` (so ``+``, ``/`` and ``=`` get percent-encoded in management API paths, as in the
    cloud)."""
    return base64.b64encode(_ids.randbytes(11)).decode("ascii")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def request_time(epoch_ms: int) -> str:
    """``09/Feb/2024:18:11:43 +0000``, API Gateway's ``requestTime`` (locale-independent)."""
    t = time.gmtime(epoch_ms / 1000)
    day = f"{t.tm_mday:02d}/{_MONTHS[t.tm_mon - 1]}/{t.tm_year}"
    return f"{day}:{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"


@dataclass(slots=True)
class Peer:
    """What API Gateway knows about one connection."""

    connection_id: str
    source_ip: str
    user_agent: str
    connected_at: int = field(default_factory=now_ms)
    """Epoch milliseconds."""
    identity: dict[str, Any] | None = None
    """``requestContext.authorizer`` of the connection's events (sockets with an authorizer)."""


@dataclass(frozen=True, slots=True)
class EventFactory:
    """Builds the events of one socket's stage."""

    domain_name: str
    """``host:port`` of the dev server (the cloud's ``{apiId}.execute-api.{region}.amazonaws.com``)."""
    stage: str = "local"
    api_id: str = "local"

    def connect(
        self,
        peer: Peer,
        headers: Iterable[tuple[str, str]],
        query: str,
        *,
        server_port: int,
    ) -> dict[str, Any]:
        """``$connect``: the upgrade request's headers and query, plus what API Gateway adds."""
        multi_headers: dict[str, list[str]] = {}
        for name, value in headers:
            multi_headers.setdefault(name, []).append(value)
        multi_headers.update(
            {
                "X-Forwarded-For": [peer.source_ip],
                "X-Forwarded-Port": [str(server_port)],
                "X-Forwarded-Proto": ["http"],
            }
        )
        event: dict[str, Any] = {
            "headers": {name: values[-1] for name, values in multi_headers.items()},
            "multiValueHeaders": multi_headers,
            "requestContext": self._context(peer, "$connect", "CONNECT", peer.connected_at),
            "isBase64Encoded": False,
        }
        pairs = parse_qsl(query, keep_blank_values=True)
        if pairs:  # API Gateway leaves both keys out when there is no query string
            multi_query: dict[str, list[str]] = {}
            for name, value in pairs:
                multi_query.setdefault(name, []).append(value)
            event["queryStringParameters"] = {name: values[-1] for name, values in multi_query.items()}
            event["multiValueQueryStringParameters"] = multi_query
        return event

    def authorizer(
        self,
        peer: Peer,
        headers: Iterable[tuple[str, str]],
        query: str,
        *,
        server_port: int,
    ) -> dict[str, Any]:
        """The REQUEST authorizer's input: the ``$connect`` request, plus ``type`` and ``methodArn``."""
        event = self.connect(peer, headers, query, server_port=server_port)
        event["type"] = "REQUEST"
        event["methodArn"] = f"arn:aws:execute-api:us-east-1:000000000000:{self.api_id}/{self.stage}/$connect"
        event["stageVariables"] = {}
        return event

    def message(self, peer: Peer, body: str) -> dict[str, Any]:
        """A text message for ``$default`` (API Gateway accepts text frames only)."""
        context = self._context(peer, "$default", "MESSAGE", now_ms())
        context["messageId"] = new_id()
        return {"requestContext": context, "body": body, "isBase64Encoded": False}

    def disconnect(self, peer: Peer, status_code: int, reason: str) -> dict[str, Any]:
        """``$disconnect``, with the close code and reason API Gateway reports."""
        context = self._context(peer, "$disconnect", "DISCONNECT", now_ms())
        context["disconnectStatusCode"] = status_code
        context["disconnectReason"] = reason
        headers = {"Host": self.domain_name, "X-Forwarded-For": peer.source_ip}
        return {
            "headers": headers,
            "multiValueHeaders": {name: [value] for name, value in headers.items()},
            "requestContext": context,
            "isBase64Encoded": False,
        }

    def _context(self, peer: Peer, route_key: str, event_type: str, at: int) -> dict[str, Any]:
        request_id = new_id()
        context: dict[str, Any] = {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": request_id,
            "requestTime": request_time(at),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": peer.connected_at,
            "requestTimeEpoch": at,
            "identity": {"sourceIp": peer.source_ip, "userAgent": peer.user_agent},
            "requestId": request_id,
            "domainName": self.domain_name,
            "connectionId": peer.connection_id,
            "apiId": self.api_id,
        }
        if peer.identity is not None:
            context["authorizer"] = peer.identity
        return context
