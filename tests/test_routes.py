"""Route keys and route selection, as API Gateway's "Create routes for WebSocket APIs" defines them."""

from __future__ import annotations

import pytest

from eventual.routes import check_route_key, event_type_of, select_route, selection_path


@pytest.mark.parametrize(
    "key", ["$connect", "$disconnect", "$default", "sendMessage", "join-room", "v2.ping"]
)
def test_predefined_and_own_route_keys_are_accepted(key: str) -> None:
    assert check_route_key("chat", key) == key


@pytest.mark.parametrize(
    ("key", "match"),
    [("$other", "keys starting with '\\$' are API Gateway's own"), ("", "non-empty"), (3, "non-empty")],
)
def test_reserved_and_empty_route_keys_are_refused(key: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        check_route_key("chat", key)


@pytest.mark.parametrize(
    ("expression", "path"),
    [
        ("$request.body.action", ("action",)),
        ("${request.body.action}", ("action",)),
        ("$request.body.meta.type", ("meta", "type")),
        ("$request.body.route_key", ("route_key",)),
    ],
)
def test_supported_selection_expressions(expression: str, path: tuple[str, ...]) -> None:
    assert selection_path("chat", expression) == path


@pytest.mark.parametrize(
    "expression",
    [
        "$request.header.x",
        "${request.body.action}-v2",
        "$request.body.items[0]",
        "$request.body.",
        "action",
        "$context.routeKey",
        None,
    ],
)
def test_other_selection_expressions_are_refused_with_the_supported_forms(expression: object) -> None:
    with pytest.raises(
        ValueError, match=r"unsupported route selection expression.*'\$request.body.<property>'"
    ):
        selection_path("chat", expression)


ROUTES = ("sendMessage", "5", "true")


@pytest.mark.parametrize(
    ("body", "selected"),
    [
        ('{"action": "sendMessage", "text": "hi"}', "sendMessage"),
        ('{"action": "unknown"}', None),
        ('{"text": "no action"}', None),
        ("not json", None),
        ('["action", "sendMessage"]', None),
        ('"sendMessage"', None),
        (b'{"action": "sendMessage"}', None),  # binary frames go to $default
        ('{"action": 5}', "5"),  # the selected value is stringified before matching
        ('{"action": true}', "true"),
    ],
)
def test_a_message_selects_a_route_as_api_gateway_does(body: str | bytes, selected: str | None) -> None:
    assert select_route(("action",), ROUTES, body) == selected


def test_a_nested_path_selects() -> None:
    assert select_route(("meta", "type"), ("join",), '{"meta": {"type": "join"}}') == "join"
    assert select_route(("meta", "type"), ("join",), '{"meta": "join"}') is None


def test_message_routes_carry_messages() -> None:
    assert [event_type_of(k) for k in ("$connect", "$disconnect", "$default", "sendMessage")] == [
        "connect",
        "disconnect",
        "message",
        "message",
    ]
