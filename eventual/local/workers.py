"""Handlers on a bounded pool of threads, with API Gateway's integration timeout.

The event loop hands an event to :meth:`Workers.call` and goes on serving sockets; the answer
comes back to the loop as a callback. A handler that outlives its integration timeout gets the
answer API Gateway gives (its result, when it comes, is logged and dropped); it keeps its thread
until it returns, as a Lambda keeps running after API Gateway gave up on it.

Not a ``ThreadPoolExecutor``: results come back through one queue and one wake-up of the loop
for however many finished meanwhile (measured: bench_local_loop), with no ``Future`` per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from eventual.deployment import Deployment
from eventual.local.limits import WORKERS
from eventual.middleware import runs_on_loop
from eventual.runtime.apigateway import error_response
from eventual.runtime.dispatch import dispatch, dispatch_async, log_failure
from eventual.runtime.integration import integration_timeout, log_late
from eventual.runtime.lanes import Lane
from eventual.runtime.loop import shared_loop
from eventual.sockets import Socket

if TYPE_CHECKING:
    from eventual.runtime.apigateway import LambdaResponse

logger = logging.getLogger("eventual.local")

T = TypeVar("T")
Done = Callable[["LambdaResponse | None", float], None]
"""Called on the loop with the handler's response (``None``: timed out) and its milliseconds."""
SPARE_WORKERS = 8


class _Job:
    __slots__ = ("answered", "done", "event", "sock", "started", "timer")

    def __init__(self, sock: Socket, event: Mapping[str, Any], done: Done) -> None:
        self.sock, self.event, self.done = sock, event, done
        self.started = time.perf_counter()
        self.answered = False
        self.timer: asyncio.TimerHandle | None = None


Work = _Job | Callable[[], None]


