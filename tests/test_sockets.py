from __future__ import annotations

import json
import sys
import textwrap
import types
from typing import Any

import pytest

from eventual import DuplicateSocketError, SocketResponse, socket
from eventual.errors import ConfigurationError
from eventual.runtime.dispatch import dispatch
from eventual.sockets import sockets_of
from tests.apigw_events import connect_event, disconnect_event, message_event
from tests.deployments import bare_deployment

SERVICE = bare_deployment("s")


def test_socket_knows_where_it_was_declared() -> None:
    chat = socket("chat", {})
    assert chat.location is not None
    assert chat.location.filename == __file__
    assert chat.location.module == __name__


def test_missing_handlers_accept_and_ignore() -> None:
    empty = socket("empty")
    assert dispatch(empty, connect_event(), SERVICE) == {"statusCode": 200}
    assert dispatch(empty, message_event("hi"), SERVICE) == {"statusCode": 200}
    assert dispatch(empty, disconnect_event(), SERVICE) == {"statusCode": 200}


def test_unknown_handler_key_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"unknown route '\$message'.*\$connect, \$disconnect, \$default"):
        socket("typo", {"$message": lambda r, c: None})


def test_handler_must_be_callable() -> None:
    with pytest.raises(TypeError, match="'\\$default' is not callable"):
        socket("bad", {"$default": "not a function"})  # type: ignore[dict-item]


@pytest.mark.parametrize("name", ["", None, 3])
def test_name_must_be_a_non_empty_string(name: object) -> None:
    with pytest.raises(ValueError, match="non-empty string name"):
        socket(name, {})  # type: ignore[arg-type]


def test_options_are_validated_and_kept() -> None:
    sized = socket("sized", {}, memory_size=512, timeout=10)
    assert (sized.options.memory_size, sized.options.timeout) == (512, 10)
    with pytest.raises(ValueError, match="memory_size"):
        socket("tiny", {}, memory_size=64)
    with pytest.raises(ValueError, match="timeout"):
        socket("slow", {}, timeout=0)


