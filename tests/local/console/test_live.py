"""The console's live feed (eventual/local/console/live.py): Server-Sent Events of the server's
records, resumable, bounded per console, never in the way of the service's connections."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.asyncio.client import connect as connect_async
from websockets.sync.client import connect

from eventual import socket
from eventual.local import DevServer, Limits
from eventual.local.console.endpoint import MAX_CONSOLES
from eventual.local.console.live import PENDING
from tests.local.console.sse import SseClient, SseEvent

silent = socket("console-silent", {"$default": lambda request, context: None})
echo = socket("console-echo", {"$default": lambda request, context: request.body})
BODY = "x" * 2000  # close to the record's 2,048-character preview: ~2.2 KB per event on the feed


@pytest.fixture
def server() -> Iterator[DevServer]:
    """A fresh server per test: its feed starts at seq 1, so counts are exact."""
    with DevServer(
        "console-live",
        {"console-silent": silent, "console-echo": echo},
        port=0,
        limits=Limits(close_timeout=1.0),
    ) as srv:
        yield srv


def data_of(event: SseEvent) -> dict[str, Any]:
    loaded = json.loads(event.data)
    assert isinstance(loaded, dict)
    return loaded


def flood(server: DevServer, count: int) -> None:
    """``count`` messages of :data:`BODY` on one connection, as fast as the client can send;
    closed once the server has handled them all (``count + 2`` records more, with its
    ``$connect`` and ``$disconnect``)."""
    start = server.feed.last_seq

    async def send_all() -> None:
        async with connect_async(server.socket_urls("console-silent")["wss"], compression=None) as ws:
            for _ in range(count):
                await ws.send(BODY)
            deadline = time.monotonic() + 60
            while server.feed.last_seq < start + 1 + count:
                assert time.monotonic() < deadline, f"the feed is at {server.feed.last_seq}"
                await asyncio.sleep(0.02)

    asyncio.run(send_all())
    wait_for_seq(server, start + count + 2)


def wait_for_seq(server: DevServer, seq: int) -> None:
    deadline = time.monotonic() + 60
    while server.feed.last_seq < seq:
        assert time.monotonic() < deadline, f"the feed is at {server.feed.last_seq}, expected {seq}"
        time.sleep(0.02)


def test_a_console_gets_hello_then_the_ring_then_each_new_event_as_it_happens(server: DevServer) -> None:
    with connect(server.socket_urls("console-echo")["wss"]) as ws:
        ws.send("before")
        assert ws.recv(timeout=5) == "before"
        wait_for_seq(server, 2)  # $connect, the message
        console = SseClient(server.port)
        assert console.status() == 200
        assert console.response is not None
        assert (b"content-type", b"text/event-stream; charset=utf-8") in console.response.headers
        hello = console.next()
        assert hello.event == "hello"
        assert console.body.startswith(b"retry: 1000\n")  # EventSource reconnects after a second
        instance = data_of(hello)["instance"]
        assert data_of(hello)["recentEvents"] == 1000
        backlog = [console.next(), console.next()]
        assert [(e.event, e.id) for e in backlog] == [
            ("message", f"{instance}-1"),
            ("message", f"{instance}-2"),
        ]
        assert [data_of(e)["route"] for e in backlog] == ["$connect", "$default"]
        ws.send("live")
        assert ws.recv(timeout=5) == "live"
        live = data_of(console.next())
        connection_id = backlog[0]
        assert live["seq"] == 3
        assert {key: live[key] for key in ("kind", "socket", "route", "status", "body")} == {
            "kind": "message",
            "socket": "console-echo",
            "route": "$default",
            "status": 200,
            "body": "live",
        }
        assert live["connection"] == data_of(connection_id)["connection"]
        console.close()


def test_a_console_that_reconnects_resumes_after_the_last_event_it_saw(server: DevServer) -> None:
    with connect(server.socket_urls("console-echo")["wss"]) as ws:
        for n in range(4):
            ws.send(f"m{n}")
            ws.recv(timeout=5)
    wait_for_seq(server, 6)  # $connect, 4 messages, $disconnect
    first = SseClient(server.port)
    instance = data_of(first.next())["instance"]
    first.close()
    resumed = SseClient(server.port, last_event_id=f"{instance}-3")
    assert resumed.next().event == "hello"
    assert [resumed.next().seq for _ in range(3)] == [4, 5, 6]
    resumed.close()
    # An id of another run of the server (or none that parses): the whole ring, from seq 1.
    for stale in ("0badc0de-5", f"{instance}-x", ""):
        again = SseClient(server.port, last_event_id=stale)
        again.next()  # hello
        assert again.next().seq == 1
        again.close()


def test_a_console_that_keeps_reading_gets_every_event(server: DevServer) -> None:
    console = SseClient(server.port)
    console.next()  # hello
    received: list[SseEvent] = []
    reader = threading.Thread(
        target=lambda: received.extend(console.until(lambda e: e.event == "message" and e.seq == 3002, 60))
    )
    reader.start()
    flood(server, 3000)  # 3,002 records with $connect and $disconnect
    reader.join(70)
    assert not reader.is_alive()
    assert [e.event for e in received if e.event != "message"] == []  # nothing dropped
    assert [e.seq for e in received] == list(range(1, 3003))
    console.close()


def test_a_console_that_stops_reading_drops_old_events_and_no_connection(server: DevServer) -> None:
    """A paused tab: the server stops writing to it, keeps its newest records (at most
    ``PENDING``) and counts the rest as dropped; the service's clients go on as before."""
    console = SseClient(server.port, receive_buffer=4096)
    assert console.status() == 200  # and now it reads nothing
    flood(server, 6000)
    assert server.console is not None
    (stream,) = server.console.streams
    assert len(stream.pending) <= PENDING
    assert stream.transport is not None
    assert stream.transport.get_write_buffer_size() < 512 * 1024  # the high-water mark and one batch
    with connect(server.socket_urls("console-echo")["wss"]) as ws:  # the server is not held up
        ws.send("still here")
        assert ws.recv(timeout=5) == "still here"
    wait_for_seq(server, 6005)
    seen = console.until(lambda e: e.event == "message" and e.seq == 6005, timeout=30)
    dropped = sum(int(e.data) for e in seen if e.event == "dropped")
    received = [e for e in seen if e.event == "message"]
    assert dropped > 0
    assert len(received) + dropped == 6005  # every record reached it or was counted as dropped
    assert [e.seq for e in received] == sorted(e.seq for e in received)
    assert received[-PENDING:][0].seq > 1  # what it kept are the newest, not the oldest
    console.close()


def test_at_most_eight_consoles_at_once(server: DevServer) -> None:
    consoles = [SseClient(server.port) for _ in range(MAX_CONSOLES)]
    assert [c.status() for c in consoles] == [200] * 8
    one_more = SseClient(server.port)
    assert one_more.status() == 503
    consoles.pop().close()
    deadline = time.monotonic() + 5
    while server.console is not None and len(server.console.streams) >= MAX_CONSOLES:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    again = SseClient(server.port)
    assert again.status() == 200
    for console in [*consoles, again, one_more]:
        console.close()


def test_shutdown_ends_every_console_s_stream() -> None:
    server = DevServer("console-live", {"console-echo": echo}, port=0, limits=Limits(close_timeout=1.0))
    server.start()
    console = SseClient(server.port)
    console.next()  # hello
    server.shutdown()
    with pytest.raises(AssertionError, match="the stream ended"):  # a complete chunked response
        while True:
            console.next(timeout=5)
    assert console.body.endswith(b"\n\n")
    console.close()
