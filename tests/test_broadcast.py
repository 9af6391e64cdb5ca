"""``broadcast`` in the core: in process below the threshold, through the fan-out queue above it
or when the invocation's time runs low; every connection counted once, in one place or the other."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable, Iterator

import pytest

from eventual import BroadcastResult, ConnectionGone, socket
from eventual.broadcast import post_each
from eventual.connections import Connection
from eventual.deployment import Deployment, SocketUrls, remaining_ms
from eventual.fanout import (
    MAX_BATCH_IDS,
    MAX_MESSAGE_BYTES,
    FanOutBatch,
    batches_of,
    decode_batch,
    encode_batch,
)
from eventual.payload import MAX_PAYLOAD_BYTES
from eventual.runtime.connections import InMemoryConnectionStore


class RecordingApi:
    def __init__(self, gone: Iterable[str] = ()) -> None:
        self.posted: list[str] = []
        self.gone = set(gone)

    def post(self, connection_id: str, body: bytes) -> None:
        if connection_id in self.gone:
            raise ConnectionGone(connection_id)
        self.posted.append(connection_id)

    def disconnect(self, connection_id: str) -> None:
        raise AssertionError("not used")

    def info(self, connection_id: str) -> object:
        raise AssertionError("not used")


class RecordingQueue:
    def __init__(self) -> None:
        self.batches: list[FanOutBatch] = []

    def enqueue(self, batches: Iterable[FanOutBatch]) -> str:
        self.batches.extend(batches)
        return f"b{len(self.batches)}"

    def ids(self) -> list[str]:
        return [cid for batch in self.batches for cid in batch.connection_ids]


IDS = [f"C{n:04d}=" for n in range(25)]


def room_of(
    ids: list[str] = IDS, *, queue: RecordingQueue | None = None, above: int = 1000, gone: Iterable[str] = ()
) -> tuple[Deployment, RecordingApi]:
    store = InMemoryConnectionStore()
    for connection_id in ids:
        store.put("room", connection_id, None)
    api = RecordingApi(gone)
    deployment = Deployment(
        "svc",
        {"room": SocketUrls("wss://x", "https://x")},
        management=lambda url: api,
        connections=store,
        fan_out=(lambda: queue) if queue is not None else None,
        fan_out_above=above,
    )
    return deployment, api


def test_below_the_threshold_every_connection_is_posted_in_process_and_nothing_queued() -> None:
    room = socket("room", track_connections=True)
    queue = RecordingQueue()
    deployment, api = room_of(queue=queue, above=25, gone=[IDS[3]])
    with deployment.activate():
        result = room.broadcast("hi", exclude=IDS[0])
    assert result == BroadcastResult(delivered=23, gone=1)
    assert (result.queued, result.broadcast_id) == (0, None)
    assert sorted(api.posted) == sorted(set(IDS) - {IDS[0], IDS[3]})
    assert queue.batches == []
    assert IDS[3] not in [r["connectionId"] for r in deployment.connections.connections("room")]


def test_above_the_threshold_the_whole_room_is_queued_once_and_nothing_posted_here() -> None:
    room = socket("room", track_connections=True)
    queue = RecordingQueue()
    deployment, api = room_of(queue=queue, above=10)
    with deployment.activate():
        result = room.broadcast({"n": 1}, exclude=[IDS[0], IDS[1]])
    assert api.posted == []
    assert sorted(queue.ids()) == sorted(IDS[2:])  # each once, the excluded never
    assert result == BroadcastResult(delivered=0, gone=0, queued=23, broadcast_id=result.broadcast_id)
    assert result.broadcast_id == "b1"
    assert {batch.body for batch in queue.batches} == {b'{"n":1}'}
    assert {batch.socket for batch in queue.batches} == {"room"}


def test_the_threshold_is_the_calls_then_the_sockets_then_the_services() -> None:
    def queued(above_in_call: int | None, above_in_socket: int | None) -> int:
        room = socket("room", track_connections=True, fan_out_above=above_in_socket)
        deployment, _ = room_of(queue=RecordingQueue(), above=100)
        with deployment.activate():
            return room.broadcast("x", fan_out_above=above_in_call).queued

    assert queued(None, None) == 0  # the service's 100
    assert queued(None, 24) == 25
    assert queued(25, 24) == 0
    assert queued(0, None) == 25  # 0: always fan out


def test_without_a_queue_a_large_room_stays_in_process_as_before() -> None:
    room = socket("room", track_connections=True)
    deployment, api = room_of(above=1)
    with deployment.activate():
        assert room.broadcast("hi") == BroadcastResult(delivered=25, gone=0)
    assert sorted(api.posted) == IDS


def test_when_time_runs_low_the_rest_of_the_room_is_queued() -> None:
    room = socket("room", track_connections=True)
    queue = RecordingQueue()
    deployment, api = room_of(queue=queue)
    clock = iter([60_000, 60_000, 60_000])  # three checks with time to spare, then 0 ms left

    with deployment.activate(remaining_ms=lambda: next(clock, 0)):
        result = room.broadcast("hi", concurrency=1)
    assert result.delivered == len(api.posted) == 3
    assert (result.queued, result.broadcast_id) == (22, "b1")
    assert sorted(api.posted + queue.ids()) == IDS  # each exactly once, here or queued


def test_the_remaining_time_is_scoped_to_its_activation() -> None:
    deployment, _ = room_of()
    with deployment.activate(remaining_ms=lambda: 5):
        assert remaining_ms() is not None and remaining_ms()() == 5  # type: ignore[misc]
        with deployment.activate():
            assert remaining_ms() is None
        assert remaining_ms() is not None
    assert remaining_ms() is None


def test_a_negative_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="fan_out_above"):
        socket("room", track_connections=True, fan_out_above=-1)
    room = socket("room2", track_connections=True)
    deployment, _ = room_of(queue=RecordingQueue())
    with deployment.activate(), pytest.raises(ValueError, match="fan_out_above"):
        room.broadcast("x", fan_out_above=-1)


def test_a_batch_of_a_128_kb_payload_fits_one_sqs_message() -> None:
    body = bytes(range(256)) * (MAX_PAYLOAD_BYTES // 256)
    ids = [base64.urlsafe_b64encode(n.to_bytes(11, "big")).decode() for n in range(20_000)]
    batches = list(batches_of("room", body, iter(ids)))
    assert [cid for batch in batches for cid in batch.connection_ids] == ids
    for batch in batches:
        message = encode_batch(batch, "0123456789abcdef01")
        assert len(message.encode()) <= MAX_MESSAGE_BYTES
        assert decode_batch(message) == ("0123456789abcdef01", batch)
    assert len(batches) > 1  # the payload leaves room for some ids only


def test_a_small_payload_batches_by_count() -> None:
    ids = [f"id{n}" for n in range(MAX_BATCH_IDS * 2 + 1)]
    sizes = [len(batch.connection_ids) for batch in batches_of("room", b"hi", ids)]
    assert sizes == [MAX_BATCH_IDS, MAX_BATCH_IDS, 1]


def test_ids_that_need_escaping_are_measured_as_json_writes_them() -> None:
    ids = ['quote"d', "back\\slash", "ünï", "tab\t"] * 2000
    body = b"x" * MAX_PAYLOAD_BYTES
    for batch in batches_of("room", body, ids):
        assert len(encode_batch(batch, "id").encode()) <= MAX_MESSAGE_BYTES


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        json.dumps({"v": 2, "broadcast": "b", "socket": "s", "data": "", "ids": []}),
        json.dumps({"v": 1, "broadcast": "b", "socket": "s", "data": "", "ids": "abc"}),
        json.dumps({"v": 1, "broadcast": "b", "socket": "s", "data": "!!", "ids": []}),
        json.dumps({"v": 1, "socket": "s", "data": "", "ids": []}),
        "[]",
    ],
)
def test_a_message_that_is_no_batch_is_refused(message: str) -> None:
    with pytest.raises(ValueError, match="not a fan-out message"):
        decode_batch(message)


# -- the edges mutation testing found (docs/mutation.md) ----------------------------------------


class CountingStore(InMemoryConnectionStore):
    """Counts the records a broadcast has read from the table."""

    def __init__(self) -> None:
        super().__init__()
        self.read = 0

    def connections(self, socket: str) -> Iterator[Connection]:
        for record in super().connections(socket):
            self.read += 1
            yield record


def test_a_room_above_the_threshold_is_queued_after_reading_one_record_past_it() -> None:
    """The room is read page by page, not whole: deciding to queue costs threshold + 1 records."""
    room = socket("room", track_connections=True)
    store = CountingStore()
    for connection_id in IDS:
        store.put("room", connection_id, None)
    read_when_queued: list[int] = []

    class Queue(RecordingQueue):
        def enqueue(self, batches: Iterable[FanOutBatch]) -> str:
            read_when_queued.append(store.read)
            return super().enqueue(batches)

    queue = Queue()
    deployment = Deployment(
        "svc",
        {"room": SocketUrls("wss://x", "https://x")},
        management=lambda url: RecordingApi(),
        connections=store,
        fan_out=lambda: queue,
        fan_out_above=10,
    )
    with deployment.activate():
        result = room.broadcast("hi")
    assert read_when_queued == [11]
    assert (result.delivered, result.gone, result.queued) == (0, 0, 25)


@pytest.mark.parametrize(("left", "delivered"), [(2_000, 25), (1_999, 0)])
def test_two_seconds_left_still_posts_here_and_less_queues(left: int, delivered: int) -> None:
    room = socket("room", track_connections=True)
    queue = RecordingQueue()
    deployment, _ = room_of(queue=queue)
    with deployment.activate(remaining_ms=lambda: left):
        result = room.broadcast("hi")
    assert (result.delivered, result.queued) == (delivered, 25 - delivered)


def test_a_result_holds_what_it_was_given() -> None:
    result = BroadcastResult(1, 2, 3, "b9")
    assert (result.delivered, result.gone, result.queued, result.broadcast_id) == (1, 2, 3, "b9")
    assert (BroadcastResult(4, 5).queued, BroadcastResult(4, 5).broadcast_id) == (0, None)


def test_concurrency_below_one_is_refused_by_name() -> None:
    room = socket("room", track_connections=True)
    deployment, _ = room_of()
    with deployment.activate(), pytest.raises(ValueError) as refused:
        room.broadcast("hi", concurrency=0)
    assert str(refused.value) == "concurrency must be at least 1, got 0"


def test_posts_run_concurrency_at_a_time_on_named_threads() -> None:
    """Forty at once (more than a thread pool's default of at most 32), on threads a log's
    ``%(threadName)s`` names: forty posts that each wait for the others return only if all forty
    run together."""
    meeting = threading.Barrier(40, timeout=10)
    threads: set[str] = set()

    class Meeting(RecordingApi):
        def post(self, connection_id: str, body: bytes) -> None:
            threads.add(threading.current_thread().name.rsplit("_", 1)[0])
            meeting.wait()
            super().post(connection_id, body)

    ids = [f"D{n:02d}=" for n in range(80)]
    assert post_each(Meeting(), b"hi", iter(ids), 40, lambda cid: None) == (80, 0)
    assert threads == {"eventual-broadcast"}


def test_a_post_that_fails_otherwise_is_raised_after_the_others_ran() -> None:
    class Refusing(RecordingApi):
        def post(self, connection_id: str, body: bytes) -> None:
            if connection_id == "C0003=":
                raise PermissionError("refused")
            super().post(connection_id, body)

    api, forgotten = Refusing(gone=["C0004="]), []
    with pytest.raises(PermissionError, match=r"^refused$"):
        post_each(api, b"hi", iter(IDS), 4, forgotten.append)
    assert sorted(api.posted) == sorted(set(IDS) - {"C0003=", "C0004="})
    assert forgotten == ["C0004="]
