"""A Server-Sent Events client for the console's live feed, as a browser's ``EventSource`` reads
it: HTTP/1.1 through h11 (chunked framing), then ``text/event-stream`` (WHATWG HTML, 9.2)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

import h11

EVENTS_PATH = "/__eventual/console/events"


@dataclass
class SseEvent:
    event: str
    data: str
    id: str | None

    @property
    def seq(self) -> int:
        assert self.id is not None
        return int(self.id.rpartition("-")[2])


class SseClient:
    def __init__(
        self,
        port: int,
        *,
        last_event_id: str | None = None,
        receive_buffer: int | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.sock = socket.socket()
        if receive_buffer is not None:  # before connect: the window the server may fill
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.connect(("127.0.0.1", port))
        self.h11 = h11.Connection(h11.CLIENT)
        sent = [("Host", f"127.0.0.1:{port}"), ("Accept", "text/event-stream"), *(headers or [])]
        if last_event_id is not None:
            sent.append(("Last-Event-ID", last_event_id))
        self.sock.sendall(self.h11.send(h11.Request(method="GET", target=EVENTS_PATH, headers=sent)) or b"")
        self.sock.sendall(self.h11.send(h11.EndOfMessage()) or b"")
        self.response: h11.Response | None = None
        self.body = b""
        self._text = ""
        self.events: list[SseEvent] = []
        self.ended = False

    def status(self, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        while self.response is None:
            self._pump(deadline)
        return self.response.status_code

    def next(self, timeout: float = 5.0) -> SseEvent:
        deadline = time.monotonic() + timeout
        while not self.events:
            self._pump(deadline)
        return self.events.pop(0)

    def until(self, predicate: Callable[[SseEvent], bool], timeout: float = 10.0) -> list[SseEvent]:
        """Every event up to and including the first one ``predicate`` accepts."""
        seen = []
        while True:
            event = self.next(timeout)
            seen.append(event)
            if predicate(event):
                return seen

    def _pump(self, deadline: float) -> None:
        if self.ended:
            raise AssertionError("the stream ended")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no event in time")
        self.sock.settimeout(remaining)
        data = self.sock.recv(1 << 20)
        self.h11.receive_data(data)
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                break
            if isinstance(event, h11.Response):
                self.response = event
            elif isinstance(event, h11.Data):
                self.body += bytes(event.data)
                self._parse(bytes(event.data).decode())
            elif isinstance(event, (h11.EndOfMessage, h11.ConnectionClosed)):
                self.ended = True
                break

    def _parse(self, text: str) -> None:
        self._text += text
        while "\n\n" in self._text:
            block, self._text = self._text.split("\n\n", 1)
            fields: dict[str, list[str]] = {}
            for line in block.split("\n"):
                name, _, value = line.partition(": ")
                fields.setdefault(name, []).append(value)
            if "data" in fields:
                self.events.append(
                    SseEvent(
                        fields.get("event", ["message"])[0],
                        "\n".join(fields["data"]),
                        fields.get("id", [None])[0],
                    )
                )

    def close(self) -> None:
        self.sock.close()
