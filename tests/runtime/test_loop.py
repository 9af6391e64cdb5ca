"""Async handlers share one event loop: no loop, and no file descriptor, per thread."""

from __future__ import annotations

import asyncio
import os
import threading
import warnings

import pytest

from eventual.deployment import current_deployment
from eventual.runtime.loop import run_awaitable
from tests.deployments import bare_deployment


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_threads_that_end_leave_no_loop_behind() -> None:
    run_awaitable(asyncio.sleep(0))  # the shared loop exists from here on
    before = open_descriptors()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an "unclosed event loop" ResourceWarning fails the test

        def one_connection() -> None:
            for _ in range(3):
                run_awaitable(asyncio.sleep(0))

        for _ in range(50):  # the dev server's old design: a thread, and a loop, per connection
            thread = threading.Thread(target=one_connection)
            thread.start()
            thread.join()
    assert open_descriptors() <= before


def test_the_loop_is_shared_and_reused() -> None:
    async def loop_id() -> int:
        return id(asyncio.get_running_loop())

    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(run_awaitable(loop_id()))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(seen)) == 1 and seen[0] == run_awaitable(loop_id())


def test_the_current_deployment_travels_with_the_coroutine() -> None:
    async def service() -> str:
        return current_deployment().service

    with bare_deployment("travelling").activate():
        assert run_awaitable(service()) == "travelling"


def test_exceptions_come_back_to_the_caller() -> None:
    async def fail() -> None:
        raise ValueError("from the loop")

    with pytest.raises(ValueError, match="from the loop"):
        run_awaitable(fail())


def test_waiting_on_the_loop_from_the_loop_is_refused() -> None:
    async def nested() -> object:
        return run_awaitable(asyncio.sleep(0))

    with pytest.raises(RuntimeError, match="await it instead"):
        run_awaitable(nested())
