"""One event through one socket: the path shared by Lambda, the dev server and the test client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eventual.deployment import Deployment
from eventual.middleware import is_awaitable
from eventual.requests import SocketRequest
from eventual.runtime.apigateway import error_response, request_from_event, response_for
from eventual.sockets import Socket

if TYPE_CHECKING:
    from eventual.runtime.apigateway import LambdaResponse


def dispatch(
    sock: Socket,
    event: Mapping[str, Any],
    deployment: Deployment,
    *,
    lambda_context: Any = None,
) -> LambdaResponse:
    """Run ``sock``'s middleware and handler for one API Gateway WebSocket event, with
    ``deployment`` current (what ``send``/``broadcast``/``connections`` reach).

    A handler exception never escapes: it is logged as one JSON line and answered the way
    API Gateway answers a failed integration (500, no traceback in the body).
    """
    request = request_from_event(event)
    with deployment.activate():
        try:
            result = _start(sock, request, deployment)
            if is_awaitable(result):
                from eventual.runtime.loop import run_awaitable

                result = run_awaitable(result)
            return _finish(sock, request, deployment, result)
        except Exception as error:
            log_failure(sock, event, error, lambda_context)
            return error_response(request.connection_id, request.request_id)


async def dispatch_async(sock: Socket, event: Mapping[str, Any], deployment: Deployment) -> LambdaResponse:
    """:func:`dispatch` on the running loop, awaiting an ``async def`` handler there (the dev
    server runs async handlers so, with no thread in between)."""
    request = request_from_event(event)
    with deployment.activate():
        try:
            result = _start(sock, request, deployment)
            while is_awaitable(result):
                result = await result
            return _finish(sock, request, deployment, result)
        except Exception as error:
            log_failure(sock, event, error)
            return error_response(request.connection_id, request.request_id)


def _start(sock: Socket, request: SocketRequest, deployment: Deployment) -> Any:
    if request.type == "disconnect":
        # Untracked before the handler runs: the connection is gone already, and a handler
        # that fails (or broadcasts a farewell) must not leave it behind.
        sock.forget(request.connection_id, deployment)
    context = {"socket": sock.name, "service": deployment.service}
    return sock.dispatcher(request.type)(request, context)


def _finish(sock: Socket, request: SocketRequest, deployment: Deployment, result: Any) -> LambdaResponse:
    response = response_for(request.type, result)
    if request.type == "connect" and sock.options.track_connections:
        _track(sock, deployment, request, response)
    return response


def _track(sock: Socket, deployment: Deployment, request: SocketRequest, response: LambdaResponse) -> None:
    if response["statusCode"] < 300:
        deployment.connections.put(sock.name, request.connection_id, request.identity)


def log_failure(
    sock: Socket,
    event: Mapping[str, Any],
    error: BaseException,
    lambda_context: Any = None,
    *,
    what: str = "handler",
) -> None:
    """Log a failure of user code (a handler, or ``what`` else) as one JSON line, with its traceback."""
    import json
    import logging
    import traceback

    rc = event.get("requestContext") or {}
    record = {
        "level": "ERROR",
        "message": f"{sock.name} {what} failed: {type(error).__name__}: {error}",
        "socket": sock.name,
        "route": rc.get("routeKey"),
        "connectionId": rc.get("connectionId"),
        "requestId": rc.get("requestId"),
        "awsRequestId": getattr(lambda_context, "aws_request_id", None),
        "traceback": "".join(traceback.format_exception(error)),
    }
    logging.getLogger("eventual.runtime").error(json.dumps(record, default=str))
