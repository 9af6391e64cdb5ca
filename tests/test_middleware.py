from __future__ import annotations

import asyncio
import functools
import json
import threading
import time
from functools import partial
from typing import Any

import pytest

from eventual import MiddlewareError, SocketResponse, socket
from eventual.middleware import code_of, compile_chain, culprit_of, describe, is_async, name_of, steps_for
from eventual.runtime.apigateway import request_from_event
from eventual.runtime.dispatch import dispatch
from eventual.runtime.loop import shared_loop
from tests.apigw_events import connect_event, disconnect_event, message_event
from tests.deployments import bare_deployment

SERVICE = bare_deployment("s")


def parse_json(request: Any, context: dict[str, Any], next: Any) -> Any:
    """The seed's middleware, as a user writes it."""
    body = request.body
    return next({**context, "message": json.loads(body) if body else None})


def test_seed_json_middleware_feeds_default() -> None:
    seen: list[Any] = []

    def on_message(request: Any, context: dict[str, Any]) -> Any:
        seen.append(context)
        return {"foo": context["message"]["foo"].upper()}

    my_socket = socket.use({"message": parse_json}).socket("mySocket", {"$default": on_message})
    response = dispatch(my_socket, message_event('{"foo": "a", "bar": "b"}'), bare_deployment("my-service"))
    assert json.loads(response["body"]) == {"foo": "A"}
    assert seen == [{"socket": "mySocket", "service": "my-service", "message": {"foo": "a", "bar": "b"}}]


def test_message_only_middleware_skips_connect_and_disconnect() -> None:
    calls: list[str] = []

    def record(request: Any, context: dict[str, Any], next: Any) -> Any:
        calls.append(request.type)
        return next(context)

    chat = socket.use({"message": record}).socket("chat", {})
    for event in (connect_event(), message_event("x"), disconnect_event()):
        dispatch(chat, event, SERVICE)
    assert calls == ["message"]


def test_bare_callable_runs_on_all_three_events() -> None:
    calls: list[str] = []

    def record(request: Any, context: dict[str, Any], next: Any) -> Any:
        calls.append(request.type)
        return next()

    chat = socket.use(record).socket("chat", {})
    for event in (connect_event(), message_event("x"), disconnect_event()):
        dispatch(chat, event, SERVICE)
    assert calls == ["connect", "message", "disconnect"]


def test_chains_run_in_order_and_use_returns_a_new_chain() -> None:
    order: list[str] = []

    def step(label: str) -> Any:
        def middleware(request: Any, context: dict[str, Any], next: Any) -> Any:
            order.append(label)
            return next({**context, "path": [*context.get("path", []), label]})

        return middleware

    base = socket.use(step("a"))
    longer = base.use(step("b")).use({"message": step("c")})
    assert len(base.middlewares) == 1

    chain = longer.socket("chain", {"$default": lambda request, context: context["path"]})
    assert json.loads(dispatch(chain, message_event("x"), SERVICE)["body"]) == ["a", "b", "c"]
    only_a = base.socket("only-a", {"$default": lambda request, context: context["path"]})
    assert json.loads(dispatch(only_a, message_event("x"), SERVICE)["body"]) == ["a"]
    assert order == ["a", "b", "c", "a"]


def test_short_circuit_skips_the_handler() -> None:
    handled: list[str] = []

    def deny(request: Any, context: dict[str, Any], next: Any) -> Any:
        if request.headers.get("authorization") != "Bearer ok":
            return SocketResponse(status=401, message="unauthorized")
        return next(context)

    guarded = socket.use({"connect": deny}).socket(
        "guarded", {"$connect": lambda request, context: handled.append(request.connection_id)}
    )
    assert dispatch(guarded, connect_event(), SERVICE) == {
        "statusCode": 401,
        "body": "unauthorized",
    }
    assert handled == []
    ok = connect_event(headers={"Authorization": "Bearer ok"})
    assert dispatch(guarded, ok, SERVICE) == {"statusCode": 200}
    assert handled == ["Ab1Cd2Ef3Gh="]


