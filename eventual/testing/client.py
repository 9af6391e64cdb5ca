"""The test client: connect to a service's sockets, send, and see what the service sends back."""

from __future__ import annotations

import base64
import importlib
import json
import secrets
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from eventual.deployment import DEFAULT_FAN_OUT_ABOVE, Deployment, SocketUrls
from eventual.errors import SocketNotDeployed
from eventual.runtime import apigateway
from eventual.runtime.apigateway import Caller, Stage, reply_of
from eventual.runtime.connections import InMemoryConnectionStore
from eventual.runtime.fanout_memory import InMemoryFanOutQueue
from eventual.runtime.integration import CONNECT_TIMED_OUT, timed_out_message
from eventual.runtime.quotas import URL_TOO_LONG, URL_TOO_LONG_BODY, url_too_long
from eventual.sockets import Socket, named_sockets, sockets_of
from eventual.testing import integration
from eventual.testing.authorizer import authorizer_context
from eventual.testing.connection import Connection, Rejected
from eventual.testing.management import SERVER_CLOSE, Connections, InMemoryManagementApi

if TYPE_CHECKING:
    from eventual.runtime.apigateway import LambdaResponse, WebSocketEvent

HOST = "testserver"
Pairs = Mapping[str, str] | Iterable[tuple[str, str]]


class SocketTestClient:
    """A service's sockets driven in-process, as API Gateway drives them, without network or server.

    ``sockets`` is the entry module's name (imported here), one :class:`eventual.Socket`, or
    several. ``deployment`` is the runtime context the handlers see; activate it to call
    ``send``/``broadcast`` from the test itself: ``with client.deployment.activate(): ...``.
    ``fan_out`` is the service's fan-out queue: a broadcast to more than ``fan_out_above``
    connections goes through it, its batches delivered before ``broadcast`` returns.
    As a context manager, leaving it closes every connection still open.

    Each event gets the integration timeout ``eventual local`` gives it (29 s, or the socket's
    ``timeout`` when lower): past it, a message's reply is API Gateway's
    ``{"message": "Endpoint request timed out", ...}``, a ``$connect`` is refused with 504 and an
    authorizer with 500 (:mod:`eventual.testing.integration`).
    """

    def __init__(
        self,
        sockets: str | Socket | Iterable[Socket] | Mapping[str, Socket],
        *,
        service: str = "test",
        fan_out_above: int = DEFAULT_FAN_OUT_ABOVE,
    ) -> None:
        self.sockets = _sockets(sockets)
        self.stage = Stage(HOST, stage="test", api_id=HOST)
        self._connections = Connections()
        urls = {
            name: SocketUrls(f"ws://{HOST}/__ws/{name}", f"http://{HOST}/__ws/{name}")
            for name in self.sockets
        }
        by_url = {url.http: name for name, url in urls.items()}
        self.fan_out = InMemoryFanOutQueue()
        self.deployment = Deployment(
            service,
            urls,
            management=lambda url: InMemoryManagementApi(self._connections, by_url[url]),
            connections=InMemoryConnectionStore(),
            fan_out=lambda: self.fan_out,
            fan_out_above=fan_out_above,
        )
        self.fan_out.deployment = self.deployment

    def __repr__(self) -> str:
        return f"<SocketTestClient of {self.deployment.service!r}: {', '.join(self.sockets)}>"

    def connect(
        self,
        socket: str,
        query: Pairs | None = None,
        headers: Pairs | None = None,
        *,
        source_ip: str = "198.51.100.7",
        user_agent: str = "eventual-testing",
    ) -> Connection:
        """Open a connection: the authorizer, then ``$connect``; :class:`Rejected` if either refuses,
        or if API Gateway would refuse the handshake first (a URL over 4,096 characters: 414).

        ``query`` and ``headers`` are a mapping of ``str`` to ``str`` or ``(name, value)`` pairs
        (a name may repeat), as a client's handshake carries them; anything else is a
        ``TypeError``. Use it as a context manager (``with client.connect("chat") as ada:``) so
        that leaving the block runs ``$disconnect``; or call :meth:`Connection.close`.
        """
        sock = self._socket(socket)
        extra_headers, query_pairs = _pairs("headers", headers), _pairs("query", query)
        caller = Caller(_new_id(), source_ip, user_agent, _now_ms())
        if url_too_long(_url(sock.name, query_pairs)):  # API Gateway's quota, before anything runs
            raise Rejected(sock.name, URL_TOO_LONG, json.dumps(URL_TOO_LONG_BODY))
        handshake = {
            "headers": [*_handshake_headers(caller), *extra_headers],
            "query": query_pairs,
            "request_id": _new_id(),
        }
        if sock.options.authorizer is not None:
            event = apigateway.authorizer_event(self.stage, caller, **handshake)  # type: ignore[arg-type]
            identity = authorizer_context(sock, event, self.deployment)
            caller = Caller(caller.connection_id, source_ip, user_agent, caller.connected_at, identity)
        response = self._dispatch(sock, apigateway.connect_event(self.stage, caller, **handshake))  # type: ignore[arg-type]
        if response is None:
            raise Rejected(sock.name, *CONNECT_TIMED_OUT)
        if response["statusCode"] >= 300:
            reply = reply_of(response)
            raise Rejected(sock.name, response["statusCode"], _text(reply))
        conn = Connection(self, sock.name, caller, response.get("headers", {}).get("Sec-WebSocket-Protocol"))
        with self._connections.lock:
            self._connections.by_id[caller.connection_id] = conn
        return conn

    def connections(self, socket: str) -> list[str]:
        """The ids of the socket's tracked open connections, from the records
        ``socket.connections()`` yields (sockets declared with ``track_connections=True``)."""
        sock = self._socket(socket)
        with self.deployment.activate():
            return [record["connectionId"] for record in sock.connections()]

    def close(self) -> None:
        """Close every connection still open, as clients going away (1001)."""
        for conn in list(self._connections.by_id.values()):
            conn.close(1001, "Going away")

    def __enter__(self) -> SocketTestClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- what connections call ---------------------------------------------------------------

    def _message(self, conn: Connection, body: str | bytes) -> str | bytes | None:
        """The route the body selects, as API Gateway selects it, then its reply; with no route
        to take (no match, no ``$default``), or none in time, API Gateway's own message."""
        sock, now, request_id = self.sockets[conn.socket], _now_ms(), _new_id()
        conn.last_active_at = now
        route = sock.select_route(body)
        if route is None:
            return apigateway.no_route_message(conn.connection_id, request_id)
        event = apigateway.message_event(
            self.stage,
            conn.caller,
            body,
            request_id=request_id,
            message_id=_new_id(),
            at=now,
            route_key=route,
        )
        response = self._dispatch(sock, event)
        if response is None:
            return timed_out_message(conn.connection_id, request_id)
        return reply_of(response)

    def _closed(self, conn: Connection, code: int, reason: str) -> None:
        with self._connections.lock:
            conn._closed_with(code, reason)
        self._dispatch(self.sockets[conn.socket], self._disconnect_event(conn, code, reason))

    def _disconnect_event(self, conn: Connection, code: int, reason: str) -> WebSocketEvent:
        return apigateway.disconnect_event(
            self.stage, conn.caller, status_code=code, reason=reason, request_id=_new_id(), at=_now_ms()
        )

    def _dispatch(self, sock: Socket, event: WebSocketEvent) -> LambdaResponse | None:
        """One event through the runtime (``None``: no answer within its integration timeout);
        then the ``$disconnect`` of connections it closed."""
        response = integration.call(sock, event, self.deployment)
        while True:
            with self._connections.lock:
                if not self._connections.closing:
                    return response
                conn = self._connections.closing.pop(0)
            closed = self.sockets[conn.socket]
            integration.call(closed, self._disconnect_event(conn, *SERVER_CLOSE), self.deployment)

    def _socket(self, name: str) -> Socket:
        sock = self.sockets.get(name)
        if sock is None:
            known = ", ".join(self.sockets) or "none"
            raise SocketNotDeployed(f"this test client has no socket named {name!r} (its sockets: {known})")
        return sock


