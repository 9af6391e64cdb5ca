"""A socket's ``$connect`` authorizer on the dev server: API Gateway's decision
(:func:`eventual.runtime.authorizer.gateway_context`), with a refusal answered as the handshake's
HTTP response."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eventual.local.http import Reply, response
from eventual.runtime.authorizer import GatewayRefusal, authorizer_failed, gateway_context
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
        raise _refused(refusal) from None


def timed_out() -> Refused:
    """The refusal of a connection whose authorizer outlived its integration timeout: API
    Gateway's answer for a failed authorizer (AWS documents the timeout, not a distinct answer)."""
    return _refused(authorizer_failed())


def _refused(refusal: GatewayRefusal) -> Refused:
    answer = response(
        refusal.status,
        json.dumps(refusal.body).encode(),
        content_type="application/json",
        headers=[("x-amzn-ErrorType", refusal.error_type)],
        keep_alive=False,
    )
    return Refused(refusal.status, answer)
