"""The Lambda entry point: ``eventual.runtime.handler.handle``.

Configured by environment (set by the ``Service`` construct):
``EVENTUAL_SERVICE_NAME``, ``EVENTUAL_SOCKET_NAME``, ``EVENTUAL_ENTRY`` (the module that
declares the service's sockets, imported once per cold start) and ``EVENTUAL_SOCKET_URLS``.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import Any

from eventual.errors import ConfigurationError
from eventual.runtime.dispatch import dispatch
from eventual.runtime.events import LambdaResponse
from eventual.sockets import Socket, sockets_of

_loaded: tuple[Socket, str] | None = None


def handle(event: Mapping[str, Any], context: Any = None) -> LambdaResponse:
    """Lambda handler for all three routes of the socket named by ``EVENTUAL_SOCKET_NAME``."""
    global _loaded
    if _loaded is None:
        _loaded = load_socket(os.environ)
    sock, service = _loaded
    return dispatch(sock, event, service=service, lambda_context=context)


def load_socket(environ: Mapping[str, str]) -> tuple[Socket, str]:
    """Import the entry module and pick the configured socket; say exactly what is missing."""
    name = environ.get("EVENTUAL_SOCKET_NAME")
    if not name:
        raise ConfigurationError("EVENTUAL_SOCKET_NAME is not set: which socket should this function serve?")
    entry = environ.get("EVENTUAL_ENTRY")
    if not entry:
        raise ConfigurationError("EVENTUAL_ENTRY is not set: which module declares the sockets?")
    try:
        importlib.import_module(entry)
    except ImportError as error:
        raise ConfigurationError(f"cannot import EVENTUAL_ENTRY module {entry!r}: {error}") from error
    sockets = sockets_of(entry)
    if name not in sockets:
        known = ", ".join(sockets) or "none"
        raise ConfigurationError(f"module {entry!r} declares no socket named {name!r} (it declares: {known})")
    return sockets[name], environ.get("EVENTUAL_SERVICE_NAME", "")
