"""The middleware chain: ``socket.use(...)`` steps that run before a socket's handlers.

A middleware is called with keywords ``request=``, ``context=`` and ``next=``. It either
returns ``next(new_context)`` (the rest of the chain's result) or short-circuits by returning
its own value, typically a :class:`~eventual.SocketResponse`.

Chains are compiled once per socket and route. A ``def`` middleware's ``next`` returns the rest
of the chain's result, whatever kind of handler is behind it; an ``async def`` middleware's
``next`` returns an awaitable (``await next(ctx)``). A chain whose steps are all plain functions
runs synchronously, with no event loop; one with any ``async def`` step runs as a coroutine on
the handler loop, its ``def`` steps on the thread that waits for it (:mod:`eventual.bridge`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from functools import partial
from typing import Any, Protocol, TypeAlias

from eventual.errors import MiddlewareError
from eventual.requests import Context, SocketRequest
from eventual.routes import EVENT_TYPES, EventType

_CO_COROUTINE = 0x80
"""``inspect.CO_COROUTINE``: the flag of an ``async def`` function's code."""

Next: TypeAlias = Callable[..., Any]
"""``next(context=None)``: runs the rest of the chain; without an argument the context is kept."""


class Middleware(Protocol):
    def __call__(self, *, request: Any, context: Context, next: Next) -> Any: ...


Handler: TypeAlias = Callable[[Any, Context], Any]
MiddlewareSpec: TypeAlias = Callable[..., Any] | Mapping[str, Callable[..., Any]]
"""What ``use`` takes: one callable for every event, or a mapping of event type to callable."""

Dispatch: TypeAlias = Callable[[SocketRequest, Context], Any]
"""A compiled chain: ``dispatch(request, context)`` returns the result or an awaitable of it."""


def steps_for(spec: MiddlewareSpec) -> dict[EventType, Callable[..., Any]]:
    """Validate one ``use`` argument and return the callable to run per event type."""
    if callable(spec):
        return dict.fromkeys(EVENT_TYPES, spec)
    if not isinstance(spec, Mapping):
        raise TypeError(
            f"socket.use() takes a callable or a mapping of event type to callable, not {type(spec).__name__}"
        )
    steps: dict[EventType, Callable[..., Any]] = {}
    for key, fn in spec.items():
        if key not in EVENT_TYPES:
            raise ValueError(
                f"socket.use() got an unknown event type {key!r}; "
                f"valid keys are {', '.join(map(repr, EVENT_TYPES))}"
            )
        if not callable(fn):
            raise TypeError(f"socket.use() middleware for {key!r} is not callable: {fn!r}")
        steps[key] = fn
    return steps


