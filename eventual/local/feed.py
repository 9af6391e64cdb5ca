"""What the dev server handled, one record per event: the one source of the terminal's lines
and the browser console's live feed.

Every event the server handles (an authorizer, ``$connect``, a message and its route,
``$disconnect``, a management API request, a fan-out batch) becomes one :class:`EventRecord`,
made on the event loop when the event is done and kept in a ring of the last
:data:`RECENT_EVENTS`. Consumers are *sinks*, called on the loop with each record: the
terminal's printer (``eventual local``, :func:`eventual.local.output.event_line`) and each open
console (:mod:`eventual.local.console.live`). With neither, recording is building one small
object and appending it to the ring: nothing is formatted, encoded or copied.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

RECENT_EVENTS = 1000
"""Records the server keeps (older ones are dropped): what a console shows when it opens."""
BODY_PREVIEW = 2048
"""Characters (or bytes) of a message's body a record keeps: a 128 KB message holds no more of
the ring than this."""

Sink = Callable[["EventRecord"], None]


class EventRecord:
    """One event, as the terminal prints it and the console shows it.

    ``kind`` is what happened: ``authorizer``, ``connect``, ``message``, ``disconnect`` (the
    route's handler ran), ``management`` (a ``@connections`` request; ``route`` is its method)
    or ``fan-out`` (a batch of a broadcast; ``connection`` is the broadcast's id).
    """

    __slots__ = (
        "at",
        "body",
        "body_length",
        "channel",
        "connection",
        "detail",
        "failure",
        "identity",
        "kind",
        "ms",
        "route",
        "seq",
        "socket",
        "status",
    )

    def __init__(
        self,
        kind: str,
        socket: str,
        route: str,
        connection: str,
        status: int,
        ms: float,
        *,
        identity: Mapping[str, Any] | None = None,
        body: str | bytes | None = None,
        detail: str | None = None,
        failure: str | None = None,
        channel: str | None = None,
    ) -> None:
        self.kind = kind
        self.socket = socket
        self.route = route
        self.connection = connection
        self.status = status
        """The HTTP status API Gateway would log: 504 for an integration that timed out."""
        self.ms = ms
        self.at = time.time()
        """When it was done (epoch seconds)."""
        self.identity = identity
        """The connection's ``requestContext.authorizer``, as its handlers see it."""
        self.body_length = 0 if body is None else len(body)
        self.body = body if self.body_length <= BODY_PREVIEW or body is None else body[:BODY_PREVIEW]
        """The message's first :data:`BODY_PREVIEW` characters (bytes, for a binary one)."""
        self.detail = detail
        """A short fact of its own: a close code and reason, a batch's size."""
        self.failure = failure
        """What the runtime logged when the handler or authorizer failed (its traceback)."""
        self.channel = channel
        """The channel an event concerns (issue 20's channels; ``None`` until they exist)."""
        self.seq = 0
        """Its place in the feed, from 1 (set by :meth:`Feed.record`)."""

    def __repr__(self) -> str:
        return (
            f"<EventRecord {self.seq} {self.kind} {self.socket} {self.route} {self.connection} "
            f"{self.status} {self.ms:.0f} ms>"
        )


class Feed:
    """The last ``size`` records and the sinks that see each new one. Loop-only, but for
    :meth:`add_sink` and :meth:`remove_sink`, which any thread may call."""

    def __init__(self, size: int = RECENT_EVENTS) -> None:
        self.size = size
        self.recent: deque[EventRecord] = deque(maxlen=size)
        self._seq = 0
        self._sinks: tuple[Sink, ...] = ()  # replaced, never mutated: record() may be iterating

    def record(self, event: EventRecord) -> None:
        self._seq += 1
        event.seq = self._seq
        self.recent.append(event)
        for sink in self._sinks:
            sink(event)

    @property
    def last_seq(self) -> int:
        return self._seq

    def since(self, seq: int) -> list[EventRecord]:
        """The records after ``seq`` still kept, oldest first."""
        if seq >= self._seq:
            return []
        kept = self._seq - len(self.recent)  # the seq of the record before the oldest kept
        return list(self.recent)[max(0, seq - kept) :]

    def add_sink(self, sink: Sink) -> None:
        self._sinks = (*self._sinks, sink)

    def remove_sink(self, sink: Sink) -> None:
        self._sinks = tuple(s for s in self._sinks if s is not sink)
