"""The middleware chain: ``socket.use(...)`` steps that run before a socket's handlers.

A middleware is called with keywords ``request=``, ``context=`` and ``next=``. It either
returns ``next(new_context)`` (the rest of the chain's result) or short-circuits by returning
its own value, typically a :class:`~eventual.SocketResponse`.

Chains are compiled once per socket and event type. A chain whose steps are all plain
functions runs synchronously, with no event loop; a chain with any ``async def`` step runs as
a coroutine, and ``next`` then returns an awaitable (``await next(ctx)``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
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


def _name(fn: Callable[..., Any]) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def is_async(fn: object) -> bool:
    """``inspect.iscoroutinefunction``, for callable objects too (an ``async def __call__``).

    Written out because importing ``inspect`` would cost every Lambda cold start a few
    milliseconds (docs/architecture.md, "Cold start").
    """
    while isinstance(fn, partial):
        fn = fn.func
    fn = getattr(fn, "__func__", fn)  # bound methods
    code = getattr(fn, "__code__", None)
    if code is None:
        call = getattr(type(fn), "__call__", None)  # noqa: B004 - an object with async __call__
        code = getattr(getattr(call, "__func__", call), "__code__", None)
    return code is not None and bool(code.co_flags & _CO_COROUTINE)


def is_awaitable(value: object) -> bool:
    """``inspect.isawaitable`` for what handlers return: coroutines and objects with ``__await__``."""
    return isinstance(value, Awaitable)


def compile_chain(middlewares: Sequence[Callable[..., Any]], handler: Handler) -> Dispatch:
    """Turn middlewares and a final handler into one ``dispatch(request, context)``."""
    steps = tuple(middlewares)
    if any(map(is_async, (*steps, handler))):
        return _compile_async(steps, handler)
    return _compile_sync(steps, handler)


def _compile_sync(steps: tuple[Callable[..., Any], ...], handler: Handler) -> Dispatch:
    count = len(steps)

    def run(index: int, request: SocketRequest, context: Context) -> Any:
        if index == count:
            return handler(request, context)
        step = steps[index]
        called = False

        def next_(next_context: Context | None = None) -> Any:
            nonlocal called
            if called:
                raise MiddlewareError(f"middleware {_name(step)} called next() twice")
            called = True
            return run(index + 1, request, context if next_context is None else next_context)

        return step(request=request, context=context, next=next_)

    def dispatch(request: SocketRequest, context: Context) -> Any:
        return run(0, request, context)

    return dispatch


def _compile_async(steps: tuple[Callable[..., Any], ...], handler: Handler) -> Dispatch:
    count = len(steps)

    async def settle(value: Any) -> Any:
        # A sync step may hand back the awaitable that next() gave it; resolve it here.
        while is_awaitable(value):
            value = await value
        return value

    async def run(index: int, request: SocketRequest, context: Context) -> Any:
        if index == count:
            return await settle(handler(request, context))
        step = steps[index]
        called = False

        def next_(next_context: Context | None = None) -> Awaitable[Any]:
            nonlocal called
            if called:
                raise MiddlewareError(f"middleware {_name(step)} called next() twice")
            called = True
            return run(index + 1, request, context if next_context is None else next_context)

        return await settle(step(request=request, context=context, next=next_))

    def dispatch(request: SocketRequest, context: Context) -> Any:
        return run(0, request, context)

    return dispatch
