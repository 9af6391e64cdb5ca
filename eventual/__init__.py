"""eventual: WebSocket endpoints in plain Python, deployed to API Gateway, run locally alike.

This module imports nothing heavy: it is what ships to Lambda.
"""

from typing import TYPE_CHECKING, Any

from eventual.errors import (
    AuthorizationDenied,
    ConfigurationError,
    ConnectionGone,
    DuplicateSocketError,
    EventualError,
    Forbidden,
    MiddlewareError,
    PayloadTooLarge,
    SocketNotDeployed,
    Unauthorized,
)
from eventual.requests import (
    ConnectRequest,
    Context,
    DisconnectRequest,
    MessageRequest,
    Payload,
    SocketRequest,
    SocketResponse,
)
from eventual.sockets import Socket, SocketChain, SocketOptions, socket

if TYPE_CHECKING:
    from eventual.broadcast import BroadcastResult
    from eventual.connections import Connection, ConnectionInfo
    from eventual.typed import route

__version__ = "0.1.0"

__all__ = [
    "AuthorizationDenied",
    "BroadcastResult",
    "ConfigurationError",
    "ConnectRequest",
    "Connection",
    "ConnectionGone",
    "ConnectionInfo",
    "Context",
    "DisconnectRequest",
    "DuplicateSocketError",
    "EventualError",
    "Forbidden",
    "MessageRequest",
    "MiddlewareError",
    "Payload",
    "PayloadTooLarge",
    "Socket",
    "SocketChain",
    "SocketNotDeployed",
    "SocketOptions",
    "SocketRequest",
    "SocketResponse",
    "Unauthorized",
    "__version__",
    "route",
    "socket",
]


def __getattr__(name: str) -> Any:
    """Types on first use, not at every Lambda cold start (docs/architecture.md, "Cold start"):
    ``Connection``/``ConnectionInfo`` are ``TypedDict``s, ``BroadcastResult`` lives with the
    broadcast's thread pool, ``route`` with typed messages (only typed sockets load it)."""
    if name in ("Connection", "ConnectionInfo"):
        import eventual.connections

        return getattr(eventual.connections, name)
    if name == "BroadcastResult":
        import eventual.broadcast

        return eventual.broadcast.BroadcastResult
    if name == "route":
        import eventual.typed

        return eventual.typed.route
    raise AttributeError(f"module 'eventual' has no attribute {name!r}")
