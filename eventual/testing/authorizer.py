"""A socket's ``$connect`` authorizer under the test client: API Gateway's decision
(:func:`eventual.runtime.authorizer.gateway_context`, as the dev server runs it), with a refusal
raised as :class:`~eventual.testing.Rejected`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from eventual.runtime.authorizer import GatewayRefusal, gateway_context
from eventual.sockets import Socket
from eventual.testing.connection import Rejected


def authorizer_context(sock: Socket, event: Mapping[str, Any]) -> dict[str, Any]:
    """The connection's ``requestContext.authorizer``, or :class:`Rejected`."""
    try:
        return gateway_context(sock, event)
    except GatewayRefusal as refusal:
        raise Rejected(sock.name, refusal.status, json.dumps(refusal.body)) from None
