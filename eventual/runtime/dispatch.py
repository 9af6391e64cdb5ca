"""One event through one socket: the path shared by Lambda and the dev server."""

from __future__ import annotations

import inspect
import json
import logging
import threading
import traceback
from collections.abc import Awaitable, Mapping
from typing import Any

from eventual.requests import SocketRequest
from eventual.runtime.events import (
    LambdaResponse,
    error_response,
    event_type_of,
    request_from_event,
    response_for,
)
from eventual.sockets import Socket

logger = logging.getLogger("eventual.runtime")

_loops = threading.local()


def dispatch(
    sock: Socket,
    event: Mapping[str, Any],
    *,
    service: str,
    lambda_context: Any = None,
) -> LambdaResponse:
    """Run ``sock``'s middleware and handler for one API Gateway WebSocket event.

    A handler exception never escapes: it is logged as one JSON line and answered the way
    API Gateway answers a failed integration (500, no traceback in the body).
    """
    event_type = event_type_of(event)
    request = request_from_event(event_type, event)
    context = {"socket": sock.name, "service": service}
    try:
        if event_type == "disconnect":
            # Untracked before the handler runs: the connection is gone already, and a handler
            # that fails (or broadcasts a farewell) must not leave it behind.
            sock.forget(request.connection_id)
        result = sock.dispatcher(event_type)(request, context)
        if inspect.isawaitable(result):
            result = run_awaitable(result)
        response = response_for(event_type, result)
        if event_type == "connect" and sock.options.track_connections:
            _track(sock, request, response)
        return response
    except Exception as error:
        log_failure(sock, event, error, lambda_context)
        return error_response(event_type, request.connection_id, request.request_id)


def _track(sock: Socket, request: SocketRequest, response: LambdaResponse) -> None:
    from eventual.runtime.connections import connection_store

    if response["statusCode"] < 300:
        connection_store().put(sock.name, request.connection_id, request.identity)


def run_awaitable(awaitable: Awaitable[Any]) -> Any:
    """Await on this thread's own loop, kept for reuse (Lambda reuses it across invocations)."""
    runner = getattr(_loops, "runner", None)
    if runner is None:
        import asyncio  # only async handlers pay for it, not every cold start

        runner = _loops.runner = asyncio.Runner()

    async def wait() -> Any:
        return await awaitable

    return runner.run(wait())


def log_failure(
    sock: Socket,
    event: Mapping[str, Any],
    error: Exception,
    lambda_context: Any = None,
    *,
    what: str = "handler",
) -> None:
    """Log a failure of user code (a handler, or ``what`` else) as one JSON line, with its traceback."""
    rc = event.get("requestContext") or {}
    record = {
        "level": "ERROR",
        "message": f"{sock.name} {what} failed: {type(error).__name__}: {error}",
        "socket": sock.name,
        "route": rc.get("routeKey"),
        "connectionId": rc.get("connectionId"),
        "requestId": rc.get("requestId"),
        "awsRequestId": getattr(lambda_context, "aws_request_id", None),
        "traceback": traceback.format_exc(),
    }
    logger.error(json.dumps(record, default=str))
