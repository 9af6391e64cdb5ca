"""What the console does to connections, exactly as a handler would: ``Socket.send`` and
``Socket.disconnect`` on a worker thread, with the server's deployment current. So each goes
through boto3 to this server's management API (``POST`` or ``DELETE @connections/<id>``): the
same checks, the same close (1000, as API Gateway's ``DeleteConnection``), the same
``GoneException``, and the same record in the feed as a handler's call.

Not on the loop: boto3's request comes back to this loop, which must be free to answer it.

SEAM (issue 20): publishing to a channel is one more action here, ``sock.publish(channel, data)``
under the same :func:`run`, and one more entry in :data:`ACTIONS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from eventual.errors import ConnectionGone, PayloadTooLarge
from eventual.local.http import Reply, response
from eventual.local.workers import Workers
from eventual.sockets import Socket


def send(sock: Socket, fields: Mapping[str, Any]) -> Callable[[], None]:
    """``{"connectionId": ..., "data": "text"}``: post ``data`` to the connection."""
    connection_id, data = _text(fields, "connectionId"), _text(fields, "data")
    return lambda: sock.send(connection_id, data)


def disconnect(sock: Socket, fields: Mapping[str, Any]) -> Callable[[], None]:
    """``{"connectionId": ...}``: close the connection as ``DeleteConnection`` does."""
    connection_id = _text(fields, "connectionId")
    return lambda: sock.disconnect(connection_id)


Action = Callable[[Socket, Mapping[str, Any]], Callable[[], None]]
"""Reads the request's fields (:class:`BadAction` if they say nothing it can do) and returns
what to do on the worker."""
ACTIONS: dict[str, Action] = {"send": send, "disconnect": disconnect}
"""``POST /__eventual/console/<action>``, with ``{"socket": ..., ...}`` as its JSON body."""


class BadAction(ValueError):
    """The request's body does not say what to do."""


def _text(fields: Mapping[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str) or (name != "data" and not value):
        raise BadAction(f"{name!r} must be a string" + ("" if name == "data" else ", not empty"))
    return value


async def run(workers: Workers, act: Callable[[], None]) -> Reply:
    """Do ``act`` on a worker, with the server's deployment current; its outcome as the reply."""
    deployment = workers.deployment

    def in_deployment() -> None:
        with deployment.activate():
            act()

    try:
        await workers.run(in_deployment)
    except ConnectionGone as gone:
        return _json(410, {"message": str(gone)})
    except PayloadTooLarge as too_large:
        return _json(413, {"message": str(too_large)})
    except Exception as error:  # boto3's errors, reported to the page as they are
        return _json(502, {"message": f"{type(error).__name__}: {error}"})
    return _json(200, {"ok": True})


def _json(status: int, data: object) -> Reply:
    return response(status, json.dumps(data).encode(), content_type="application/json")
