"""What a handler receives and what it may return."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

Context: TypeAlias = dict[str, Any]
"""The per-request context: ``socket`` and ``service`` from the runtime, more from middleware."""

Payload: TypeAlias = str | bytes | dict[str, Any] | list[Any]
"""Data a handler returns or ``send`` sends: text as is, bytes as is, dict/list as JSON."""


@dataclass(frozen=True, slots=True)
class ConnectRequest:
    """A client asks to connect (route ``$connect``). Header names are lower-cased."""

    connection_id: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    request_id: str = ""
    identity: Mapping[str, Any] | None = None
    event: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    type: Literal["connect"] = "connect"


@dataclass(frozen=True, slots=True)
class DisconnectRequest:
    """A connection closed (route ``$disconnect``); ``status_code``/``reason`` say how."""

    connection_id: str
    status_code: int | None = None
    reason: str | None = None
    request_id: str = ""
    identity: Mapping[str, Any] | None = None
    event: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    type: Literal["disconnect"] = "disconnect"


@dataclass(frozen=True, slots=True)
class MessageRequest:
    """A client sent a message (route ``$default``).

    ``body`` is ``str`` for a text frame and ``bytes`` where the event carried it base64-encoded.
    """

    connection_id: str
    body: str | bytes
    request_id: str = ""
    identity: Mapping[str, Any] | None = None
    event: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    type: Literal["message"] = "message"


SocketRequest: TypeAlias = ConnectRequest | DisconnectRequest | MessageRequest


@dataclass(frozen=True, slots=True)
class SocketResponse:
    """An explicit answer: a status code and an optional message.

    From ``$connect`` a status of 400 or more rejects the connection; from ``$default`` the
    message is sent back to the caller.
    """

    status: int = 200
    message: Payload | None = None
