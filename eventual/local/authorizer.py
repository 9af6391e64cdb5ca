"""A socket's ``$connect`` authorizer, run by the dev server the way API Gateway runs it.

The decision is the runtime's (:func:`eventual.runtime.authorizer.authorize`, the code behind the
Lambda REQUEST authorizer); what this module adds is what API Gateway does with it: a refusal is
the handshake's answer (401, 403, or 500 when the authorizer fails), and an allowed connection
carries ``requestContext.authorizer`` on every later event, built from the same policy answer
the Lambda returns.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from eventual.errors import AuthorizationDenied
from eventual.local.http import Reply, response
from eventual.runtime.authorizer import authorize, policy, request_from_authorizer_event
from eventual.runtime.dispatch import log_failure
from eventual.sockets import Socket

# API Gateway's default gateway responses: the body never carries the authorizer's own message.
_UNAUTHORIZED = (401, {"message": "Unauthorized"}, "UnauthorizedException")
_FORBIDDEN = (
    403,
    {"Message": "User is not authorized to access this resource with an explicit deny"},
    "AccessDeniedException",
)
_FAILED = (500, {"message": None}, "AuthorizerConfigurationException")


class Refused(Exception):
    """The authorizer did not allow the connection; ``answer`` is the whole HTTP response."""

    def __init__(self, status: int, answer: Reply) -> None:
        super().__init__(f"connection refused with {status}")
        self.status = status
        self.answer = answer


def authorizer_context(sock: Socket, event: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``sock``'s authorizer on a REQUEST authorizer ``event``; return the connection's
    ``requestContext.authorizer``, or raise :class:`Refused`.

    As API Gateway passes it: the identity's values stringified (``True`` -> ``"true"``,
    ``3`` -> ``"3"``), plus ``principalId`` and ``integrationLatency`` (milliseconds).
    """
    started = time.perf_counter()
    try:
        identity = authorize(sock, request_from_authorizer_event(event))
    except AuthorizationDenied as denied:
        raise _refusal(*(_FORBIDDEN if denied.status == 403 else _UNAUTHORIZED)) from None
    except Exception as error:  # a bug in the authorizer, or an identity API Gateway cannot pass
        log_failure(sock, event, error, what="authorizer")
        raise _refusal(*_FAILED) from None
    answer = policy(event, identity)
    context = {key: _stringified(value) for key, value in answer["context"].items()}
    latency_ms = round((time.perf_counter() - started) * 1000)
    return {**context, "principalId": answer["principalId"], "integrationLatency": latency_ms}


def _stringified(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _refusal(status: int, body: dict[str, Any], error_type: str) -> Refused:
    answer = response(
        status,
        json.dumps(body).encode(),
        content_type="application/json",
        headers=[("x-amzn-ErrorType", error_type)],
        keep_alive=False,
    )
    return Refused(status, answer)
