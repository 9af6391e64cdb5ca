"""eventual: WebSocket endpoints in plain Python, deployed to API Gateway, run locally alike.

This module imports nothing heavy: it is what ships to Lambda.
"""

from eventual.errors import (
    ConfigurationError,
    ConnectionGone,
    DuplicateSocketError,
    EventualError,
    MiddlewareError,
    PayloadTooLarge,
    SocketNotDeployed,
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

__version__ = "0.1.0"

__all__ = [
    "ConfigurationError",
    "ConnectRequest",
    "ConnectionGone",
    "Context",
    "DisconnectRequest",
    "DuplicateSocketError",
    "EventualError",
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
    "__version__",
    "socket",
]
