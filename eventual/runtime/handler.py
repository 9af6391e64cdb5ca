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

from eventual.errors import AuthorizationDenied, ConfigurationError
from eventual.runtime.authorizer import (
    authorize as run_authorizer,
)
from eventual.runtime.authorizer import (
    deny_policy,
    policy,
    request_from_authorizer_event,
)
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


def authorize(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda REQUEST authorizer for the ``$connect`` route of the configured socket.

    Allow: a policy whose ``context`` is the identity. Forbidden: a Deny policy (403).
    Unauthorized: the ``Unauthorized`` error API Gateway turns into 401.
    """
    global _loaded
    if _loaded is None:
        _loaded = load_socket(os.environ)
    sock = _loaded[0]
    request = request_from_authorizer_event(event)
    try:
        identity = run_authorizer(sock, request)
    except AuthorizationDenied as denied:
        if denied.status == 403:
            return deny_policy(event, denied)
        # API Gateway answers 401 exactly when the authorizer fails with this message.
        raise Exception("Unauthorized") from None
    return policy(event, identity)


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
