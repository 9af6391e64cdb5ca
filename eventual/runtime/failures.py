"""The failure log: one JSON line per failed or refused event, with what the client got.

Imported on the first failure only (through :mod:`eventual.runtime.dispatch`): compiling it
would cost every Lambda cold start (docs/architecture.md, "Cold start").

Where Lambda formats logs as JSON (``AWS_LAMBDA_LOG_FORMAT=JSON``, the construct's default), the
record's fields go in as the log record's ``extra``: the Python runtime's JSON formatter writes
them as keys of the line beside its own ``timestamp``, ``level``, ``message``, ``logger`` and
``requestId`` (the invocation's), so the line is one flat object and API Gateway's request id is
``apiRequestId``. Elsewhere (the dev server, a function logging text) the message is the record as
JSON, as before.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eventual.middleware import culprit_of, describe, name_of
from eventual.runtime.apigateway import MalformedEvent, error_response
from eventual.runtime.environment import logs_as_json
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
        "error": f"{type(error).__name__}: {error}",
        "traceback": "".join(traceback.format_exception(error)),
    }
    _log(record)


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
    _log(record)
    return response


def _log(record: dict[str, Any]) -> None:
    """One ERROR line: flat JSON through Lambda's formatter, else the record as the message."""
    logger = logging.getLogger("eventual.runtime")
    if not logs_as_json():
        logger.error(json.dumps(record, default=str))
        return
    fields = {k: v for k, v in record.items() if k not in _FORMATTER_OWNS}
    fields["apiRequestId"] = record.get("requestId")
    # The formatter encodes without a default: give it only what JSON holds as is.
    logger.error(record["message"], extra=json.loads(json.dumps(fields, default=str)))


_FORMATTER_OWNS = frozenset({"level", "message", "requestId", "awsRequestId"})
"""Keys Lambda's JSON formatter writes itself (``requestId`` is the invocation's: ``awsRequestId``)."""
