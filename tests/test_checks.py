"""Declaration-time checks of handler, middleware and authorizer signatures (eventual.checks)."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventual import Socket, socket
from eventual.checks import check_authorizer, check_handler, check_middleware, check_socket
from eventual.sockets import set_declaration_checks

HERE = __file__


def on_connect():  # type: ignore[no-untyped-def]  # the user's mistake: no parameters
    return None


def positional_middleware(req, ctx, nxt):  # type: ignore[no-untyped-def]
    return nxt(ctx)


def two_argument_authorizer(request, extra):  # type: ignore[no-untyped-def]
    return {}


def line_of(fn: Any) -> int:
    return int(fn.__code__.co_firstlineno)


def test_a_handler_without_request_and_context_fails_at_declaration() -> None:
    with pytest.raises(TypeError) as caught:
        socket("chat", {"$connect": on_connect})
    assert str(caught.value) == (
        f"socket 'chat': the '$connect' handler, on_connect ({HERE}:{line_of(on_connect)}), takes () "
        "but must take (request, context): it is called as handler(request, context) for each "
        "event of its route"
    )


def test_a_middleware_with_other_parameter_names_fails_where_it_is_used() -> None:
    with pytest.raises(TypeError) as caught:
        socket.use(positional_middleware)
    message = str(caught.value)
    assert message.startswith(
        f"the middleware, positional_middleware ({HERE}:{line_of(positional_middleware)}), takes "
        "(req, ctx, nxt) but must take (request, context, next)"
    )
    assert "middleware(request=..., context=..., next=...)" in message


def test_a_middleware_of_one_event_type_is_named_by_it() -> None:
    with pytest.raises(TypeError, match=r"^the message middleware, positional_middleware"):
        socket.use({"connect": lambda request, context, next: next(), "message": positional_middleware})


def test_an_authorizer_takes_the_request_alone() -> None:
    with pytest.raises(TypeError) as caught:
        socket("door", {}, authorizer=two_argument_authorizer)
    assert str(caught.value).startswith(
        f"socket 'door': the authorizer, two_argument_authorizer ({HERE}:"
        f"{line_of(two_argument_authorizer)}), takes (request, extra) but must take (request)"
    )


class Handler:
    def __call__(self, request: Any, context: Any) -> Any:
        return None


class Greedy:
    def __call__(self, request: Any, context: Any, extra: Any) -> Any:
        return None


async def async_handler(request: Any, context: Any = None, *rest: Any, **options: Any) -> Any:
    return None


def keyword_middleware(*, request: Any, context: Any, next: Any) -> Any:
    return next()


@pytest.mark.parametrize(
    "handler",
    [
        lambda r, c: None,
        Handler(),
        async_handler,
        functools.partial(lambda prefix, r, c: None, "x"),
        print,  # a builtin has no signature to hold it to
    ],
)
def test_what_can_be_called_with_request_and_context_is_accepted(handler: Any) -> None:
    check_handler("chat", "$default", handler)
    socket("chat", {"$default": handler})


def test_keyword_only_and_catch_all_middleware_are_accepted() -> None:
    check_middleware(keyword_middleware)
    check_middleware(lambda **kw: kw["next"]())
    socket.use(keyword_middleware).socket("chat", {})


def test_a_callable_object_is_located_by_its_call_method() -> None:
    with pytest.raises(
        TypeError, match=rf"Greedy object.*{HERE}:{line_of(Greedy.__call__)}.*\(request, context, extra\)"
    ):
        check_handler("chat", "say", Greedy())


def test_parameters_are_shown_as_declared() -> None:
    def odd(a, /, b=1, *args, c, **kw):  # type: ignore[no-untyped-def]
        return None

    with pytest.raises(TypeError, match=r"takes \(a, /, b=\.\.\., \*args, c, \*\*kw\)"):
        check_authorizer("door", odd)


def test_check_socket_checks_a_socket_made_without_socket() -> None:
    sock = Socket("raw", {"$connect": on_connect})
    with pytest.raises(TypeError, match="'\\$connect' handler, on_connect"):
        check_socket(sock)
    good = Socket("good", {"$default": lambda r, c: None})
    assert check_socket(good) is good


def test_the_checks_can_be_switched_off() -> None:
    previous = set_declaration_checks(False)
    try:
        assert socket("unchecked", {"$connect": on_connect}).handlers["$connect"] is on_connect
        socket.use(positional_middleware)
    finally:
        assert set_declaration_checks(previous) is False
    with pytest.raises(TypeError):
        socket("checked", {"$connect": on_connect})


def test_a_lambda_cold_start_neither_checks_nor_imports_inspect(tmp_path: Path) -> None:
    """The checks ran at synth; in Lambda `inspect` would cost each cold start ~3 ms. (An entry of
    its own: the example service imports pydantic, which imports `inspect` itself.)"""
    (tmp_path / "plain_entry.py").write_text(
        "from eventual import socket\n\nmy_socket = socket('mySocket', {'$default': lambda r, c: r.body})\n"
    )
    code = f"""
import json, os, sys
sys.path.insert(0, {str(tmp_path)!r})
os.environ.update(EVENTUAL_SOCKET_NAME="mySocket", EVENTUAL_ENTRY="plain_entry")
from eventual.runtime import handler
handler._cold_start()
from eventual.sockets import _declaration_checks
loaded = [m for m in ("inspect", "eventual.checks", "eventual.names") if m in sys.modules]
print(json.dumps([loaded, _declaration_checks]))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert json.loads(out.stdout.splitlines()[-1]) == [[], True]


KIND_ORDER = ["positional_only", "plain", "default", "keyword_only", "keyword_default"]
_kinds = st.sampled_from(KIND_ORDER)
_names = st.sampled_from(["request", "context", "next", "a", "b"])


@st.composite
def signatures(draw: st.DrawFn) -> str:
    """A Python parameter list, in a valid order, with optional *args and **kwargs."""
    kinds = sorted(draw(st.lists(_kinds, max_size=4)), key=KIND_ORDER.index)
    names = draw(st.lists(_names, min_size=len(kinds), max_size=len(kinds), unique=True))
    positional = [n for k, n in zip(kinds, names, strict=True) if k == "positional_only"]
    parts = [*positional, "/"] if positional else []
    for kind, name in zip(kinds, names, strict=True):
        if kind in ("plain", "default"):
            parts.append(name + ("=None" if kind == "default" else ""))  # sorted: defaults come last
    star = draw(st.booleans())
    keyword = [
        f"{n}{'=None' if k == 'keyword_default' else ''}"
        for k, n in zip(kinds, names, strict=True)
        if k.startswith("keyword")
    ]
    if star or keyword:
        parts.append("*args" if star else "*")
    parts += keyword
    if draw(st.booleans()):
        parts.append("**kwargs")
    return ", ".join(parts)


@given(signatures())
def test_the_checks_refuse_exactly_what_the_call_would_refuse(parameters: str) -> None:
    """A handler is refused at declaration iff calling it as dispatch does raises TypeError."""
    namespace: dict[str, Any] = {}
    exec(f"def fn({parameters}):\n    return None", namespace)
    fn = namespace["fn"]
    for check, call in [
        (lambda: check_handler("s", "$default", fn), lambda: fn(1, 2)),
        (lambda: check_middleware(fn), lambda: fn(request=1, context=2, next=3)),
        (lambda: check_authorizer("s", fn), lambda: fn(1)),
    ]:
        try:
            call()
            calls = True
        except TypeError:
            calls = False
        try:
            check()
            accepted = True
        except TypeError:
            accepted = False
        assert accepted == calls, parameters
