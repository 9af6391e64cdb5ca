"""API Gateway's integration timeout: the one rule the dev server and the test client apply.

API Gateway waits for an integration (a socket's Lambda function, or its authorizer's) at most
29 s, the WebSocket API quota "Integration timeout: 50 milliseconds - 29 seconds"
(https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html);
a function whose own timeout is lower ends first. Past it:

- a message route's client gets :func:`timed_out_message` on its open connection, and the late
  result is dropped;
- a ``$connect`` is refused with :data:`CONNECT_TIMED_OUT` (AWS documents no WebSocket-specific
  answer; 504 is API Gateway's ``INTEGRATION_TIMEOUT`` gateway response elsewhere);
- an authorizer that has not answered refuses the connection as a failed one does, 500
  (:func:`eventual.runtime.authorizer.authorizer_failed`: AWS documents the timeout, not a
  distinct answer).

The Lambda entry never imports this module: in the cloud, API Gateway applies the rule.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventual.sockets import Socket

INTEGRATION_TIMEOUT = 29.0
"""API Gateway's integration timeout, in seconds (29 s by default and at most)."""

CONNECT_TIMED_OUT = (504, '{"message": "Endpoint request timed out"}')
"""The handshake's status and body when ``$connect`` outlives its integration timeout."""


def integration_timeout(sock: Socket) -> float:
    """Seconds API Gateway waits for ``sock``'s handlers and authorizer: the socket's ``timeout``
    when lower than API Gateway's 29 s (the Lambda function ends first), else 29 s."""
    timeout = sock.options.timeout
    return INTEGRATION_TIMEOUT if timeout is None else min(float(timeout), INTEGRATION_TIMEOUT)


def timed_out_message(connection_id: str, request_id: str) -> str:
    """What API Gateway sends the client when a message route's integration times out.

    The quota is documented (above); the message is not, and is the one clients report receiving
    ("Endpoint request timed out", repost.aws QUFXpcneknSgmhseduEh18dw), in the shape of API
    Gateway's other errors."""
    body = {"message": "Endpoint request timed out", "connectionId": connection_id, "requestId": request_id}
    return json.dumps(body)


def log_late(logger: logging.Logger, sock: Socket, event: Mapping[str, Any], status: object) -> None:
    """Log a result that came after its integration timeout, and was dropped."""
    rc = event.get("requestContext") or {}
    logger.warning(
        "%s %s on connection %s returned %s after its integration timeout of %gs: dropped, "
        "as API Gateway drops it",
        sock.name,
        rc.get("routeKey"),
        rc.get("connectionId"),
        status,
        integration_timeout(sock),
    )
