"""The dev server behind ``eventual local``: the service's sockets on one local port, behaving
like API Gateway (docs/architecture.md, "Local == cloud")."""

from eventual.local.limits import Limits
from eventual.local.server import DevServer

__all__ = ["DevServer", "Limits"]
