"""Sending one message to every tracked connection of a socket, with bounded concurrency.

Imported by the first ``broadcast()``: its thread pool and result type cost a cold start otherwise.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from eventual.errors import ConnectionGone
from eventual.payload import checked_payload
from eventual.records import Record, init_fields

if TYPE_CHECKING:
    from eventual.deployment import Deployment
    from eventual.sockets import Socket


def broadcast(
    sock: Socket, deployment: Deployment, data: Any, exclude: set[str], concurrency: int
) -> BroadcastResult:
    """Encode once, then one post per connection; connections stream in page by page.

    The posts run on pool threads, which do not inherit the current deployment: everything
    they use is resolved here, from ``deployment``.
    """
    if concurrency < 1:
        raise ValueError(f"concurrency must be at least 1, got {concurrency}")
    body = checked_payload(data)
    client = deployment.management(sock.name)
    in_flight = threading.BoundedSemaphore(concurrency)
    counts = {"delivered": 0, "gone": 0}
    counts_lock = threading.Lock()

    def post(connection_id: str) -> None:
        try:
            client.post(connection_id, body)
            outcome = "delivered"
        except ConnectionGone:
            sock.forget(connection_id, deployment)
            outcome = "gone"
        with counts_lock:
            counts[outcome] += 1

    failures: list[BaseException] = []

    def settle(future: Future[None]) -> None:
        in_flight.release()
        error = future.exception()
        if error is not None:
            failures.append(error)

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="eventual-broadcast") as pool:
        for record in deployment.connections.connections(sock.name):
            connection_id = record["connectionId"]
            if connection_id in exclude:
                continue
            in_flight.acquire()  # never more than `concurrency` posts queued or running
            pool.submit(post, connection_id).add_done_callback(settle)
    if failures:
        raise failures[0]
    return BroadcastResult(delivered=counts["delivered"], gone=counts["gone"])


class BroadcastResult(Record):
    """What a broadcast did: messages delivered, and connections found gone (and forgotten)."""

    __slots__ = ("delivered", "gone")
    _compared = ("delivered", "gone")

    delivered: int
    gone: int

    def __init__(self, delivered: int, gone: int) -> None:
        init_fields(self, delivered=delivered, gone=gone)
