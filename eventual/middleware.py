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
    """Turn middlewares and a final handler into one ``dispatch(request, context)``."""
    steps = tuple(middlewares)
    if any(map(is_async, (*steps, handler))):
        return _compile_async(steps, handler)
    return _compile_sync(steps, handler)


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


def _compile_async(steps: tuple[Callable[..., Any], ...], handler: Handler) -> Dispatch:
    count = len(steps)

    async def settle(value: Any) -> Any:
        # A sync step may hand back the awaitable that next() gave it; resolve it here.
        while is_awaitable(value):
            value = await value
        return value

    async def run(index: int, request: SocketRequest, context: Context) -> Any:
        if index == count:
            try:
                return await settle(handler(request, context))
            except Exception as error:
                _blame(error, "handler", handler)
                raise
        step = steps[index]
        called = False

        def next_(next_context: Context | None = None) -> Awaitable[Any]:
            nonlocal called
            if called:
                raise MiddlewareError(f"middleware {name_of(step)} called next() twice")
            called = True
            return run(index + 1, request, context if next_context is None else next_context)

        try:
            return await settle(step(request=request, context=context, next=next_))
        except Exception as error:
            _blame(error, "middleware", step)
            raise

    def dispatch(request: SocketRequest, context: Context) -> Any:
        return run(0, request, context)

    return dispatch
