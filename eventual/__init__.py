"""eventual: WebSocket endpoints in plain Python, deployed to API Gateway, run locally alike.

This module imports nothing heavy: it is what ships to Lambda.
"""

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
from eventual.sockets import BroadcastResult, Socket, SocketChain, SocketOptions, socket

__version__ = "0.1.0"

__all__ = [
    "AuthorizationDenied",
    "BroadcastResult",
    "ConfigurationError",
    "ConnectRequest",
    "ConnectionGone",
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
    "socket",
]
