"""A socket's ``$connect`` authorizer under the test client: API Gateway's decision
(:func:`eventual.runtime.authorizer.gateway_context`, as the dev server runs it, within the
same integration timeout), with a refusal raised as :class:`~eventual.testing.Rejected`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from eventual.runtime.authorizer import GatewayRefusal
from eventual.sockets import Socket
from eventual.testing.connection import Rejected
from eventual.testing.integration import authorize

if TYPE_CHECKING:
    from eventual.deployment import Deployment


def authorizer_context(sock: Socket, event: Mapping[str, Any], deployment: Deployment) -> dict[str, Any]:
    """The connection's ``requestContext.authorizer``, or :class:`Rejected`."""
    try:
        return authorize(sock, event, deployment)
    except GatewayRefusal as refusal:
        raise Rejected(sock.name, refusal.status, json.dumps(refusal.body)) from None