class Workers:
    """Runs handlers for one dev server: ``size`` threads at most, whatever the load."""

    def __init__(self, deployment: Deployment, size: int = WORKERS) -> None:
        self.deployment = deployment
        self._main: Lane[Work] = Lane(size, "eventual-handler", self._work, logger)
        self._spare: Lane[Work] = Lane(SPARE_WORKERS, "eventual-disconnect", self._work, logger)
        self._results: deque[tuple[_Job, LambdaResponse, float]] = deque()
        self._wake_pending = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async_jobs: deque[_Job] = deque()
        self._async_wake_pending = False
        self._async_tasks: set[asyncio.Task[None]] = set()

    def call(self, sock: Socket, event: Mapping[str, Any], done: Done, *, spare: bool = False) -> None:
        """Run ``sock`` on ``event`` in a worker; ``done`` follows on the running loop.

        ``spare`` runs it on a separate small pool: shutdown's ``$disconnect``s must not wait
        behind handlers that are still busy.
        """
        loop = self._loop
        if loop is None:  # once: get_running_loop() makes a getpid() system call (a fork check)
            loop = self._loop = asyncio.get_running_loop()
        job = _Job(sock, event, done)
        job.timer = loop.call_later(integration_timeout(sock), self._time_out, job)
        if not spare and runs_on_loop(sock.dispatcher(event["requestContext"]["routeKey"])):
            # An async def chain goes straight to the process's handler loop: no thread of the
            # pool waits for it, and its module's loop-bound caches stay on one loop. A chain
            # with def steps takes a thread, where they run (eventual.bridge).
            self._async_jobs.append(job)
            if not self._async_wake_pending:  # one wake-up of that loop for all queued meanwhile
                self._async_wake_pending = True
                shared_loop().call_soon_threadsafe(self._start_async)
        else:
            (self._spare if spare else self._main).put(job)

    def answer(
        self, sock: Socket, event: Mapping[str, Any]
    ) -> asyncio.Future[tuple[LambdaResponse | None, float]]:
        """:meth:`call`, as a future of the loop (the handshake awaits ``$connect``)."""
        future: asyncio.Future[tuple[LambdaResponse | None, float]] = (
            asyncio.get_running_loop().create_future()
        )

        def done(response: LambdaResponse | None, ms: float) -> None:
            if not future.done():
                future.set_result((response, ms))

        self.call(sock, event, done)
        return future

    async def run(self, fn: Callable[[], T]) -> T:
        """Any other user code (an authorizer), on the same bounded pool."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()

        def settle(value: T | None, error: BaseException | None) -> None:
            if future.done():
                return
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)  # type: ignore[arg-type]

        def work() -> None:
            try:
                value, error = fn(), None
            except BaseException as raised:  # delivered to the awaiting coroutine
                value, error = None, raised
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(settle, value, error)

        self._main.put(work)
        return await future

    # -- in a worker thread -------------------------------------------------------------------

    def _work(self, work: Work) -> None:
        if not isinstance(work, _Job):
            work()
            return
        response, ms = _run(work.sock, work.event, self.deployment)
        self._answer_later(work, response, ms)

    def _start_async(self) -> None:
        """On the handler loop: a task for every async job queued."""
        self._async_wake_pending = False
        loop = asyncio.get_running_loop()
        while self._async_jobs:
            task = loop.create_task(self._await(self._async_jobs.popleft()))
            self._async_tasks.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(self._async_tasks.discard)

    async def _await(self, job: _Job) -> None:
        """On the handler loop."""
        started = time.perf_counter()
        try:
            response = await dispatch_async(job.sock, job.event, self.deployment)
        except BaseException as error:  # sys.exit() in a handler: a failure like any other
            response = _failed(job.sock, job.event, error)
        self._answer_later(job, response, (time.perf_counter() - started) * 1000)

    def _answer_later(self, job: _Job, response: LambdaResponse, ms: float) -> None:
        """From any thread: queue the answer, wake the loop if no wake-up is pending."""
        self._results.append((job, response, ms))
        if not self._wake_pending:  # one wake-up of the loop for every result queued meanwhile
            self._wake_pending = True
            loop = self._loop
            if loop is not None:
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(self._deliver)

    # -- on the loop --------------------------------------------------------------------------

    def _deliver(self) -> None:
        self._wake_pending = False
        while self._results:
            job, response, ms = self._results.popleft()
            if job.timer is not None:
                job.timer.cancel()
            if job.answered:  # API Gateway had given up on it
                log_late(logger, job.sock, job.event, response.get("statusCode"))
            else:
                job.answered = True
                job.done(response, ms)

    @staticmethod
    def _time_out(job: _Job) -> None:
        if not job.answered:
            job.answered = True
            job.done(None, (time.perf_counter() - job.started) * 1000)

    def drop_queued(self) -> None:
        """Shutdown: drop the handlers not started yet (they were waiting for a thread). A
        ``$disconnect`` among them moves to the spare pool: every one runs."""
        for work in self._main.drain():
            if not isinstance(work, _Job):
                continue
            if work.event["requestContext"]["eventType"] == "DISCONNECT":
                self._spare.put(work)
            elif self._loop is not None:
                self._loop.call_soon_threadsafe(self._time_out_dropped, work)

    @staticmethod
    def _time_out_dropped(job: _Job) -> None:
        if job.timer is not None:
            job.timer.cancel()
        if not job.answered:
            job.answered = True
            job.done(None, 0.0)

    def shutdown(self) -> None:
        """Stop taking work; threads still in a handler finish it on their own (never joined)."""
        self._main.stop()
        self._spare.stop()


def _run(sock: Socket, event: Mapping[str, Any], deployment: Deployment) -> tuple[LambdaResponse, float]:
    started = time.perf_counter()
    try:
        response = dispatch(sock, event, deployment)
    except BaseException as error:  # sys.exit() in a handler: a failure like any other
        response = _failed(sock, event, error)
    return response, (time.perf_counter() - started) * 1000


def _failed(sock: Socket, event: Mapping[str, Any], error: BaseException) -> LambdaResponse:
    log_failure(sock, event, error)
    rc = event["requestContext"]
    return error_response(rc.get("connectionId", ""), rc.get("requestId", ""))
