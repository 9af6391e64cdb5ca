"""A broadcast past the fan-out threshold on the dev server: the rest of the room goes to the
in-memory queue, whose workers post through the server's management API, as Lambda workers post
through API Gateway's. Every connection receives the message exactly once."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from typing import Any

from websockets.sync.client import connect

from eventual import socket
from eventual.local import DevServer, Limits

ROOM = 12


def shout(request: Any, context: Any) -> Any:
    result = crowd.broadcast(request.body)
    return {"delivered": result.delivered, "queued": result.queued, "id": result.broadcast_id}


crowd = socket("local-crowd", {"$default": shout}, track_connections=True, fan_out_above=3)


def test_every_connection_receives_a_fanned_out_broadcast_exactly_once() -> None:
    with DevServer("fan-out", {"local-crowd": crowd}, port=0, limits=Limits(close_timeout=1.0)) as server:
        url = server.socket_urls("local-crowd")["wss"]
        with ExitStack() as stack:
            clients = [stack.enter_context(connect(url)) for _ in range(ROOM)]
            sender = clients[0]
            sender.send("hello, room")
            frames = [sender.recv(timeout=10), sender.recv(timeout=10)]
            answer = json.loads(next(f for f in frames if str(f).startswith("{")))
            assert (answer["delivered"], answer["queued"]) == (0, ROOM)  # the whole room was queued
            assert answer["id"] in server.fan_out.broadcasts  # type: ignore[union-attr]
            assert "hello, room" in frames
            for other in clients[1:]:
                assert other.recv(timeout=10) == "hello, room"
            assert server.fan_out is not None
            server.fan_out.join()
            assert server.fan_out.dead_letters == []
            for client in clients:  # exactly once: nothing more arrives
                try:
                    extra = client.recv(timeout=0.3)
                except TimeoutError:
                    extra = None
                assert extra is None


def test_each_fanned_out_batch_is_one_record_of_the_feed() -> None:
    """The console and the terminal see a fan-out worker's batch as one event: the broadcast's
    id where a connection would be, how many connections it reached."""
    with DevServer("fan-out", {"local-crowd": crowd}, port=0, limits=Limits(close_timeout=1.0)) as server:
        url = server.socket_urls("local-crowd")["wss"]
        with ExitStack() as stack:
            clients = [stack.enter_context(connect(url)) for _ in range(4)]
            clients[0].send("hello, four")
            answer = next(
                json.loads(str(frame))
                for frame in (clients[0].recv(timeout=10), clients[0].recv(timeout=10))
                if str(frame).startswith("{")
            )
            assert server.fan_out is not None
            server.fan_out.join()
            deadline = time.monotonic() + 5
            while not (batches := [e for e in list(server.feed.recent) if e.kind == "fan-out"]):
                assert time.monotonic() < deadline, list(server.feed.recent)
                time.sleep(0.01)
        (batch,) = batches
        assert (batch.socket, batch.route, batch.connection, batch.status, batch.detail) == (
            "local-crowd",
            "fan-out",
            answer["id"],
            200,
            "4 connections",
        )
        posts = [e for e in list(server.feed.recent) if e.kind == "management" and e.seq < batch.seq]
        assert len(posts) == 4  # the worker's posts, each through the management API