def test_short_circuit_on_message_answers_the_caller() -> None:
    def reject(request: Any, context: dict[str, Any], next: Any) -> Any:
        return SocketResponse(status=400, message={"error": "bad"})

    chat = socket.use({"message": reject}).socket("chat", {"$default": lambda r, c: "unreachable"})
    assert dispatch(chat, message_event("x"), SERVICE) == {
        "statusCode": 400,
        "body": '{"error":"bad"}',
    }


def test_next_twice_is_an_error_naming_the_middleware(caplog: pytest.LogCaptureFixture) -> None:
    calls: list[int] = []

    def twice(request: Any, context: dict[str, Any], next: Any) -> Any:
        next(context)
        return next(context)

    chat = socket.use(twice).socket("chat", {"$default": lambda r, c: calls.append(1)})
    assert dispatch(chat, message_event("x"), SERVICE)["statusCode"] == 500
    assert calls == [1]
    assert "MiddlewareError" in caplog.text
    assert "twice" in caplog.text and "called next() twice" in caplog.text


def test_next_twice_raises_to_the_middleware_itself() -> None:
    caught: list[BaseException] = []

    def twice(request: Any, context: dict[str, Any], next: Any) -> Any:
        first = next(context)
        try:
            next(context)
        except MiddlewareError as error:
            caught.append(error)
        return first

    chat = socket.use(twice).socket("chat", {"$default": lambda r, c: "once"})
    assert dispatch(chat, message_event("x"), SERVICE)["body"] == "once"
    assert len(caught) == 1


async def async_tag(request: Any, context: dict[str, Any], next: Any) -> Any:
    await asyncio.sleep(0)
    return await next({**context, "async_mw": True})


def sync_tag(request: Any, context: dict[str, Any], next: Any) -> Any:
    return next({**context, "sync_mw": True})


async def async_handler(request: Any, context: dict[str, Any]) -> Any:
    await asyncio.sleep(0)
    return {k: context.get(k) for k in ("async_mw", "sync_mw")}


def sync_handler(request: Any, context: dict[str, Any]) -> Any:
    return {k: context.get(k) for k in ("async_mw", "sync_mw")}


@pytest.mark.parametrize("handler", [sync_handler, async_handler])
@pytest.mark.parametrize(
    "middlewares",
    [(sync_tag, async_tag), (async_tag, sync_tag), (async_tag, async_tag), (sync_tag, sync_tag)],
)
def test_sync_and_async_mix(middlewares: tuple[Any, ...], handler: Any) -> None:
    chain = socket
    for middleware in middlewares:
        chain = chain.use(middleware)
    mixed = chain.socket("mixed", {"$default": handler})
    body = json.loads(dispatch(mixed, message_event("x"), SERVICE)["body"])
    assert body == {
        "async_mw": True if async_tag in middlewares else None,
        "sync_mw": True if sync_tag in middlewares else None,
    }


def test_async_short_circuit_and_async_next_twice() -> None:
    async def deny(request: Any, context: dict[str, Any], next: Any) -> Any:
        return SocketResponse(status=429, message="slow down")

    async def twice(request: Any, context: dict[str, Any], next: Any) -> Any:
        await next(context)
        return await next(context)

    denied = socket.use(deny).socket("denied", {"$default": async_handler})
    assert dispatch(denied, message_event("x"), SERVICE) == {
        "statusCode": 429,
        "body": "slow down",
    }
    doubled = socket.use(twice).socket("doubled", {"$default": async_handler})
    assert dispatch(doubled, message_event("x"), SERVICE)["statusCode"] == 500


def test_async_handlers_run_on_a_reused_loop() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def on_message(request: Any, context: dict[str, Any]) -> str:
        loops.append(asyncio.get_running_loop())
        return "ok"

    chat = socket("chat", {"$default": on_message})
    for _ in range(3):
        assert dispatch(chat, message_event("x"), SERVICE)["body"] == "ok"
    assert len(set(map(id, loops))) == 1


