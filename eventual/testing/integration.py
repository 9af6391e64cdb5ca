"""The test client's integration: each event's handlers, and the authorizer, with API Gateway's
integration timeout (:func:`eventual.runtime.integration.integration_timeout`, the rule
``eventual local`` applies: 29 s, or the socket's ``timeout`` when lower).

The test's thread waits at most that long. An ``async def`` chain runs on the process's handler
loop, as under ``eventual local``; any other on a thread of one small pool the process shares
(:data:`THREADS` at most, whatever the number of clients, connections or handlers), where a mixed
chain's ``def`` steps run too. A handler past its timeout keeps running, as a Lambda function
does after API Gateway stopped waiting, and keeps its thread until it returns; its result is
logged and dropped. While every thread is held by such handlers, a new event waits for one,
within its own timeout.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from eventual.middleware import runs_on_loop
from eventual.runtime.authorizer import authorizer_failed, gateway_context
from eventual.runtime.dispatch import dispatch, dispatch_async
from eventual.runtime.integration import integration_timeout, log_late
from eventual.runtime.lanes import Lane
from eventual.runtime.loop import shared_loop

if TYPE_CHECKING:
    from eventual.deployment import Deployment
    from eventual.runtime.apigateway import LambdaResponse
    from eventual.sockets import Socket

T = TypeVar("T")

THREADS = 16
"""Threads that run the test client's handlers, in the whole process. A test client runs one
event at a time (its test waits for each), so more are taken only by handlers still running past
their timeout."""

logger = logging.getLogger("eventual.testing")


def _run(work: Callable[[], None]) -> None:
    work()


_lane: Lane[Callable[[], None]] = Lane(THREADS, "eventual-test-handler", _run, logger)


def call(sock: Socket, event: Mapping[str, Any], deployment: Deployment) -> LambdaResponse | None:
    """``sock``'s response to ``event`` (as :func:`eventual.runtime.dispatch.dispatch` makes it),
    or ``None`` when it did not come within the integration timeout."""
    timeout = integration_timeout(sock)
    if runs_on_loop(sock.dispatcher(event["requestContext"]["routeKey"])):
        # The task runs in a copy of this thread's context, as a thread of the pool does below.
        future = asyncio.run_coroutine_threadsafe(dispatch_async(sock, event, deployment), shared_loop())
    else:
        future = _submit(partial(dispatch, sock, event, deployment))
    try:
        return future.result(timeout)
    except TimeoutError:
        rc = event["requestContext"]
        logger.warning(
            "%s %s on connection %s did not answer within its integration timeout of %gs: the client "
            "got API Gateway's timeout answer",
            sock.name,
            rc["routeKey"],
            rc["connectionId"],
            timeout,
        )
        future.add_done_callback(partial(_dropped, sock, event))
        return None


def authorize(sock: Socket, event: Mapping[str, Any], deployment: Deployment) -> dict[str, Any]:
    """The connection's ``requestContext.authorizer`` (:func:`gateway_context`), or
    :class:`~eventual.runtime.authorizer.GatewayRefusal`: a 500 when the authorizer did not
    answer within the integration timeout, as when it fails."""
    timeout = integration_timeout(sock)

    def decide() -> dict[str, Any]:
        with deployment.activate():
            return gateway_context(sock, event)

    future = _submit(decide)
    try:
        return future.result(timeout)
    except TimeoutError:
        logger.warning(
            "%s authorizer did not answer within its integration timeout of %gs: refused the "
            "connection with 500, as API Gateway refuses when its authorizer fails",
            sock.name,
            timeout,
        )
        raise authorizer_failed() from None


def _submit(fn: Callable[[], T]) -> concurrent.futures.Future[T]:
    """``fn`` on a thread of the pool, in a copy of this thread's context (the test's own context
    variables, as the deployment ``dispatch`` activates there)."""
    future: concurrent.futures.Future[T] = concurrent.futures.Future()
    context = contextvars.copy_context()

    def work() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = context.run(fn)
        except BaseException as error:  # raised in the test's thread, as if it had run there
            future.set_exception(error)
        else:
            future.set_result(result)

    _lane.put(work)
    return future


def _dropped(sock: Socket, event: Mapping[str, Any], future: concurrent.futures.Future[Any]) -> None:
    if future.cancelled() or future.exception() is not None:
        return
    response = future.result()
    log_late(logger, sock, event, response.get("statusCode") if response else None)