def _load_module(name: str, source: str, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = f"/virtual/{name.replace('.', '/')}.py"
    monkeypatch.setitem(sys.modules, name, module)
    exec(compile(textwrap.dedent(source), module.__file__, "exec"), module.__dict__)
    return module


def test_a_service_is_what_its_entry_declares_or_imports_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Declared in the entry, or imported into it (even from outside its package); a module of the
    entry's package that the entry never imports is not part of the service, though imported."""
    _load_module("otherlib", 'from eventual import socket\nshared = socket("shared", {})\n', monkeypatch)
    _load_module("svcpkg", "", monkeypatch)
    _load_module("svcpkg.chat", 'from eventual import socket\nchat = socket("chat", {})\n', monkeypatch)
    _load_module("svcpkg.extra", 'from eventual import socket\nextra = socket("extra", {})\n', monkeypatch)
    entry = _load_module(
        "svcpkg.entry",
        """
        from eventual import socket
        from otherlib import shared
        from svcpkg.chat import chat
        main = socket("main", {})
        also_main = main
        """,
        monkeypatch,
    )
    found = sockets_of("svcpkg.entry")
    assert list(found) == ["chat", "main", "shared"]
    assert found["main"] is entry.main
    assert found["chat"] is sys.modules["svcpkg.chat"].chat


def test_two_services_may_each_have_a_socket_of_one_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names are unique per service, not per process: a monorepo's tests import both."""
    alpha = _load_module(
        "alpha_service", 'from eventual import socket\nchat = socket("chat", {})\n', monkeypatch
    )
    beta = _load_module(
        "beta_service", 'from eventual import socket\nchat = socket("chat", {})\n', monkeypatch
    )
    assert sockets_of("alpha_service") == {"chat": alpha.chat}
    assert sockets_of("beta_service") == {"chat": beta.chat}
    assert alpha.chat is not beta.chat


def test_two_sockets_of_one_name_in_a_service_name_both_places(monkeypatch: pytest.MonkeyPatch) -> None:
    _load_module("dup_a", 'from eventual import socket\n\nchat = socket("chat", {})\n', monkeypatch)
    _load_module(
        "dup_entry",
        'from eventual import socket\nfrom dup_a import chat\nroom = socket("chat", {})\n',
        monkeypatch,
    )
    with pytest.raises(DuplicateSocketError) as caught:
        sockets_of("dup_entry")
    assert str(caught.value) == (
        "entry 'dup_entry' has two sockets named 'chat': `chat` declared at /virtual/dup_a.py:3 and "
        "`room` declared at /virtual/dup_entry.py:3; socket names must be unique within a service"
    )
    assert isinstance(caught.value, ConfigurationError)  # the CLI's one-line error


def test_two_declarations_on_one_line_are_two_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    _load_module(
        "one_line", 'from eventual import socket\na = socket("x", {}); b = socket("x", {})\n', monkeypatch
    )
    with pytest.raises(
        DuplicateSocketError,
        match=r"`a` declared at /virtual/one_line.py:2 and `b` declared at /virtual/one_line.py:2",
    ):
        sockets_of("one_line")


def test_an_entry_without_sockets_says_how_to_give_it_some(monkeypatch: pytest.MonkeyPatch) -> None:
    _load_module("bare_entry", "import json\n", monkeypatch)
    with pytest.raises(ConfigurationError) as caught:
        sockets_of("bare_entry")
    assert str(caught.value) == (
        "entry 'bare_entry' declares no socket: bind each socket to a name in it "
        '(chat = socket("chat", ...)) or import it there (from myapp.chat import chat)'
    )


def test_connect_rejection_and_acceptance() -> None:
    def gate(request: object, context: object) -> SocketResponse | None:
        return SocketResponse(status=403, message="no") if request.query.get("token") != "t" else None  # type: ignore[attr-defined]

    gated = socket("gated", {"$connect": gate})
    assert dispatch(gated, connect_event(query={"token": "t"}), SERVICE) == {"statusCode": 200}
    assert dispatch(gated, connect_event(query={"token": "x"}), SERVICE) == {
        "statusCode": 403,
        "body": "no",
    }
    assert dispatch(gated, connect_event(), SERVICE)["statusCode"] == 403


# -- message routes -----------------------------------------------------------------------------


def test_message_routes_run_their_own_handler_with_message_middleware() -> None:
    seen: list[tuple[str, str]] = []

    def tag(request: Any, context: dict[str, Any], next: Any) -> Any:
        seen.append((request.type, request.route_key))
        return next(context)

    chat = socket.use({"message": tag}).socket(
        "chat",
        {
            "sendMessage": lambda request, context: {"sent": request.body},
            "$default": lambda request, context: "fallback",
        },
    )
    assert chat.message_routes == ("sendMessage",)
    sent = dispatch(chat, message_event('{"action":"sendMessage"}', route_key="sendMessage"), SERVICE)
    assert json.loads(sent["body"]) == {"sent": '{"action":"sendMessage"}'}
    assert dispatch(chat, message_event("plain"), SERVICE)["body"] == "fallback"
    assert seen == [("message", "sendMessage"), ("message", "$default")]


def test_route_selection_follows_the_declared_expression() -> None:
    handlers = {"join": lambda r, c: None, "$default": lambda r, c: None}
    feed = socket("feed", handlers, route_selection="$request.body.type")
    assert feed.select_route('{"type": "join"}') == "join"
    assert feed.select_route('{"action": "join"}') == "$default"


def test_without_default_an_unmatched_message_has_no_route() -> None:
    strict = socket("strict", {"$connect": lambda r, c: None, "ping": lambda r, c: "pong"})
    assert not strict.has_default_route
    assert strict.select_route('{"action": "ping"}') == "ping"
    assert strict.select_route('{"action": "other"}') is None
    assert strict.select_route(b"binary") is None
    assert socket("plain", {}).has_default_route  # no message routes: $default as before


def test_bad_route_declarations_fail_where_they_are_written() -> None:
    with pytest.raises(ValueError, match=r"unknown route '\$ping'"):
        socket("bad", {"$ping": lambda r, c: None})
    with pytest.raises(ValueError, match="unsupported route selection expression"):
        socket("bad", {"ping": lambda r, c: None}, route_selection="$request.header.x")