@pytest.mark.parametrize(
    ("spec", "error", "match"),
    [
        ({"mesage": parse_json}, ValueError, "unknown event type 'mesage'"),
        ({"message": "nope"}, TypeError, "not callable"),
        (42, TypeError, "callable or a mapping"),
    ],
)
def test_use_validates_its_argument(spec: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        socket.use(spec)


# -- a def middleware in front of async code (issue 19, item 4) ----------------------------------
# Each chain below is called as Lambda calls it: dispatch() on the invocation's thread, awaiting
# on the shared loop (eventual/runtime/loop.py). The dev server and the test client take the same
# path for a chain with def steps (tests/local/test_workers.py, tests/test_readme.py).


def wrap(request: Any, context: dict[str, Any], next: Any) -> Any:
    return {"wrapped": next()}


def timed(seen: list[float]) -> Any:
    def middleware(request: Any, context: dict[str, Any], next: Any) -> Any:
        started = time.perf_counter()
        try:
            return next(context)
        finally:
            seen.append(time.perf_counter() - started)

    return middleware


async def napping(request: Any, context: dict[str, Any]) -> Any:
    await asyncio.sleep(0.3)
    return {"slept": True}


def test_a_def_middleware_gets_the_async_handlers_result_not_an_awaitable() -> None:
    """A ``def`` middleware's ``next()`` is the handler's result, whatever kind the handler is:
    it wraps the value and times the handler's whole run."""
    seen: list[float] = []
    chat = socket.use(timed(seen)).use(wrap).socket("chat", {"$default": napping})
    response = dispatch(chat, message_event("x"), SERVICE)
    assert json.loads(response["body"]) == {"wrapped": {"slept": True}}
    [took] = seen
    assert took >= 0.25  # the handler's 0.3 s, not the instant an awaitable takes to make


def test_def_steps_run_on_the_events_thread_and_async_ones_on_the_shared_loop() -> None:
    """However a chain alternates, its def code runs on the thread that dispatched the event (no
    other thread is taken) and its async code on the one handler loop."""
    where: list[tuple[str, str]] = []

    def sync_step(request: Any, context: dict[str, Any], next: Any) -> Any:
        where.append(("def", threading.current_thread().name))
        return next()

    async def async_step(request: Any, context: dict[str, Any], next: Any) -> Any:
        where.append(("async", threading.current_thread().name))
        return await next()

    def handler(request: Any, context: dict[str, Any]) -> str:
        where.append(("handler", threading.current_thread().name))
        return "done"

    chain = socket.use(sync_step).use(async_step).use(sync_step).use(async_step)
    alternating = chain.socket("alternating", {"$default": handler})
    shared_loop()  # started by an earlier test or now: not a thread this chain takes
    before = threading.active_count()
    assert dispatch(alternating, message_event("x"), SERVICE)["body"] == "done"
    me = threading.current_thread().name
    assert where == [
        ("def", me),
        ("async", "eventual-async"),
        ("def", me),
        ("async", "eventual-async"),
        ("handler", me),
    ]
    assert threading.active_count() <= before


def test_a_def_middleware_sees_the_async_handlers_exception() -> None:
    caught: list[str] = []

    def catching(request: Any, context: dict[str, Any], next: Any) -> Any:
        try:
            return next()
        except LookupError as error:
            caught.append(str(error))
            return SocketResponse(404, "no such thing")

    async def failing(request: Any, context: dict[str, Any]) -> Any:
        await asyncio.sleep(0)
        raise KeyError("thing")

    chat = socket.use(catching).socket("chat", {"$default": failing})
    assert dispatch(chat, message_event("x"), SERVICE) == {"statusCode": 404, "body": "no such thing"}
    assert caught == ["'thing'"]


def test_a_def_middleware_calling_next_twice_in_front_of_async_code_is_refused(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs: list[int] = []

    def twice(request: Any, context: dict[str, Any], next: Any) -> Any:
        next()
        return next()

    async def counted(request: Any, context: dict[str, Any]) -> str:
        runs.append(1)
        return "once"

    chat = socket.use(twice).socket("chat", {"$default": counted})
    assert dispatch(chat, message_event("x"), SERVICE)["statusCode"] == 500
    assert runs == [1]
    assert "called next() twice" in caplog.text


# -- the chain's parts, each held to its literal result ----------------------------------------


def _request() -> Any:
    return request_from_event(message_event("hi", "C1="))


def _where(fn: Any) -> str:
    return f"{fn.__qualname__} ({__file__}:{fn.__code__.co_firstlineno})"


class _Callable:
    def __call__(self, request: Any, context: Any) -> str:
        return "called"

    def method(self, request: Any, context: Any) -> str:
        return "method"


def _handler(request: Any, context: Any) -> str:
    return f"{request.body} {context['k']}"


async def _async_handler(request: Any, context: Any) -> str:
    return f"{request.body} {context['k']}"


def test_use_refuses_what_it_cannot_run_by_name() -> None:
    with pytest.raises(TypeError) as refused:
        steps_for(3)  # type: ignore[arg-type]
    assert (
        str(refused.value) == "socket.use() takes a callable or a mapping of event type to callable, not int"
    )
    with pytest.raises(ValueError) as unknown:
        steps_for({"bogus": parse_json})  # type: ignore[dict-item]
    assert str(unknown.value) == (
        "socket.use() got an unknown event type 'bogus'; valid keys are 'connect', 'disconnect', 'message'"
    )


def test_names_and_code_of_every_kind_of_callable() -> None:
    obj = _Callable()
    assert name_of(_handler) == "_handler"
    assert name_of(obj) == repr(obj)  # an instance has no __qualname__ of its own
    assert code_of(_handler) is _handler.__code__
    assert code_of(partial(partial(_handler, 1), 2)) is _handler.__code__
    assert code_of(obj.method) is _Callable.method.__code__
    assert code_of(obj) is _Callable.__call__.__code__
    assert code_of(len) is None
    assert is_async(partial(_async_handler)) and not is_async(partial(_handler))


def test_describe_names_the_function_and_where_the_users_code_is() -> None:
    @functools.wraps(_handler)
    def wrapper(*args: Any) -> Any:
        return _handler(*args)

    assert describe(_handler) == _where(_handler)
    assert describe(wrapper) == f"_handler ({__file__}:{_handler.__code__.co_firstlineno})"
    assert describe(len) == "len"


@pytest.mark.parametrize("handler", [_handler, _async_handler])
def test_the_request_and_context_reach_the_handler_through_every_step(handler: Any) -> None:
    seen: list[Any] = []

    def sync_step(request: Any, context: Any, next: Any) -> Any:
        seen.append(request.body)
        return next({**context, "k": "v"})

    async def async_step(request: Any, context: Any, next: Any) -> Any:
        seen.append(request.body)
        return await next()

    for steps in ([], [sync_step], [sync_step, async_step]):
        seen.clear()
        result = compile_chain(steps, handler)(_request(), {"k": "start"})
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
        assert result == ("hi v" if steps else "hi start")
        assert seen == ["hi"] * len(steps)


@pytest.mark.parametrize("asynchronous", [False, True])
def test_a_failure_names_the_innermost_step_it_escaped(asynchronous: bool) -> None:
    def outer(request: Any, context: Any, next: Any) -> Any:
        return next()

    def failing(request: Any, context: Any, next: Any) -> Any:
        raise KeyError("in the middleware")

    def handler(request: Any, context: Any) -> Any:
        raise LookupError("in the handler")

    async def async_outer(request: Any, context: Any, next: Any) -> Any:
        return await next()

    first = async_outer if asynchronous else outer

    def run(*steps: Any) -> BaseException:
        with pytest.raises(LookupError) as raised:
            result = compile_chain(steps, handler)(_request(), {})
            if asyncio.iscoroutine(result):
                asyncio.run(result)
        return raised.value

    assert culprit_of(run(first)) == ("handler", handler)
    assert culprit_of(run(first, failing)) == ("middleware", failing)
    assert culprit_of(ValueError()) is None


@pytest.mark.parametrize("asynchronous", [False, True])
def test_next_twice_names_the_step(asynchronous: bool) -> None:
    async def twice_async(request: Any, context: Any, next: Any) -> Any:
        await next()
        return await next()

    def twice(request: Any, context: Any, next: Any) -> Any:
        next()
        return next()

    step = twice_async if asynchronous else twice
    with pytest.raises(MiddlewareError) as twice_error:
        result = compile_chain([step], _handler)(_request(), {"k": "v"})
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    name = "twice_async" if asynchronous else "twice"
    assert str(twice_error.value) == (
        f"middleware test_next_twice_names_the_step.<locals>.{name} called next() twice"
    )
