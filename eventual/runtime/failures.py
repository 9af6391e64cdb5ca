"""The failure log: one JSON line per failed or refused event, with what the client got.

Imported on the first failure only (through :mod:`eventual.runtime.dispatch`): compiling it
would cost every Lambda cold start (docs/architecture.md, "Cold start").
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eventual.middleware import culprit_of, describe, name_of
from eventual.runtime.apigateway import MalformedEvent, error_response
from eventual.sockets import Socket

if TYPE_CHECKING:
    from eventual.runtime.apigateway import LambdaResponse


def log_failure(
    sock: Socket,
    event: Mapping[str, Any],
    error: BaseException,
    lambda_context: Any = None,
    *,
    what: str = "handler",
) -> None:
    """Log a failure of user code as one JSON line, with its traceback: the middleware or handler
    the error escaped from (:func:`eventual.middleware.culprit_of`), else ``what``."""
    culprit = culprit_of(error)
    function = describe(culprit[1]) if culprit else None
    if culprit and culprit[0] == "middleware":
        what = f"middleware {name_of(culprit[1])}"
    rc = event.get("requestContext") or {}
    record = {
        "level": "ERROR",
        "message": f"{sock.name} {what} failed: {type(error).__name__}: {error}",
        "socket": sock.name,
        "failed": culprit[0] if culprit else what,
        "function": function,
        "route": rc.get("routeKey"),
        "connectionId": rc.get("connectionId"),
        "requestId": rc.get("requestId"),
        "awsRequestId": getattr(lambda_context, "aws_request_id", None),
        "traceback": "".join(traceback.format_exception(error)),
    }
    logging.getLogger("eventual.runtime").error(json.dumps(record, default=str))


def refuse(
    sock: Socket,
    event: Any,
    problem: MalformedEvent,
    lambda_context: Any = None,
    *,
    response: LambdaResponse | None = None,
) -> LambdaResponse:
    """Log an event API Gateway would not send as one JSON line naming what is wrong and what the
    client gets: ``response``, by default what API Gateway answers for a failed integration
    (500, ``Internal server error``), which is returned."""
    rc = event.get("requestContext") if isinstance(event, Mapping) else None
    rc = rc if isinstance(rc, Mapping) else {}
    ids = [rc.get(key) for key in ("connectionId", "requestId", "routeKey")]
    connection_id, request_id, route = (value if isinstance(value, str) else None for value in ids)
    response = response or error_response(connection_id or "", request_id or "")
    record = {
        "level": "ERROR",
        "message": f"{sock.name} refused a malformed event: {problem}",
        "socket": sock.name,
        "problem": str(problem),
        "response": response,
        "route": route,
        "connectionId": connection_id,
        "requestId": request_id,
        "awsRequestId": getattr(lambda_context, "aws_request_id", None),
    }
    logging.getLogger("eventual.runtime").error(json.dumps(record, default=str))
    return response
