"""The events of the dev server's connections, built by the runtime's own API Gateway contract
(:mod:`eventual.runtime.apigateway`), so handlers see locally exactly the fields they read in the
cloud. What this module adds is what API Gateway fills in: ids, times and forwarded headers.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from eventual.runtime import gateway_events
from eventual.runtime.apigateway import Caller, Stage

if TYPE_CHECKING:
    from eventual.runtime.apigateway import AuthorizerEvent, WebSocketEvent


def new_id() -> str:
    """An id shaped like API Gateway's connection and request ids (``L0SM9cOFvHcCIhw=``): 16
    URL-safe base64 characters ending in ``=``, from :mod:`secrets` (a handler that seeds
    ``random`` cannot make them repeat, and no one can guess another connection's id)."""
    try:
        return next(_ids)  # atomic under the GIL: no lock on the path of every event
    except StopIteration:
        return _refill()


def _refill() -> str:
    global _ids
    with _lock:
        raw = secrets.token_bytes(11 * _BATCH)  # one system call per batch of ids
        ids = [base64.urlsafe_b64encode(raw[i : i + 11]).decode("ascii") for i in range(0, len(raw), 11)]
        _ids = iter(ids[1:])
    return ids[0]


_BATCH = 256
_lock = threading.Lock()
_ids: Iterator[str] = iter(())


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def new_caller(source_ip: str, user_agent: str) -> Caller:
    """A connection that has just asked to connect."""
    return Caller(new_id(), source_ip, user_agent, now_ms())


def with_identity(caller: Caller, identity: dict[str, object]) -> Caller:
    """The same connection, as its authorizer identified it."""
    return Caller(caller.connection_id, caller.source_ip, caller.user_agent, caller.connected_at, identity)


class EventFactory:
    """Builds the events of one dev server's stage."""

    def __init__(self, domain_name: str, *, server_port: int) -> None:
        self.stage = Stage(domain_name)
        self.server_port = server_port

    def connect(self, caller: Caller, headers: Iterable[tuple[str, str]], query: str) -> WebSocketEvent:
        """``$connect``: the upgrade request's headers and query, plus what API Gateway adds."""
        return gateway_events.connect_event(
            self.stage,
            caller,
            headers=self._headers(caller, headers),
            query=parse_qsl(query, keep_blank_values=True),
            request_id=new_id(),
        )

    def authorizer(self, caller: Caller, headers: Iterable[tuple[str, str]], query: str) -> AuthorizerEvent:
        """The REQUEST authorizer's input for the same upgrade request."""
        return gateway_events.authorizer_event(
            self.stage,
            caller,
            headers=self._headers(caller, headers),
            query=parse_qsl(query, keep_blank_values=True),
            request_id=new_id(),
        )

    def message(self, caller: Caller, body: str | bytes, route_key: str = "$default") -> WebSocketEvent:
        return gateway_events.message_event(
            self.stage,
            caller,
            body,
            request_id=new_id(),
            message_id=new_id(),
            at=now_ms(),
            route_key=route_key,
        )

    def disconnect(self, caller: Caller, status_code: int, reason: str) -> WebSocketEvent:
        return gateway_events.disconnect_event(
            self.stage, caller, status_code=status_code, reason=reason, request_id=new_id(), at=now_ms()
        )

    def _headers(self, caller: Caller, sent: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """The client's headers, with API Gateway's ``X-Forwarded-*`` in place of any it sent."""
        kept = [(name, value) for name, value in sent if name.lower() not in _FORWARDED]
        return [
            *kept,
            ("X-Forwarded-For", caller.source_ip),
            ("X-Forwarded-Port", str(self.server_port)),
            ("X-Forwarded-Proto", "http"),
        ]


_FORWARDED = frozenset({"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"})
