"""One event loop for the process's ``async def`` handlers, on a thread of its own.

Sync code (Lambda's entry, a dev-server worker) hands a coroutine to :func:`run_awaitable` and
waits for its result, running meanwhile the ``def`` steps of a chain that mixes ``def`` and
``async def`` (:mod:`eventual.bridge`). One loop shared by the process, started on first use,
means no loop per thread to close: no file descriptor outlives the connection that needed it.
It also keeps what a handler's module caches across events (an ``aiohttp`` session, say) on the
loop that made it, as Lambda keeps it across invocations. The caller's context variables (the
current deployment) travel with the coroutine.
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def run_awaitable(awaitable: Awaitable[Any]) -> Any:
    """Await ``awaitable`` on the shared loop and return its result (or raise its exception)."""
    loop = _shared_loop()
    if threading.current_thread() is _thread:
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()  # a coroutine that will never run: say so here, not in a warning later
        raise RuntimeError(
            "a sync function called from an async handler waited for another coroutine; await it instead"
        )

    async def wait() -> Any:
        return await awaitable

    from eventual.bridge import wait_for

    # The task is created in a copy of this thread's context: the deployment stays current. This
    # thread runs the def steps of a mixed chain meanwhile (eventual.bridge).
    return wait_for(wait(), loop)


def shared_loop() -> asyncio.AbstractEventLoop:
    """The process's loop for async handlers, started on first use (the dev server hands
    coroutines to it directly)."""
    return _shared_loop()


def _shared_loop() -> asyncio.AbstractEventLoop:
    global _loop, _thread
    with _lock:
        if _loop is None:
            import asyncio

            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            _thread = threading.Thread(target=run, name="eventual-async", daemon=True)
            _thread.start()
            ready.wait()
            _loop = loop
        return _loop
