"""The opening handshake, as API Gateway runs it: the authorizer, then ``$connect``, then 101.

A refusal (by websockets' checks, the authorizer or ``$connect``) is the handshake's answer and
the connection never existed. ``$connect`` runs on the worker pool; meanwhile the connection's
reading is paused, so what the client sends early waits in the kernel, and is fed to the
WebSocket protocol once the upgrade is done (a protocol violation there closes with 1002).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from websockets.datastructures import Headers
from websockets.frames import CloseCode
from websockets.http11 import Request as WsRequest
from websockets.protocol import Protocol, Side, State
from websockets.server import ServerProtocol

from eventual.local.authorizer import Refused, authorizer_context, timed_out
from eventual.local.connection import GOING_AWAY, WebSocketConnection
from eventual.local.events import new_caller, with_identity
from eventual.local.feed import EventRecord
from eventual.local.http import Reply, Request, response
from eventual.payload import MAX_PAYLOAD_BYTES
from eventual.runtime.apigateway import reply_of
from eventual.runtime.integration import CONNECT_TIMED_OUT, integration_timeout
from eventual.runtime.quotas import URL_TOO_LONG, URL_TOO_LONG_BODY, url_too_long

if TYPE_CHECKING:
    from eventual.local.http_connection import HttpConnection
    from eventual.local.hub import Hub
    from eventual.local.routes import Upgrade
    from eventual.runtime.apigateway import AuthorizerEvent, Caller, LambdaResponse
    from eventual.sockets import Socket

logger = logging.getLogger("eventual.local")


async def upgrade(http: HttpConnection, request: Request, to: Upgrade) -> None:
    """Open a WebSocket on ``http``'s connection, or answer why not."""
    try:
        with http.hub.handshake():
            await _upgrade(http, request, to)
    except Exception:  # the server outlives any bug in one handshake
        logger.exception("error in the opening handshake of %s", request.path)
        if http.transport is not None:
            http.transport.abort()


async def _upgrade(http: HttpConnection, request: Request, to: Upgrade) -> None:
    transport, hub = http.transport, http.hub
    assert transport is not None
    refusal = _front_door(request)
    if refusal is not None:
        http.reply(refusal, "GET")
        return
    handshake = ServerProtocol().accept(WsRequest(_target(request), Headers(request.headers)))
    if handshake.status_code != 101:  # websockets' own answer to a bad handshake
        transport.write(handshake.serialize())
        transport.close()
        return
    if hub.stopping:
        http.reply(response(503, b"The dev server is shutting down\n", keep_alive=False), "GET")
        return
    peer = new_caller(_client_ip(http), request.header("User-Agent") or "")
    sock = hub.socket(to.name, to.declared)
    if sock.options.authorizer is not None:
        asking = hub.events.authorizer(peer, request.headers, request.query)
        deployment = hub.workers.deployment

        def authorize() -> Caller:
            with deployment.activate():
                return with_identity(peer, authorizer_context(sock, asking))

        started = time.perf_counter()
        try:
            peer = await asyncio.wait_for(hub.workers.run(authorize), integration_timeout(sock))
        except Refused as refused:
            _record_authorizer(hub, sock, asking, refused.status, started)
            http.reply(refused.answer, "GET")
            return
        except TimeoutError:
            _record_authorizer(hub, sock, asking, timed_out().status, started)
            logger.warning(
                "%s authorizer did not answer within its integration timeout of %gs: refused the "
                "connection with 500, as API Gateway refuses when its authorizer fails",
                sock.name,
                integration_timeout(sock),
            )
            http.reply(timed_out().answer, "GET")
            return
        _record_authorizer(hub, sock, asking, 200, started, peer.identity)
    connect = hub.events.connect(peer, request.headers, request.query)
    result, ms = await hub.workers.answer(sock, connect)
    hub.record(sock.name, connect, result, ms)
    refusal = _refusal(sock, result)
    if refusal is not None:
        http.reply(refusal, "GET")
        return
    subprotocol = _subprotocol(result)
    if subprotocol is not None:
        handshake.headers["Sec-WebSocket-Protocol"] = subprotocol
    _open(http, handshake.serialize(), peer, to)


