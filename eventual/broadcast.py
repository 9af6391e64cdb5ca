"""Sending one message to every tracked connection of a socket, with bounded concurrency, in
process or through the service's fan-out queue (:mod:`eventual.fanout`).

Imported by the first ``broadcast()``: its thread pool and result type cost a cold start otherwise.
The fan-out workers (``eventual.runtime.fanout_worker``) post their batches with :func:`post_each`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from eventual.deployment import remaining_ms
from eventual.errors import ConnectionGone
from eventual.payload import checked_payload
from eventual.records import Record, init_fields

if TYPE_CHECKING:
    from eventual.deployment import Deployment, ManagementApi
    from eventual.fanout import FanOutQueue
    from eventual.sockets import Socket

RESERVE_MS = 2_000
"""When the invocation has less than this left, the rest of the room goes to the fan-out queue:
time to read the rest of the table, queue it and return before Lambda's timeout."""


def broadcast(
    sock: Socket,
    deployment: Deployment,
    data: Any,
    exclude: set[str],
    concurrency: int,
    fan_out_above: int | None = None,
) -> BroadcastResult:
    """Encode once; then queue the room if it is larger than the threshold, or post to each
    connection here, connections streaming in page by page, until the time runs low."""
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    threshold = _threshold(fan_out_above, sock.options.fan_out_above, deployment.fan_out_above)
    body = checked_payload(data)
    records = deployment.connections.connections(sock.name)
    ids: Iterator[str] = (r["connectionId"] for r in records if r["connectionId"] not in exclude)
    queue = deployment.fan_out
    if queue is None:  # no queue: in process, whatever the size or the time, as ever
        delivered, gone = post_each(
            deployment.management(sock.name), body, ids, concurrency, _forget(sock, deployment)
        )
        return BroadcastResult(delivered, gone)
    head = list(islice(ids, threshold + 1))
    if len(head) > threshold:
        return _queue(sock, queue, body, chain(head, ids), 0, 0)
    ids = iter(head)
    time_left = remaining_ms()
    delivered, gone = post_each(
        deployment.management(sock.name),
        body,
        ids,
        concurrency,
        _forget(sock, deployment),
        stop=None if time_left is None else lambda: time_left() < RESERVE_MS,
    )
    return _queue(sock, queue, body, ids, delivered, gone)


def _threshold(*choices: int | None) -> int:
    threshold = next(choice for choice in choices if choice is not None)
    if threshold < 0:
        raise ValueError(f"fan_out_above must be at least 0, got {threshold}")
    return threshold


def _queue(
    sock: Socket, queue: FanOutQueue, body: bytes, ids: Iterator[str], delivered: int, gone: int
) -> BroadcastResult:
    """Queue what is left of ``ids`` (nothing: no broadcast id)."""
    from eventual.fanout import batches_of

    first = next(ids, None)
    if first is None:
        return BroadcastResult(delivered, gone)
    queued = 0

    def counted() -> Iterator[str]:
        nonlocal queued
        for connection_id in chain((first,), ids):
            queued += 1
            yield connection_id

    broadcast_id = queue.enqueue(batches_of(sock.name, body, counted()))
    return BroadcastResult(delivered, gone, queued=queued, broadcast_id=broadcast_id)


def _forget(sock: Socket, deployment: Deployment) -> Callable[[str], None]:
    return lambda connection_id: sock.forget(connection_id, deployment)


def post_each(
    client: ManagementApi,
    body: bytes,
    ids: Iterator[str],
    concurrency: int,
    forget: Callable[[str], None],
    *,
    stop: Callable[[], bool] | None = None,
) -> tuple[int, int]:
    """Post ``body`` to each id, ``concurrency`` at a time; forget gone ones. Returns (delivered,
    gone); raises the first other failure once every started post has ended. With ``stop``, takes
    no further id once it says so: the rest stay in ``ids``.

    The posts run on pool threads, which do not inherit the current deployment: everything they
    use comes in as arguments.
    """
    in_flight = threading.BoundedSemaphore(concurrency)
    counts = {"delivered": 0, "gone": 0}
    counts_lock = threading.Lock()
    failures: list[BaseException] = []

    def post(connection_id: str) -> None:
        try:
            client.post(connection_id, body)
            outcome = "delivered"
        except ConnectionGone:
            forget(connection_id)
            outcome = "gone"
        with counts_lock:
            counts[outcome] += 1

    def settle(future: Future[None]) -> None:
        in_flight.release()
        error = future.exception()
        if error is not None:
            failures.append(error)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eventual-broadcast") as pool:
        while stop is None or not stop():
            connection_id = next(ids, None)
            if connection_id is None:
                break
            in_flight.acquire()  # never more than `concurrency` posts queued or running
            pool.submit(post, connection_id).add_done_callback(settle)
    if failures:
        raise failures[0]
    return counts["delivered"], counts["gone"]


class BroadcastResult(Record):
    """What a broadcast did: messages ``delivered`` in process, connections found ``gone`` (and
    forgotten), and connections ``queued`` for the fan-out workers under ``broadcast_id``
    (``None`` when nothing was queued)."""

    __slots__ = ("broadcast_id", "delivered", "gone", "queued")
    _compared = ("delivered", "gone", "queued", "broadcast_id")

    delivered: int
    gone: int
    queued: int
    broadcast_id: str | None

    def __init__(self, delivered: int, gone: int, queued: int = 0, broadcast_id: str | None = None) -> None:
        init_fields(self, delivered=delivered, gone=gone, queued=queued, broadcast_id=broadcast_id)
