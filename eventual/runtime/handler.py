"""The Lambda entry points: ``eventual.runtime.handler.handle`` (the socket's routes) and
``eventual.runtime.handler.authorize`` (its ``$connect`` authorizer).

The first invocation of a fresh environment (the cold start) reads the function's configuration
(:mod:`eventual.runtime.environment`), imports the entry module once and keeps the socket and its
deployment for every later invocation. The deployment is also the process's default, so threads a
handler starts reach the socket's connections too.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eventual.deployment import Deployment, set_process_default
from eventual.errors import AuthorizationDenied, ConfigurationError
from eventual.runtime.apigateway import MalformedEvent
from eventual.runtime.dispatch import dispatch, log_failure, refuse
from eventual.runtime.environment import FunctionConfiguration, configuration_from
from eventual.sockets import Socket, set_declaration_checks, sockets_of

if TYPE_CHECKING:
    from eventual.runtime.apigateway import LambdaResponse

_loaded: tuple[Socket, Deployment] | None = None
_ASSET_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
"""Where the asset unpacks (``/var/task``): ``eventual/`` and the service's package are in it."""


def handle(event: Mapping[str, Any], context: Any = None) -> LambdaResponse:
    """Lambda handler for every route of the socket named by ``EVENTUAL_SOCKET_NAME``."""
    sock, deployment = _loaded or _cold_start()
    return dispatch(sock, event, deployment, lambda_context=context)


def authorize(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda REQUEST authorizer for the ``$connect`` route of the configured socket.

    Allow: a policy whose ``context`` is the identity. Forbidden: a Deny policy (403).
    Unauthorized: the ``Unauthorized`` error API Gateway turns into 401.
    """
    # Only the authorizer's own function pays for importing it.
    from eventual.runtime.authorizer import (
        AuthorizerResultTooLarge,
        check_result_size,
        deny_policy,
        policy,
        request_from_authorizer_event,
    )
    from eventual.runtime.authorizer import authorize as run_authorizer

    sock, deployment = _loaded or _cold_start()
    try:
        request = request_from_authorizer_event(event)
    except MalformedEvent as problem:
        # The authorizer's failure is API Gateway's 500 AUTHORIZER_CONFIGURATION_ERROR answer.
        refuse(sock, event, problem, context, response={"statusCode": 500, "body": '{"message":null}'})
        raise Exception("Internal server error") from None
    try:
        with deployment.activate():
            identity = run_authorizer(sock, request)
    except AuthorizationDenied as denied:
        if denied.status == 403:
            return deny_policy(event, denied)
        # API Gateway answers 401 exactly when the authorizer fails with this message.
        raise Exception("Unauthorized") from None
    answer = policy(event, identity)
    try:
        check_result_size(answer)
    except AuthorizerResultTooLarge as error:
        # API Gateway would refuse it with 500 and say nothing: say why here, and fail as it would.
        log_failure(sock, event, error, context, what="authorizer")
        raise Exception("Internal server error") from None
    return answer


def _cold_start() -> tuple[Socket, Deployment]:
    global _loaded
    configuration = configuration_from(os.environ)
    _loaded = load_socket(configuration), configuration.deployment
    set_process_default(configuration.deployment)
    return _loaded


def load_socket(configuration: FunctionConfiguration) -> Socket:
    """Import the entry module and pick the configured socket; say exactly what is missing."""
    entry, name = configuration.entry, configuration.socket_name
    # Declaration checks ran at synth; here their `inspect` would only cost the cold start.
    checks_were = set_declaration_checks(False)
    try:
        importlib.import_module(entry)
    except ImportError as error:
        raise ConfigurationError(f"cannot import entry module {entry!r}: {error}") from error
    finally:
        set_declaration_checks(checks_were)
    sockets = sockets_of(entry)
    if name not in sockets:
        known = ", ".join(sockets) or "none"
        raise ConfigurationError(f"module {entry!r} declares no socket named {name!r} (it declares: {known})")
    return sockets[name]


_asyncapi: str | None = None


def service_document(event: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda handler behind the HTTP API's ``GET /`` and ``GET /__eventual/service`` (the service
    document the construct wrote, :mod:`eventual.service_document`) and
    ``GET /__eventual/asyncapi.json`` (the AsyncAPI document synth put in the asset, at the
    service's URLs: built once per container, never pydantic)."""
    global _asyncapi
    from eventual.runtime.environment import service_document_from
    from eventual.service_document import ASYNCAPI_PATH, HEADERS, asyncapi_text

    document = service_document_from(os.environ)
    if (event or {}).get("rawPath") != ASYNCAPI_PATH:
        return {"statusCode": 200, "headers": HEADERS, "body": document}
    if _asyncapi is None:
        _asyncapi = asyncapi_text(document, _ASSET_ROOT)
    if _asyncapi is None:
        body = '{"message":"this deployment has no AsyncAPI document: deploy it again"}'
        return {"statusCode": 404, "headers": HEADERS, "body": body}
    return {"statusCode": 200, "headers": HEADERS, "body": _asyncapi}
