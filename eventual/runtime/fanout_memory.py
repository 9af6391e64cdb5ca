"""The fan-out queue of the dev server and the test client: in memory, the same messages as SQS
(:func:`eventual.fanout.encode_batch`), delivered by the same worker code as Lambda's
(:func:`eventual.runtime.fanout_worker.process`), with SQS's retries and dead-letter queue.

``workers=0`` (the test client): each message is delivered in the ``enqueue`` call, so a
broadcast has reached every connection when it returns. ``workers>0`` (the dev server): that
many daemon threads drain the queue, as Lambda's pollers do; :meth:`join` waits for them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

from eventual.fanout import decode_batch, encode_batch
from eventual.runtime.environment import DEFAULT_FANOUT_CONCURRENCY
from eventual.runtime.fanout_worker import process
from eventual.runtime.sqs import new_broadcast_id

if TYPE_CHECKING:
    from eventual.deployment import Deployment
    from eventual.fanout import FanOutBatch

MAX_RECEIVES = 5
"""Deliveries of a failing message before it moves to :attr:`InMemoryFanOutQueue.dead_letters`
(the redrive policy's ``maxReceiveCount`` the constructs set: 5, as Lambda's SQS guide asks)."""


class Delivery(NamedTuple):
    """One delivery of one message (a batch of a broadcast), for whoever watches the queue."""

    broadcast_id: str
    socket: str
    connections: int
    receives: int
    ms: float
    outcome: str
    """``delivered``, ``retrying`` (it failed; SQS would deliver it again) or ``dead-lettered``."""


class InMemoryFanOutQueue:
    """:class:`eventual.fanout.FanOutQueue` in this process. ``deployment`` is the one whose
    management API and connections the workers use; set it once the deployment exists
    (``Deployment(..., fan_out=lambda: queue)`` comes first)."""

    def __init__(
        self,
        deployment: Deployment | None = None,
        *,
        workers: int = 0,
        concurrency: int = DEFAULT_FANOUT_CONCURRENCY,
        max_receives: int = MAX_RECEIVES,
        observer: Callable[[Delivery], None] | None = None,
    ) -> None:
        self.deployment = deployment
        self.observer = observer
        """Called with each :class:`Delivery`, in the thread that made it (the dev server's
        event feed)."""
        self.concurrency = concurrency
        self.max_receives = max_receives
        self.dead_letters: list[str] = []
        """Messages that failed ``max_receives`` times, as SQS's dead-letter queue keeps them."""
        self.broadcasts: list[str] = []
        """The id of every broadcast queued, oldest first."""
        self._pending: queue.Queue[tuple[str, int] | None] = queue.Queue()
        self._workers = [
            threading.Thread(target=self._drain, name=f"eventual-fan-out-{n}", daemon=True)
            for n in range(workers)
        ]
        for worker in self._workers:
            worker.start()

    def enqueue(self, batches: Iterable[FanOutBatch]) -> str:
        broadcast_id = new_broadcast_id()
        self.broadcasts.append(broadcast_id)
        for batch in batches:
            message = encode_batch(batch, broadcast_id)
            if self._workers:
                self._pending.put((message, 0))
            else:
                self._deliver(message, 0)
        return broadcast_id

    def join(self) -> None:
        """Wait until every queued message is delivered or dead-lettered."""
        self._pending.join()

    def close(self) -> None:
        """Stop the workers once the queue is drained."""
        for _ in self._workers:
            self._pending.put(None)
        for worker in self._workers:
            worker.join()
        self._workers = []

    def _drain(self) -> None:
        while True:
            item = self._pending.get()
            try:
                if item is None:
                    return
                self._deliver(*item)
            finally:
                self._pending.task_done()

    def _deliver(self, message: str, receives: int) -> None:
        """One message, redelivered (at once, or behind the queue) until it succeeds or has
        failed ``max_receives`` times."""
        if self.deployment is None:
            raise RuntimeError("InMemoryFanOutQueue.deployment is not set")
        while True:
            receives += 1
            record = {
                "messageId": f"m{receives}",
                "body": message,
                "attributes": {"ApproximateReceiveCount": str(receives)},
            }
            started = time.perf_counter()
            response = process([record], self.deployment, self.concurrency)
            failed = bool(response["batchItemFailures"])
            if self.observer is not None:
                outcome = "retrying" if receives < self.max_receives else "dead-lettered"
                self._observe(message, receives, started, outcome if failed else "delivered")
            if not failed:
                return
            if receives >= self.max_receives:
                logging.getLogger("eventual").error(
                    "fan-out message dead-lettered after %d receives", receives
                )
                self.dead_letters.append(message)
                return
            if self._workers:
                self._pending.put((message, receives))
                return

    def _observe(self, message: str, receives: int, started: float, outcome: str) -> None:
        assert self.observer is not None
        broadcast_id, batch = decode_batch(message)
        ms = (time.perf_counter() - started) * 1000
        self.observer(Delivery(broadcast_id, batch.socket, len(batch.connection_ids), receives, ms, outcome))
