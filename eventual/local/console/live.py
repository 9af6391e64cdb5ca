"""The console's live feed: Server-Sent Events over the HTTP connection that asked for them.

Why SSE and not a WebSocket: the feed flows one way (the page acts through plain POSTs), so SSE
is all it needs, and it is plain HTTP that h11 frames (chunked) like every other answer of this
server; the browser's ``EventSource`` reconnects by itself and sends ``Last-Event-ID``, so a
console that lost its connection (a reload of the server, a laptop asleep) resumes from the
ring (:class:`eventual.local.feed.Feed`) without a line of the page's code. A WebSocket here
would need a second framing path, and its own reconnect and resume.

A console never slows the server: each stream holds at most :data:`PENDING` records (references
to the feed's, nothing copied) and writes them in one chunk every :data:`FLUSH_SECONDS`. While
the browser does not read (a paused or busy tab), asyncio's transport says so
(``pause_writing``), the stream stops writing and its oldest pending records are dropped: the page
is told how many (an ``event: dropped``), and no connection of the service is touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import deque
from collections.abc import Callable

import h11

from eventual.local.console.describe import describe_event
from eventual.local.feed import RECENT_EVENTS, EventRecord, Feed

FLUSH_SECONDS = 0.05
"""How long a record waits to be written with those after it: one write per 50 ms (or per
:data:`WRITE_BATCH` records, if sooner) per console, not one per event."""
PENDING = RECENT_EVENTS
"""Records one console may have waiting (the whole ring, for a console that just opened)."""
WRITE_BATCH = 100
"""Records per write: a stream stops between writes as soon as the browser falls behind, so its
transport holds at most asyncio's high-water mark (64 KiB) and one batch."""
RETRY_MS = 1000
"""How soon ``EventSource`` reconnects after losing the stream."""
_encode = json.JSONEncoder(
    separators=(",", ":")
).encode  # one encoder: json.dumps(..., separators=) makes one a call


class LiveStream(asyncio.Protocol):
    """One console's feed, from the moment its request was answered until it goes away."""

    def __init__(self, feed: Feed, instance: str, on_close: Callable[[LiveStream], None]) -> None:
        self.feed = feed
        self.instance = instance
        """This server's id in every event id (``<instance>-<seq>``): a console that resumes
        against another run of the server starts over instead of skipping its first events."""
        self.on_close = on_close
        self.pending: deque[EventRecord] = deque(maxlen=PENDING)
        self.dropped = 0
        self.transport: asyncio.Transport | None = None
        self._h11: h11.Connection | None = None
        self._paused = False
        self._timer: asyncio.Handle | None = None
        self._closed = False

    def start(self, transport: asyncio.Transport, connection: h11.Connection, after: int) -> None:
        """Take the connection over: the response's head now, then the records after ``after``
        still in the ring, then each new one."""
        self.transport, self._h11 = transport, connection
        transport.set_protocol(self)
        head = h11.Response(
            status_code=200,
            reason=b"OK",
            headers=[
                ("Content-Type", "text/event-stream; charset=utf-8"),
                ("Cache-Control", "no-store"),
                ("Server", "eventual-local"),
            ],
        )
        hello = json.dumps({"instance": self.instance, "recentEvents": self.feed.size})
        self._write(connection.send(head) or b"")
        self._write_chunk(f"retry: {RETRY_MS}\nevent: hello\ndata: {hello}\n\n")
        for event in self.feed.since(after):
            self.push(event)
        self.feed.add_sink(self.push)

    # -- on the loop, for each record ---------------------------------------------------------

    def push(self, event: EventRecord) -> None:
        if len(self.pending) == PENDING:
            self.dropped += 1  # the deque drops its oldest
        self.pending.append(event)
        if self._paused or self._closed:
            return
        if len(self.pending) >= WRITE_BATCH:
            # A burst (many messages in one read) can record more than PENDING before the timer's
            # turn on the loop: a console that keeps reading gets it a batch at a time, now.
            if self._timer is not None:
                self._timer.cancel()
            self._flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self._flush)

    def _flush(self) -> None:
        """Write what is pending, a batch at a time, until done or the browser falls behind
        (the transport calls :meth:`pause_writing` from inside ``write``)."""
        self._timer = None
        while (self.pending or self.dropped) and not self._paused and not self._closed:
            parts = []
            if self.dropped:
                parts.append(f"event: dropped\ndata: {self.dropped}\n\n")
                self.dropped = 0
            for _ in range(min(WRITE_BATCH, len(self.pending))):
                event = self.pending.popleft()
                data = _encode(describe_event(event))
                parts.append(f"id: {self.instance}-{event.seq}\ndata: {data}\n\n")
            self._write_chunk("".join(parts))

    def _write_chunk(self, text: str) -> None:
        assert self._h11 is not None
        try:
            self._write(self._h11.send(h11.Data(data=text.encode())) or b"")
        except h11.LocalProtocolError:
            self.close()

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    # -- asyncio's calls ----------------------------------------------------------------------

    def pause_writing(self) -> None:
        """The browser is not reading: hold records (dropping the oldest) until it is."""
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._timer is None and (self.pending or self.dropped) and not self._closed:
            self._timer = asyncio.get_running_loop().call_soon(self._flush)

    def data_received(self, data: bytes) -> None:
        """``EventSource`` sends nothing after its request; anything else is ignored."""

    def eof_received(self) -> bool | None:
        return None  # the browser closed the stream: close ours

    def connection_lost(self, exc: Exception | None) -> None:
        self._end()

    def close(self) -> None:
        """Shutdown, or a stream that cannot go on: end it, as a complete response (the browser
        retries after :data:`RETRY_MS`)."""
        if not self._closed and self._h11 is not None:
            with contextlib.suppress(h11.LocalProtocolError):
                self._write(self._h11.send(h11.EndOfMessage()) or b"")
        self._end()
        if self.transport is not None:
            self.transport.close()

    def _end(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.feed.remove_sink(self.push)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.pending.clear()
        self.on_close(self)
