"""One TCP connection to the dev server until it becomes a WebSocket: HTTP/1.1 through h11.

Every request is answered or the connection closed on purpose: malformed input gets h11's
status (400, 431, ...), a whole request (head and body) must arrive within
``Limits.request_timeout`` (408), a body over its route's limit (:meth:`Routes.body_limit`: 128 KB
for a management API ``POST``, else ``MAX_BODY_BYTES``) gets 413 as soon as its head declares it,
or as soon as a chunked one passes it, and a bug in a route is a logged 500. A WebSocket upgrade
hands the connection to :mod:`eventual.local.handshake`; a :class:`~eventual.local.http.Stream`
(the console's live feed) takes it over; a :class:`~eventual.local.http.Later` is answered when
its work is done, off the loop.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import h11

from eventual.local.http import MAX_HEAD_BYTES, Later, Reply, Stream, h11_events, request_of, response

if TYPE_CHECKING:
    from eventual.local.http import Request
    from eventual.local.hub import Hub
    from eventual.local.routes import Routes

logger = logging.getLogger("eventual.local")


class HttpConnection(asyncio.Protocol):
    def __init__(self, hub: Hub, routes: Routes) -> None:
        self.hub = hub
        self.routes = routes
        self.h11 = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.transport: asyncio.Transport | None = None
        self.client = ""
        """The peer's IP address."""
        self.lost = False
        self._request: h11.Request | None = None
        self._body = bytearray()
        self._received = 0
        self._body_limit, self._too_large = routes.body_limit("GET", "/")
        self._timer: asyncio.TimerHandle | None = None
        self._later: asyncio.Task[None] | None = None

    # -- asyncio's calls --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peer = transport.get_extra_info("peername")
        self.client = str(peer[0]) if peer else ""
        self.hub.http_clients.add(self)
        self._next_cycle()

    def data_received(self, data: bytes) -> None:
        self._received += len(data)
        self.h11.receive_data(data)
        self._process()

    def eof_received(self) -> bool | None:
        self.h11.receive_data(b"")
        self._process()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        self._cancel_timer()
        self.hub.http_clients.discard(self)

    # -- requests ---------------------------------------------------------------------------

    def _next_cycle(self) -> None:
        self._request, self._body, self._received = None, bytearray(), 0
        self._cancel_timer()
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self.hub.limits.request_timeout, self._timed_out)

    def _process(self) -> None:
        assert self.transport is not None
        while not self.transport.is_closing():
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as error:
                self._refuse(error.error_status_hint, f"Bad request: {error}")
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                self._request = event
                if _head_size(event) > MAX_HEAD_BYTES:  # h11 bounds only a head still arriving
                    self._refuse(431, "Request header fields too large")
                    return
                target = event.target.decode("latin-1").partition("?")[0]
                self._body_limit, self._too_large = self.routes.body_limit(event.method.decode(), target)
                if _declared_length(event) > self._body_limit:  # answered now, not once it arrives
                    self._refuse_with(self._too_large)
                    return
                if (dict(event.headers).get(b"expect") or b"").lower() == b"100-continue":
                    self._write(
                        h11.InformationalResponse(status_code=100, headers=[], reason=b"Continue")
                    )  # curl asks first
            elif isinstance(event, h11.Data):
                self._body += event.data
                if len(self._body) > self._body_limit:  # a chunked body, which declared nothing
                    self._refuse_with(self._too_large)
                    return
            elif isinstance(event, h11.EndOfMessage):
                self._cancel_timer()
                if not self._answer():
                    return
            else:  # ConnectionClosed
                self.transport.close()
                return

    def _answer(self) -> bool:
        """Answer the request just read; ``True`` to read the next from this connection."""
        from eventual.local.handshake import upgrade
        from eventual.local.routes import Upgrade

        assert self._request is not None and self.transport is not None
        request = request_of(self._request, bytes(self._body), self.client)
        try:
            outcome = self.routes.answer(request)
        except Exception:  # the server outlives any bug in answering one request
            logger.exception("error answering %s %s", request.method, request.path)
            outcome = response(500, b"Internal server error\n", keep_alive=False)
        if isinstance(outcome, Upgrade):
            self.transport.pause_reading()  # until $connect has answered
            self.hub.http_clients.discard(self)
            asyncio.get_running_loop().create_task(upgrade(self, request, outcome))
            return False
        if isinstance(outcome, Stream):
            self.hub.http_clients.discard(self)
            outcome.start(self.transport, self.h11)
            return False
        if isinstance(outcome, Later):
            self.transport.pause_reading()  # the next request waits for this answer
            # Held here: the loop keeps only a weak reference to a task.
            self._later = asyncio.get_running_loop().create_task(self._reply_later(outcome, request))
            return False
        return self.reply(outcome, request.method)

    async def _reply_later(self, later: Later, request: Request) -> None:
        try:
            reply = await later.answer
        except Exception:  # the server outlives any bug in answering one request
            logger.exception("error answering %s %s", request.method, request.path)
            reply = response(500, b"Internal server error\n", keep_alive=False)
        if self.lost or self.transport is None or self.transport.is_closing():
            return
        if self.reply(reply, request.method):
            self.transport.resume_reading()
            self._process()  # a request that arrived meanwhile

    def reply(self, reply: Reply, method: str) -> bool:
        """Send ``reply``; ``True`` if the connection stays open for another request."""
        assert self.transport is not None
        for event in h11_events(reply, method):
            if not self._write(event):
                return False
        if reply.close or self.h11.our_state is not h11.DONE or self.h11.their_state is not h11.DONE:
            self.transport.close()
            return False
        self.h11.start_next_cycle()
        self._next_cycle()
        return True

    def _write(self, event: h11.Event) -> bool:
        assert self.transport is not None
        try:
            data = self.h11.send(event)
        except h11.LocalProtocolError:
            logger.exception("cannot send %r", event)
            self.transport.close()
            return False
        if data:
            self.transport.write(data)
        return True

    def _refuse(self, status: int, message: str) -> None:
        self._refuse_with(response(status, f"{message}\n".encode(), keep_alive=False))

    def _refuse_with(self, reply: Reply) -> None:
        """Answer ``reply`` if no answer has begun, then close: the rest of the request is unread."""
        assert self.transport is not None
        if self.h11.our_state in (h11.IDLE, h11.SEND_RESPONSE):
            method = self._request.method.decode("latin-1") if self._request else "GET"
            self.reply(reply, method)
        self.transport.close()

    def _timed_out(self) -> None:
        """The whole-request deadline: a head dripped a byte at a time is timed out too."""
        self._timer = None
        if self._received == 0 and self.h11.their_state is h11.IDLE:
            assert self.transport is not None
            self.transport.close()  # an idle keep-alive connection: nothing to answer
        else:
            self._refuse(408, "Request timeout: the whole request must arrive in time")

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        """Shutdown: close a connection between requests."""
        if self.transport is not None:
            self.transport.close()


def _declared_length(request: h11.Request) -> int:
    """The body's ``Content-Length`` (h11 has checked it is a number); 0 when it declares none."""
    for name, value in request.headers:
        if name == b"content-length":
            return int(value)
    return 0


def _head_size(request: h11.Request) -> int:
    return len(request.target) + sum(
        len(name) + len(value) + 4 for name, value in request.headers.raw_items()
    )
