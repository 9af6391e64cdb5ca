"""A bounded lane of daemon threads: the dev server's workers and the test client's handlers run
on it.

Not a ``ThreadPoolExecutor``: its threads are daemons (a handler that never returns must not
keep the process from exiting, as a Lambda that outlives API Gateway's timeout does not keep a
client waiting), they start on demand, and a thread the system refuses to start is logged while
the work waits for a running one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Generic, TypeVar

W = TypeVar("W")


class Lane(Generic[W]):
    """A queue and the threads (``size`` at most, started on demand) that take from it and call
    ``run`` with each piece of work. A thread that cannot start is reported to ``logger``."""

    def __init__(self, size: int, name: str, run: Callable[[W], None], logger: logging.Logger) -> None:
        self.size, self.name, self.run, self.logger = size, name, run, logger
        self.queue: SimpleQueue[W | None] = SimpleQueue()
        self.threads = 0
        self.idle = 0
        self.lock = threading.Lock()

    def put(self, work: W) -> None:
        with self.lock:
            start = self.idle == 0 and self.threads < self.size
            if start:
                self.threads += 1
        self.queue.put(work)
        if start:
            self._start_thread()

    def _start_thread(self) -> None:
        """One more thread; when the system refuses it, the work waits for a running one (or
        its integration timeout) and the caller goes on: no exception reaches it."""
        try:
            threading.Thread(target=self._work, name=f"{self.name}-{self.threads}", daemon=True).start()
        except RuntimeError as error:  # "can't start new thread"
            with self.lock:
                self.threads -= 1
            self.logger.warning(
                "could not start a %s thread (%s); %d running take the work", self.name, error, self.threads
            )

    def _work(self) -> None:
        while True:
            with self.lock:
                self.idle += 1
            work = self.queue.get()
            with self.lock:
                self.idle -= 1
            if work is None:
                return
            self.run(work)

    def drain(self) -> list[W]:
        """Take what no thread has started."""
        taken = []
        with contextlib.suppress(Empty):
            while True:
                work = self.queue.get_nowait()
                if work is not None:
                    taken.append(work)
        return taken

    def stop(self) -> None:
        for _ in range(self.threads):
            self.queue.put(None)
