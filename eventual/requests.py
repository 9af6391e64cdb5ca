"""What a handler receives and what it may return."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal, TypeAlias

from eventual.records import Record, init_fields

Context: TypeAlias = dict[str, Any]
"""The per-request context: ``socket`` and ``service`` from the runtime, more from middleware."""

Payload: TypeAlias = str | bytes | dict[str, Any] | list[Any]
"""Data a handler returns or ``send`` sends: text as is, bytes as is, dict/list as JSON."""

_NO_EVENT: Mapping[str, Any] = {}


class ConnectRequest(Record):
    """A client asks to connect (route ``$connect``). Header names are lower-cased."""

    __slots__ = ("connection_id", "event", "headers", "identity", "query", "request_id")
    _compared = ("connection_id", "query", "headers", "request_id", "identity")
    type: ClassVar[Literal["connect"]] = "connect"

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
    """A client sent a message (route ``$default``).

    ``body`` is ``str`` for a text frame and ``bytes`` where the event carried it base64-encoded.
    """

    __slots__ = ("body", "connection_id", "event", "identity", "request_id")
    _compared = ("connection_id", "body", "request_id", "identity")
    type: ClassVar[Literal["message"]] = "message"

    connection_id: str
    body: str | bytes
    request_id: str
    identity: Mapping[str, Any] | None
    event: Mapping[str, Any]

    def __init__(
        self,
        connection_id: str,
        body: str | bytes,
        request_id: str = "",
        identity: Mapping[str, Any] | None = None,
        event: Mapping[str, Any] = _NO_EVENT,
    ) -> None:
        init_fields(
            self,
            connection_id=connection_id,
            body=body,
            request_id=request_id,
            identity=identity,
            event=event,
        )


SocketRequest: TypeAlias = ConnectRequest | DisconnectRequest | MessageRequest


class SocketResponse(Record):
    """An explicit answer: a status code and an optional message.

    From ``$connect`` a status of 400 or more rejects the connection; from ``$default`` the
    message is sent back to the caller.
    """

    __slots__ = ("message", "status")
    _compared = ("status", "message")

    status: int
    message: Payload | None

    def __init__(self, status: int = 200, message: Payload | None = None) -> None:
        init_fields(self, status=status, message=message)
