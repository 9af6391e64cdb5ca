"""Handlers on a bounded pool of threads, with API Gateway's integration timeout.

The event loop hands an event to :meth:`Workers.call` and goes on serving sockets; the answer
comes back to the loop as a callback. A handler that outlives its integration timeout gets the
answer API Gateway gives (its result, when it comes, is logged and dropped); it keeps its thread
until it returns, as a Lambda keeps running after API Gateway gave up on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from eventual.deployment import Deployment
from eventual.local.limits import INTEGRATION_TIMEOUT, WORKERS
from eventual.runtime.apigateway import error_response
from eventual.runtime.dispatch import dispatch, log_failure
from eventual.sockets import Socket

if TYPE_CHECKING:
    from eventual.runtime.apigateway import LambdaResponse

logger = logging.getLogger("eventual.local")

T = TypeVar("T")
Done = Callable[["LambdaResponse | None", float], None]
"""Called on the loop with the handler's response (``None``: timed out) and its milliseconds."""


def integration_timeout(sock: Socket) -> float:
    """The socket's ``timeout`` when lower than API Gateway's 29 s: the Lambda ends first."""
    timeout = sock.options.timeout
    return INTEGRATION_TIMEOUT if timeout is None else min(float(timeout), INTEGRATION_TIMEOUT)


class Workers:
    """Runs handlers for one dev server: ``size`` threads at most, whatever the load."""

    def __init__(self, deployment: Deployment, size: int = WORKERS) -> None:
        self.deployment = deployment
        self._pool = ThreadPoolExecutor(size, thread_name_prefix="eventual-handler")
        self._spare: ThreadPoolExecutor | None = None

    def call(self, sock: Socket, event: Mapping[str, Any], done: Done, *, spare: bool = False) -> None:
        """Run ``sock`` on ``event`` in a worker; ``done`` follows on the running loop.

        ``spare`` runs it on a separate small pool: shutdown's ``$disconnect``s must not wait
        behind handlers that are still busy.
        """
        loop = asyncio.get_running_loop()
        pool = self._spare_pool() if spare else self._pool
        future = pool.submit(_run, sock, event, self.deployment)
        timeout = integration_timeout(sock)
        started = time.perf_counter()
        answered = False

        def finish(result: Future[tuple[LambdaResponse, float]]) -> None:
            nonlocal answered
            timer.cancel()
            if result.cancelled():  # shutdown dropped it before it started
                if event["requestContext"]["eventType"] == "DISCONNECT":
                    self.call(sock, event, done, spare=True)  # every $disconnect runs
                else:
                    done(None, 0.0)
                return
            if answered:  # API Gateway had given up on it
                _log_late(sock, event, result)
                return
            answered = True
            response, ms = result.result()
            done(response, ms)

        def time_out() -> None:
            nonlocal answered
            if not answered:
                answered = True
                done(None, (time.perf_counter() - started) * 1000)

        timer = loop.call_later(timeout, time_out)

        def back_to_loop(result: Future[tuple[LambdaResponse, float]]) -> None:
            if not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                    loop.call_soon_threadsafe(finish, result)

        future.add_done_callback(back_to_loop)

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
        return await asyncio.wrap_future(self._pool.submit(fn))

    def _spare_pool(self) -> ThreadPoolExecutor:
        if self._spare is None:
            self._spare = ThreadPoolExecutor(8, thread_name_prefix="eventual-disconnect")
        return self._spare

    def drop_queued(self) -> None:
        """Shutdown: cancel the handlers not started yet (they were waiting for a thread)."""
        old = self._pool
        self._pool = ThreadPoolExecutor(old._max_workers, thread_name_prefix="eventual-handler")
        old.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        """Stop taking work; threads still in a handler finish it on their own (never joined)."""
        for pool in (self._pool, self._spare):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)


def _run(sock: Socket, event: Mapping[str, Any], deployment: Deployment) -> tuple[LambdaResponse, float]:
    started = time.perf_counter()
    try:
        response = dispatch(sock, event, deployment)
    except BaseException as error:  # sys.exit() in a handler: a failure like any other
        log_failure(sock, event, error)
        rc = event["requestContext"]
        response = error_response(rc.get("connectionId", ""), rc.get("requestId", ""))
    return response, (time.perf_counter() - started) * 1000


def _log_late(sock: Socket, event: Mapping[str, Any], result: Future[tuple[LambdaResponse, float]]) -> None:
    rc = event.get("requestContext") or {}
    status = result.result()[0].get("statusCode") if result.exception() is None else "an exception"
    logger.warning(
        "%s %s on connection %s returned %s after its integration timeout of %gs: dropped, "
        "as API Gateway drops it",
        sock.name,
        rc.get("routeKey"),
        rc.get("connectionId"),
        status,
        integration_timeout(sock),
    )
