"""The test client's fan-out: a broadcast to more connections than the threshold goes through the
in-memory queue and the worker Lambda runs, and reaches every connection exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from eventual import Context, MessageRequest, socket
from eventual.errors import ConnectionGone
from eventual.fanout import FanOutBatch, decode_batch
from eventual.runtime.fanout_memory import InMemoryFanOutQueue
from eventual.testing import SocketTestClient

ROOM = 60
THRESHOLD = 7


def test_a_broadcast_above_the_threshold_reaches_every_connection_exactly_once() -> None:
    def shout(request: MessageRequest, context: Context) -> dict[str, Any]:
        result = room.broadcast(request.body, exclude=request.connection_id)
        return {"delivered": result.delivered, "queued": result.queued}

    room = socket("room", {"$default": shout}, track_connections=True, fan_out_above=THRESHOLD)
    with SocketTestClient(room) as client:
        people = [client.connect("room") for _ in range(ROOM)]
        people[5].close()  # gone before the broadcast: no longer tracked, never posted

        reply = people[0].send("hello")

        assert reply == '{"delivered":0,"queued":58}'
        assert [len(p.received) for p in people] == [0] + [1] * 4 + [0] + [1] * (ROOM - 6)
        assert all(p.received == ["hello"] for p in people[1:] if p.open)
        assert len(client.fan_out.broadcasts) == 1 and client.fan_out.dead_letters == []


def test_below_the_threshold_the_broadcast_stays_in_process() -> None:
    room = socket("room", track_connections=True)
    with SocketTestClient(room, fan_out_above=3) as client:
        people = [client.connect("room") for _ in range(3)]
        with client.deployment.activate():
            result = room.broadcast("hi")
        assert (result.delivered, result.queued, result.broadcast_id) == (3, 0, None)
        assert [p.received for p in people] == [["hi"]] * 3
        assert client.fan_out.broadcasts == []


def test_a_threaded_queue_delivers_every_batch_once_when_drained() -> None:
    """The dev server's mode: workers drain the queue behind the broadcast."""
    room = socket("room", track_connections=True)
    with SocketTestClient(room, fan_out_above=0) as client:
        queue = InMemoryFanOutQueue(client.deployment, workers=3, concurrency=4)
        client.fan_out = queue  # the deployment asks for it on first use
        people = [client.connect("room") for _ in range(ROOM)]
        with client.deployment.activate():
            result = room.broadcast("hi", concurrency=2)
        queue.join()
        queue.close()
        assert result.queued == ROOM and result.broadcast_id == queue.broadcasts[0]
        assert [p.received for p in people] == [["hi"]] * ROOM


class Failing:
    """A management API that fails every post of one connection, as a throttled API would."""

    def __init__(self, bad: str) -> None:
        self.bad = bad
        self.posts: list[str] = []

    def post(self, connection_id: str, body: bytes) -> None:
        self.posts.append(connection_id)
        if connection_id == self.bad:
            raise RuntimeError("throttled")

    def disconnect(self, connection_id: str) -> None:
        raise ConnectionGone(connection_id)

    def info(self, connection_id: str) -> Any:
        raise ConnectionGone(connection_id)


@pytest.mark.parametrize("workers", [0, 2])
def test_a_batch_that_keeps_failing_is_retried_then_dead_lettered_not_dropped(workers: int) -> None:
    from eventual.deployment import Deployment, SocketUrls

    api = Failing("B=")
    deployment = Deployment("svc", {"room": SocketUrls("wss://x", "https://x")}, management=lambda url: api)
    queue = InMemoryFanOutQueue(deployment, workers=workers, concurrency=1)
    queue.enqueue([FanOutBatch("room", b"x", ["A=", "B="]), FanOutBatch("room", b"y", ["C="])])
    queue.join()
    queue.close()
    assert [decode_batch(m)[1].connection_ids for m in queue.dead_letters] == [("A=", "B=")]
    # Five receives, as the cloud's redrive policy allows (issue 19 item 12), then the DLQ.
    assert sorted(api.posts) == sorted(["A=", "B="] * 5 + ["C="])