def name_of(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def code_of(fn: object) -> Any:
    """The code object that runs when ``fn`` is called (through partials, bound methods and
    callable objects), or ``None`` for a builtin."""
    while isinstance(fn, partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)  # bound methods
    code = getattr(fn, "__code__", None)
    if code is None:
        call = getattr(type(fn), "__call__", None)  # noqa: B004 - a callable object
        code = getattr(getattr(call, "__func__", call), "__code__", None)
    return code


def describe(fn: Callable[..., Any]) -> str:
    """``name (file:line)``: which function, and where it is, for error messages and logs."""
    code = code_of(getattr(fn, "__wrapped__", fn))  # functools.wraps: where the user's code is
    where = f" ({code.co_filename}:{code.co_firstlineno})" if code is not None else ""
    return f"{name_of(fn)}{where}"


CULPRIT = "_eventual_culprit"
"""The attribute naming the step an exception came from: ``("middleware" | "handler", fn)``."""


def _blame(error: BaseException, kind: str, fn: Callable[..., Any]) -> None:
    """Name the innermost step an exception escaped, so the failure log names it; an outer step
    only passes it on. Costs nothing until something fails."""
    # An exception type without a __dict__ takes no attribute: its log then says "handler".
    if getattr(error, CULPRIT, None) is None and hasattr(error, "__dict__"):
        setattr(error, CULPRIT, (kind, fn))


def culprit_of(error: BaseException) -> tuple[str, Callable[..., Any]] | None:
    """``(kind, fn)`` of the middleware or handler ``error`` escaped from, if a chain ran it."""
    found: tuple[str, Callable[..., Any]] | None = getattr(error, CULPRIT, None)
    return found


def is_async(fn: object) -> bool:
    """``inspect.iscoroutinefunction``, for callable objects too (an ``async def __call__``).

    Written out because importing ``inspect`` would cost every Lambda cold start a few
    milliseconds (docs/architecture.md, "Cold start").
    """
    code = code_of(fn)
    return code is not None and bool(code.co_flags & _CO_COROUTINE)


def is_awaitable(value: object) -> bool:
    """``inspect.isawaitable`` for what handlers return: coroutines and objects with ``__await__``."""
    return isinstance(value, Awaitable)


def compile_chain(middlewares: Sequence[Callable[..., Any]], handler: Handler) -> Dispatch:
    """Turn middlewares and a final handler into one ``dispatch(request, context)``.

    All ``def``: a plain function, run where it is called. All ``async def``: an ``async def``
    (:func:`runs_on_loop`), awaited on the handler loop. Mixed: a function returning a coroutine
    whose ``def`` steps run on the thread that waits for it (:mod:`eventual.bridge`), so that a
    ``def`` middleware's ``next()`` returns the rest of the chain's result, never an awaitable.
    """
    steps = tuple(middlewares)
    kinds = [is_async(fn) for fn in (*steps, handler)]
    if not any(kinds):
        return _compile_sync(steps, handler)
    run = _compile_async(steps, handler)
    if all(kinds):

        async def dispatch_on_loop(request: SocketRequest, context: Context) -> Any:
            return await run(0, request, context)

        return dispatch_on_loop

    def dispatch_mixed(request: SocketRequest, context: Context) -> Any:
        return run(0, request, context)

    return dispatch_mixed


def runs_on_loop(dispatch: Dispatch) -> bool:
    """Whether a compiled chain is ``async def`` through and through, so it may be awaited on the
    handler loop directly (the dev server and the test client do). Any other chain is called
    from a thread of its own, which a mixed chain's ``def`` steps run on."""
    return is_async(dispatch)


def _compile_sync(steps: tuple[Callable[..., Any], ...], handler: Handler) -> Dispatch:
    count = len(steps)

    def run(index: int, request: SocketRequest, context: Context) -> Any:
        if index == count:
            try:
                return handler(request, context)
            except Exception as error:
                _blame(error, "handler", handler)
                raise
        step = steps[index]
        called = False

        def next_(next_context: Context | None = None) -> Any:
            nonlocal called
            if called:
                raise MiddlewareError(f"middleware {name_of(step)} called next() twice")
            called = True
            return run(index + 1, request, context if next_context is None else next_context)

        try:
            return step(request=request, context=context, next=next_)
        except Exception as error:
            _blame(error, "middleware", step)
            raise

    def dispatch(request: SocketRequest, context: Context) -> Any:
        return run(0, request, context)

    return dispatch


def _compile_async(
    steps: tuple[Callable[..., Any], ...], handler: Handler
) -> Callable[[int, SocketRequest, Context], Coroutine[Any, Any, Any]]:
    """The chain as ``run(index, request, context)``, a coroutine on the handler loop; a ``def``
    step (or handler) runs off the loop, on the event's thread (:mod:`eventual.bridge`), and its
    ``next()`` waits there for the rest of the chain."""
    count = len(steps)
    step_is_async = tuple(map(is_async, steps))
    handler_is_async = is_async(handler)
    if not (all(step_is_async) and handler_is_async):
        import asyncio

        from eventual.bridge import off_loop, wait_for  # only mixed chains pay for it

    async def settle(value: Any) -> Any:
        # A def handler may return an awaitable (a lambda calling an async function): await it.
        while is_awaitable(value):
            value = await value
        return value

    async def run(index: int, request: SocketRequest, context: Context) -> Any:
        if index == count:
            try:
                if handler_is_async:
                    return await settle(handler(request, context))
                return await settle(await off_loop(partial(handler, request, context)))
            except Exception as error:
                _blame(error, "handler", handler)
                raise
        step = steps[index]
        called = False

        def rest(next_context: Context | None) -> Coroutine[Any, Any, Any]:
            nonlocal called
            if called:
                raise MiddlewareError(f"middleware {name_of(step)} called next() twice")
            called = True
            return run(index + 1, request, context if next_context is None else next_context)

        try:
            if step_is_async[index]:

                def next_(next_context: Context | None = None) -> Awaitable[Any]:
                    return rest(next_context)

                return await settle(step(request=request, context=context, next=next_))
            loop = asyncio.get_running_loop()

            def next_sync(next_context: Context | None = None) -> Any:
                # On the event's thread: wait for the rest of the chain, on the loop.
                return wait_for(rest(next_context), loop)

            called_step = partial(step, request=request, context=context, next=next_sync)
            return await settle(await off_loop(called_step))
        except Exception as error:
            _blame(error, "middleware", step)
            raise

    return run
