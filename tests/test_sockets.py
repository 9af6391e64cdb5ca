from __future__ import annotations

import json
import sys
import textwrap
import types
from typing import Any

import pytest

from eventual import DuplicateSocketError, Socket, SocketResponse, socket
from eventual.runtime.dispatch import dispatch
from eventual.sockets import registry, sockets_of
from tests.apigw_events import connect_event, disconnect_event, message_event
from tests.deployments import bare_deployment

SERVICE = bare_deployment("s")

pytestmark = pytest.mark.usefixtures("socket_registry")


def test_socket_registers_under_its_name_with_its_location() -> None:
    chat = socket("chat", {})
    assert registry()["chat"] is chat
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


def test_duplicate_name_names_both_places() -> None:
    first = socket("dup", {})
    with pytest.raises(DuplicateSocketError) as caught:
        socket("dup", {})
    message = str(caught.value)
    assert f"{__file__}:{first.location.lineno}" in message  # type: ignore[union-attr]
    assert message.count(__file__) == 2
    assert registry()["dup"] is first


def _load_module(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = f"/virtual/{name.replace('.', '/')}.py"
    sys.modules[name] = module
    exec(compile(textwrap.dedent(source), module.__file__, "exec"), module.__dict__)
    return module


def test_redeclaring_from_the_same_place_replaces_the_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    """A module reload (hot reload, re-import) declares the same socket again: not a duplicate."""
    source = """
        from eventual import socket
        reloaded = socket("reloaded", {})
    """
    monkeypatch.delitem(sys.modules, "svc_reload", raising=False)
    first = _load_module("svc_reload", source).reloaded
    second = _load_module("svc_reload", source).reloaded
    assert first is not second
    assert registry()["reloaded"] is second


def test_sockets_of_finds_the_entry_package_and_reexports(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("svcpkg", "svcpkg.chat", "svcpkg.entry", "otherlib"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    _load_module("otherlib", 'from eventual import socket\nshared = socket("shared", {})\n')
    _load_module("svcpkg", "")
    _load_module("svcpkg.chat", 'from eventual import socket\nchat = socket("chat", {})\n')
    _load_module(
        "svcpkg.entry",
        'from eventual import socket\nfrom otherlib import shared\nmain = socket("main", {})\n',
    )
    _load_module("unrelated", 'from eventual import socket\nx = socket("unrelated", {})\n')
    found = sockets_of("svcpkg.entry")
    assert list(found) == ["chat", "main", "shared"]
    assert all(isinstance(s, Socket) for s in found.values())


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
