"""Exceptions users of eventual may catch."""

from __future__ import annotations


class EventualError(Exception):
    """Base class of every error eventual raises on purpose."""


class ConnectionGone(EventualError):
    """The connection is closed (API Gateway answered 410 GoneException)."""

    def __init__(self, connection_id: str) -> None:
        super().__init__(f"connection {connection_id!r} is gone")
        self.connection_id = connection_id


class PayloadTooLarge(EventualError, ValueError):
    """A message is larger than API Gateway's 128 KB WebSocket payload limit."""


class MiddlewareError(EventualError):
    """A middleware broke the chain's rules (for example it called ``next`` twice)."""


class ConfigurationError(EventualError):
    """The runtime environment does not describe a usable socket."""


class DuplicateSocketError(ConfigurationError):
    """A service has two sockets of one name (docs/architecture.md, "A service's sockets")."""


class SocketNotDeployed(EventualError):
    """A socket has no URL: the code runs outside a deployed service and outside ``eventual local``."""


class AuthorizationDenied(EventualError):
    """Raised by an authorizer to refuse a connection; ``status`` is what the client sees."""

    status = 401

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.__class__.__name__)
        self.message = message


class Unauthorized(AuthorizationDenied):
    """The caller is not identified (HTTP 401): no or bad credentials."""

    status = 401


class Forbidden(AuthorizationDenied):
    """The caller is identified but may not connect (HTTP 403)."""

    status = 403
