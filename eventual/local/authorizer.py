"""A socket's ``$connect`` authorizer on the dev server: API Gateway's decision
(:func:`eventual.runtime.authorizer.gateway_context`), with a refusal answered as the handshake's
HTTP response."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eventual.local.http import Reply, response
from eventual.runtime.authorizer import GatewayRefusal, gateway_context
from eventual.sockets import Socket


class Refused(Exception):
    """The authorizer did not allow the connection; ``answer`` is the whole HTTP response."""

    def __init__(self, status: int, answer: Reply) -> None:
        super().__init__(f"connection refused with {status}")
        self.status = status
        self.answer = answer


def authorizer_context(sock: Socket, event: Mapping[str, Any]) -> dict[str, Any]:
    """The connection's ``requestContext.authorizer``, or :class:`Refused`."""
    try:
        return gateway_context(sock, event)
    except GatewayRefusal as refusal:
        answer = response(
            refusal.status,
            json.dumps(refusal.body).encode(),
            content_type="application/json",
            headers=[("x-amzn-ErrorType", refusal.error_type)],
            keep_alive=False,
        )
        raise Refused(refusal.status, answer) from None