def _record_authorizer(
    hub: Hub,
    sock: Socket,
    asking: AuthorizerEvent,
    status: int,
    started: float,
    identity: Mapping[str, object] | None = None,
) -> None:
    """The authorizer's record: its decision as the status the handshake got (200: allowed)."""
    rc = asking["requestContext"]
    hub.feed.record(
        EventRecord(
            "authorizer",
            sock.name,
            "authorizer",
            rc["connectionId"],
            status,
            (time.perf_counter() - started) * 1000,
            identity=identity,
            failure=hub.failures.take(rc["requestId"]) if status == 500 else None,
        )
    )


def _open(http: HttpConnection, switching: bytes, peer: Caller, to: Upgrade) -> None:
    transport, hub = http.transport, http.hub
    assert transport is not None
    protocol = Protocol(Side.SERVER, state=State.OPEN, max_size=MAX_PAYLOAD_BYTES)
    conn = WebSocketConnection(hub, transport, protocol, peer, to.name, to.declared)
    hub.add(conn)
    if http.lost:
        # Gone before the upgrade completed; $connect accepted it, so $disconnect follows (a
        # tracked socket forgets it there).
        conn.connection_lost(None)
        return
    transport.write(switching)
    transport.set_protocol(conn)
    early, _ = http.h11.trailing_data
    if early:
        conn.data_received(early)
    transport.resume_reading()
    if hub.stopping:
        conn.close(CloseCode.GOING_AWAY, GOING_AWAY)


def _front_door(request: Request) -> Reply | None:
    """What API Gateway refuses before anything of the socket's runs: a URL over its quota
    (:mod:`eventual.runtime.quotas`), an upgrade that is not HTTP/1.1."""
    url = f"ws://{request.header('Host') or ''}{request.target}"
    if url_too_long(url):
        return response(
            URL_TOO_LONG,
            json.dumps(URL_TOO_LONG_BODY).encode(),
            content_type="application/json",
            keep_alive=False,
        )
    if request.http_version != "1.1":
        # RFC 6455, 4.1: "The method of the request MUST be GET, and the HTTP version MUST be at
        # least 1.1" (and a WebSocket upgrade is HTTP/1.1's alone). AWS documents no answer; 400
        # is what a server answers a handshake it cannot accept, as websockets' own does.
        return response(
            400,
            f"Failed to open a WebSocket connection: HTTP/{request.http_version} cannot upgrade; the "
            "opening handshake needs HTTP/1.1 (RFC 6455, 4.1).\n".encode(),
            keep_alive=False,
        )
    return None


def _refusal(sock: Socket, result: LambdaResponse | None) -> Reply | None:
    """The handshake's answer when ``$connect`` did not accept; ``None`` when it did."""
    if result is None:  # a timed-out $connect
        timed_out, message = CONNECT_TIMED_OUT
        return response(timed_out, message.encode(), content_type="application/json", keep_alive=False)
    status = result.get("statusCode", 200)
    if not isinstance(status, int) or not 200 <= status <= 599:
        logger.error(
            "%s $connect handler returned status %r: not an HTTP status a handshake can answer "
            "(200-599); refused the connection with 500",
            sock.name,
            status,
        )
        return response(
            500, b'{"message": "Internal server error"}', content_type="application/json", keep_alive=False
        )
    if status < 300:
        return None
    reply = reply_of(result)
    body = b"" if reply is None else reply.encode() if isinstance(reply, str) else reply
    return response(status, body, keep_alive=False)


def _subprotocol(result: LambdaResponse | None) -> str | None:
    """The subprotocol ``$connect`` selected: API Gateway returns the integration's
    ``Sec-WebSocket-Protocol`` header in its 101 ("Set up a $connect route that requires a
    WebSocket subprotocol"). It passes no other header of the integration's to the handshake."""
    headers: Mapping[str, str] = result.get("headers", {}) if result is not None else {}
    for name, value in headers.items():
        if name.lower() == "sec-websocket-protocol":
            return str(value)
    return None


def _target(request: Request) -> str:
    return f"{request.path}?{request.query}" if request.query else request.path


def _client_ip(http: HttpConnection) -> str:
    assert http.transport is not None
    peer = http.transport.get_extra_info("peername")
    return str(peer[0]) if peer else "127.0.0.1"
