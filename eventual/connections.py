"""The values ``Socket.connections()`` and ``Socket.connection_info()`` return: plain dicts,
JSON-ready, so a handler can return or send them as they are.

Import these types for annotations (``from eventual.connections import Connection``). The
runtime never imports this module: creating a ``TypedDict`` compiles each field's annotation,
which would cost every Lambda cold start (docs/architecture.md, "Cold start"); ``sockets.py``
and the runtime name them under ``TYPE_CHECKING`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict


class Connection(TypedDict):
    """One tracked connection of a socket, as recorded at ``$connect``."""

    connectionId: str
    identity: Mapping[str, Any] | None
    """What the socket's authorizer returned, as API Gateway passes it to ``$connect``
    (``requestContext.authorizer``: the identity's values as strings, plus ``principalId``;
    without API Gateway's ``integrationLatency``); ``None`` on a socket without an authorizer."""
    connectedAt: int
    """Epoch milliseconds, API Gateway's ``requestContext.connectedAt``."""


class ConnectionInfo(TypedDict):
    """API Gateway's record of one open connection (the management API's ``GetConnection``)."""

    connectionId: str
    connectedAt: int
    """Epoch milliseconds."""
    lastActiveAt: int
    """Epoch milliseconds of the connection's last message, in either direction."""
    sourceIp: str
    userAgent: str
