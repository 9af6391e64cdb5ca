"""A socket's ``$connect`` authorizer, run by the test client the way API Gateway runs it.

The decision is the runtime's (:func:`eventual.runtime.authorizer.authorize`, the code behind
the Lambda REQUEST authorizer). What API Gateway does with it is mirrored from the dev server
(``eventual/local/authorizer.py``): a refusal answers the handshake with API Gateway's default
gateway response (401, 403, or 500 when the authorizer fails), and an allowed connection carries
``requestContext.authorizer`` on every later event: the identity's values as strings, plus
``principalId`` and ``integrationLatency``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from eventual.errors import AuthorizationDenied
from eventual.runtime.authorizer import authorize, policy, request_from_authorizer_event
from eventual.runtime.dispatch import log_failure
from eventual.sockets import Socket
from eventual.testing.connection import Rejected

# API Gateway's default gateway responses: the body never carries the authorizer's own message.
UNAUTHORIZED = (401, {"message": "Unauthorized"})
FORBIDDEN = (403, {"Message": "User is not authorized to access this resource with an explicit deny"})
FAILED = (500, {"message": None})


def authorizer_context(sock: Socket, event: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``sock``'s authorizer on a REQUEST authorizer ``event``; the connection's
    ``requestContext.authorizer``, or :class:`Rejected`."""
    started = time.perf_counter()
    try:
        identity = authorize(sock, request_from_authorizer_event(event))
    except AuthorizationDenied as denied:
        raise _rejected(sock, *(FORBIDDEN if denied.status == 403 else UNAUTHORIZED)) from None
    except Exception as error:  # a bug in the authorizer, or an identity API Gateway cannot pass
        log_failure(sock, event, error, what="authorizer")
        raise _rejected(sock, *FAILED) from None
    answer = policy(event, identity)
    context = {key: _stringified(value) for key, value in answer["context"].items()}
    latency_ms = round((time.perf_counter() - started) * 1000)
    return {**context, "principalId": answer["principalId"], "integrationLatency": latency_ms}


def _stringified(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _rejected(sock: Socket, status: int, body: dict[str, Any]) -> Rejected:
    return Rejected(sock.name, status, json.dumps(body))
