"""What a handler receives and what it may return."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeAlias

from eventual.records import Record, init_fields

if TYPE_CHECKING:
    from eventual.models import Model

Context: TypeAlias = dict[str, Any]
"""The per-request context: ``socket`` and ``service`` from the runtime, more from middleware."""

Payload: TypeAlias = "str | bytes | dict[str, Any] | list[Any] | Model"
"""Data a handler returns or ``send`` sends: text as is, bytes as is, dict/list or a model (a
pydantic model or dataclass instance, :mod:`eventual.models`) as JSON."""

_NO_EVENT: Mapping[str, Any] = {}
_set = object.__setattr__


class ConnectRequest(Record):
    """A client asks to connect (route ``$connect``). Header names are lower-cased."""

    __slots__ = ("connection_id", "event", "headers", "identity", "query", "request_id")
    _compared = ("connection_id", "query", "headers", "request_id", "identity")
    type: ClassVar[Literal["connect"]] = "connect"
    route_key: ClassVar[str] = "$connect"

    connection_id: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    request_id: str
    identity: Mapping[str, Any] | None
    event: Mapping[str, Any]
    """The API Gateway event as Lambda received it (or the dev server built it)."""

    def __init__(
        self,
        connection_id: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        request_id: str = "",
        identity: Mapping[str, Any] | None = None,
        event: Mapping[str, Any] = _NO_EVENT,
    ) -> None:
        init_fields(
            self,
            connection_id=connection_id,
            query=query,
            headers=headers,
            request_id=request_id,
            identity=identity,
            event=event,
        )


class DisconnectRequest(Record):
    """A connection closed (route ``$disconnect``); ``status_code``/``reason`` say how."""

    __slots__ = ("connection_id", "event", "identity", "reason", "request_id", "status_code")
    _compared = ("connection_id", "status_code", "reason", "request_id", "identity")
    type: ClassVar[Literal["disconnect"]] = "disconnect"
    route_key: ClassVar[str] = "$disconnect"

    connection_id: str
    status_code: int | None
    reason: str | None
    request_id: str
    identity: Mapping[str, Any] | None
    event: Mapping[str, Any]

    def __init__(
        self,
        connection_id: str,
        status_code: int | None = None,
        reason: str | None = None,
        request_id: str = "",
        identity: Mapping[str, Any] | None = None,
        event: Mapping[str, Any] = _NO_EVENT,
    ) -> None:
        init_fields(
            self,
            connection_id=connection_id,
            status_code=status_code,
            reason=reason,
            request_id=request_id,
            identity=identity,
            event=event,
        )


class MessageRequest(Record):
    """A client sent a message, to a message route of the socket's or to ``$default``.

    ``body`` is ``str`` for a text frame and ``bytes`` where the event carried it base64-encoded;
    ``route_key`` is the route it was selected for.
    """

    __slots__ = ("body", "connection_id", "event", "identity", "request_id", "route_key")
    _compared = ("connection_id", "body", "request_id", "identity", "route_key")
    type: ClassVar[Literal["message"]] = "message"

    connection_id: str
    body: str | bytes
    request_id: str
    identity: Mapping[str, Any] | None
    event: Mapping[str, Any]
    route_key: str

    def __init__(
        self,
        connection_id: str,
        body: str | bytes,
        request_id: str = "",
        identity: Mapping[str, Any] | None = None,
        event: Mapping[str, Any] = _NO_EVENT,
        route_key: str = "$default",
    ) -> None:
        # Every message builds one: direct assignments, not init_fields' keyword loop.
        _set(self, "connection_id", connection_id)
        _set(self, "body", body)
        _set(self, "request_id", request_id)
        _set(self, "identity", identity)
        _set(self, "event", event)
        _set(self, "route_key", route_key)


SocketRequest: TypeAlias = ConnectRequest | DisconnectRequest | MessageRequest


class SocketResponse(Record):
    """An explicit answer: a status code, an optional message and, from ``$connect``, headers.

    From ``$connect`` a status of 400 or more rejects the connection, and a 2xx with
    ``headers={"Sec-WebSocket-Protocol": "chat.v1"}`` selects the subprotocol the client asked
    for; from a message route the message is sent back to the caller.
    """

    __slots__ = ("headers", "message", "status")
    _compared = ("status", "message", "headers")

    status: int
    message: Payload | None
    headers: Mapping[str, str]

    def __init__(
        self, status: int = 200, message: Payload | None = None, headers: Mapping[str, str] | None = None
    ) -> None:
        init_fields(self, status=status, message=message, headers=dict(headers or {}))