def _sockets(target: str | Socket | Iterable[Socket] | Mapping[str, Socket]) -> dict[str, Socket]:
    """The service's sockets by the rule ``Service`` and ``eventual local`` apply
    (:func:`eventual.sockets.sockets_of`): an entry module's, or the sockets given."""
    if isinstance(target, str):
        importlib.import_module(target)
        return sockets_of(target)
    if isinstance(target, Socket):
        target = [target]
    given = list(target.items() if isinstance(target, Mapping) else enumerate(target))
    strays = [value for _, value in given if not isinstance(value, Socket)]
    if strays:
        raise TypeError(f"SocketTestClient takes sockets or an entry module's name, not {strays[0]!r}")
    return named_sockets(((f"sockets[{key!r}]", sock) for key, sock in given), "this test client")


def _url(socket: str, query: list[tuple[str, str]]) -> str:
    """The URL a client opens for ``socket`` with ``query``, percent-encoded as browsers do."""
    base = f"ws://{HOST}/__ws/{socket}"
    return f"{base}?{urlencode(query, quote_via=quote)}" if query else base


def _pairs(argument: str, pairs: Pairs | None) -> list[tuple[str, str]]:
    """``query``/``headers`` as the handshake carries them: names and values are text. A mistake
    is the test's, so it is a ``TypeError`` naming the argument, not the service's 500."""
    if pairs is None:
        return []
    if isinstance(pairs, str | bytes):
        raise TypeError(
            f"{argument}= takes a mapping of str to str or (name, value) pairs, not a "
            f"{type(pairs).__name__} ({pairs!r:.60}); for a query string, pass "
            "dict(urllib.parse.parse_qsl(text))"
        )
    try:
        found = list(pairs.items()) if isinstance(pairs, Mapping) else [tuple(pair) for pair in pairs]
    except TypeError:
        raise TypeError(
            f"{argument}= takes a mapping of str to str or (name, value) pairs, not {pairs!r:.60}"
        ) from None
    for pair in found:
        if len(pair) != 2 or not all(isinstance(part, str) for part in pair):
            shown = ", ".join(f"{type(part).__name__} {part!r:.40}" for part in pair)
            raise TypeError(
                f"{argument}= holds ({shown}): a handshake carries names and values as text; "
                "pass str (str(value) for a number)"
            )
    return found  # type: ignore[return-value]


def _handshake_headers(caller: Caller) -> list[tuple[str, str]]:
    """The headers API Gateway passes with every ``$connect``."""
    return [
        ("Host", HOST),
        ("Sec-WebSocket-Key", base64.b64encode(secrets.token_bytes(16)).decode()),
        ("Sec-WebSocket-Version", "13"),
        ("User-Agent", caller.user_agent),
        ("X-Forwarded-For", caller.source_ip),
        ("X-Forwarded-Port", "443"),
        ("X-Forwarded-Proto", "https"),
    ]


def _text(reply: str | bytes | None) -> str | None:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply


def _new_id() -> str:
    """An id shaped like API Gateway's (``L0SM9cOFvHcCIhw=``)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def _now_ms() -> int:
    return int(time.time() * 1000)
