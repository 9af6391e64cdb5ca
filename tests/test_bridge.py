"""eventual.bridge: def code of a mixed chain runs on the thread that waits for the chain."""

from __future__ import annotations

import asyncio
import threading
from contextvars import ContextVar
from typing import Any

import pytest

from eventual.bridge import off_loop, wait_for
from eventual.runtime.loop import shared_loop

LABEL: ContextVar[str] = ContextVar("label", default="none")


def test_def_code_runs_on_the_waiting_thread_with_the_callers_context() -> None:
    async def chain() -> tuple[str, str, str]:
        on_loop = threading.current_thread().name
        off = await off_loop(lambda: f"{threading.current_thread().name} {LABEL.get()}")
        return on_loop, off, LABEL.get()

    token = LABEL.set("event-1")
    try:
        me = threading.current_thread().name
        assert wait_for(chain(), shared_loop()) == ("eventual-async", f"{me} event-1", "event-1")
    finally:
        LABEL.reset(token)


def test_alternating_def_and_async_code_nests_on_one_thread() -> None:
    loop = shared_loop()

    async def inner() -> str:
        return await off_loop(lambda: threading.current_thread().name)

    def def_step() -> str:
        return wait_for(inner(), loop)  # a def middleware's next(): waits again, serving again

    async def outer() -> str:
        return await off_loop(def_step)

    assert wait_for(outer(), loop) == threading.current_thread().name


def test_without_a_waiting_thread_def_code_still_runs_off_the_loop() -> None:
    """A coroutine started on the loop itself (no thread waits for it) hands its def code to the
    loop's executor: the loop never blocks on it."""

    async def started_on_the_loop() -> str:
        return await off_loop(lambda: threading.current_thread().name)

    ran_on = asyncio.run_coroutine_threadsafe(started_on_the_loop(), shared_loop()).result(5)
    assert ran_on not in ("eventual-async", threading.current_thread().name)


def test_exceptions_cross_both_ways() -> None:
    async def chain() -> Any:
        await off_loop(lambda: int("not a number"))

    with pytest.raises(ValueError, match="not a number"):
        wait_for(chain(), shared_loop())


def test_a_keyboard_interrupt_in_def_code_reaches_the_waiting_thread_and_ends_the_chain() -> None:
    cancelled = threading.Event()

    def interrupted() -> None:
        raise KeyboardInterrupt

    async def chain() -> None:
        try:
            await off_loop(interrupted)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with pytest.raises(KeyboardInterrupt):
        wait_for(chain(), shared_loop())
    assert cancelled.wait(5)
