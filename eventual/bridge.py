"""``def`` and ``async def`` code of one event, each where it can run: a chain that mixes them.

A chain with a ``def`` middleware in front of an ``async def`` handler (the README's ``timed``,
say) runs as a coroutine on the process's handler loop (:mod:`eventual.runtime.loop`), yet its
``def`` steps must not run on that loop: a ``def`` middleware calls ``next()`` and expects the
handler's result, and waiting on the loop for the loop's own work would never end; a ``def``
handler that blocks would also stall every ``async def`` handler of the process.

So a ``def`` step is handed to *the event's thread*, the thread that waits for the chain's
coroutine: Lambda's own thread, a dev-server worker, the test client's. While it waits
(:func:`wait_for`) it runs the ``def`` steps the coroutine hands it (:func:`off_loop`), and a
``def`` step's ``next()`` waits the same way for the rest of the chain. However often a chain
alternates, its ``def`` code runs on that one thread and its ``async def`` code on the loop: no
thread is taken from anywhere else, so nothing can run out of threads and deadlock. Only a
coroutine that no thread waits for (started on the loop itself) has its ``def`` steps run on a
thread of the loop's default executor, which then serves the steps below them.

Costs nothing until a mixed chain runs: ``eventual.middleware`` imports this module only then.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Coroutine
from contextvars import ContextVar, copy_context
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import asyncio
    import concurrent.futures

T = TypeVar("T")


class _Inbox:
    """The ``def`` work handed to one waiting thread, until what it waits for is done."""

    __slots__ = ("_closed", "_lock", "_queue")

    def __init__(self) -> None:
        self._queue: SimpleQueue[Callable[[], None] | None] = SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False

    def put(self, work: Callable[[], None]) -> bool:
        """Hand ``work`` to the waiting thread; ``False`` once it no longer waits."""
        with self._lock:
            if self._closed:
                return False
            self._queue.put(work)
            return True

    def close(self, *_: object) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._queue.put(None)

    def serve(self) -> None:
        """Run what is handed in until :meth:`close`."""
        try:
            while (work := self._queue.get()) is not None:
                work()
        finally:
            self.close()  # left early (KeyboardInterrupt): later work goes elsewhere


_waiting: ContextVar[_Inbox | None] = ContextVar("eventual_waiting_thread", default=None)
"""The inbox of the thread that waits for the running coroutine, if one does. The coroutine's
task copies the context of :func:`wait_for`'s caller, so the coroutine sees its waiter's inbox."""


def wait_for(coroutine: Coroutine[Any, Any, T], loop: asyncio.AbstractEventLoop) -> T:
    """Run ``coroutine`` on ``loop`` (not this thread's) and return its result or raise its
    exception, running meanwhile, on this thread, the ``def`` steps it hands back."""
    import asyncio

    inbox = _Inbox()
    token = _waiting.set(inbox)
    try:
        # The task is created in a copy of this context: the inbox (and the deployment) travel.
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coroutine, loop)
    finally:
        _waiting.reset(token)
    future.add_done_callback(inbox.close)
    try:
        inbox.serve()
    finally:
        if not future.done():  # this thread stopped waiting (KeyboardInterrupt): so does the chain
            future.cancel()
    return future.result()


async def off_loop(fn: Callable[[], T]) -> T:
    """Run ``def`` code ``fn`` on the event's thread (off the loop) and return its result, or
    raise its exception; the current context (the deployment) travels with it."""
    import asyncio

    loop = asyncio.get_running_loop()
    context = copy_context()
    inbox = _waiting.get()
    result: asyncio.Future[T] = loop.create_future()

    def settle(value: Any, error: BaseException | None) -> None:
        if result.done():  # the chain was cancelled meanwhile
            return
        if error is not None:
            result.set_exception(error)
        else:
            result.set_result(value)

    def work() -> None:
        try:
            value = context.run(fn)
        except Exception as error:
            loop.call_soon_threadsafe(settle, None, error)
        except BaseException:  # KeyboardInterrupt, SystemExit: the waiting thread's to raise
            loop.call_soon_threadsafe(result.cancel)
            raise
        else:
            loop.call_soon_threadsafe(settle, value, None)

    if inbox is None or not inbox.put(work):
        return await loop.run_in_executor(None, context.run, fn)
    return await result
