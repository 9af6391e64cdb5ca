"""Records: what frozen dataclasses gave the value objects, without importing dataclasses."""

from __future__ import annotations

import pytest

from eventual import MessageRequest, SocketResponse
from eventual.deployment import SocketUrls


def test_fields_are_set_once_and_never_again() -> None:
    urls = SocketUrls("wss://a/prod", "https://a/prod")
    with pytest.raises(AttributeError, match="SocketUrls is immutable"):
        urls.wss = "wss://b/prod"  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del urls.http
    assert (urls.wss, urls.http) == ("wss://a/prod", "https://a/prod")


def test_equality_hash_and_repr_use_the_compared_fields_only() -> None:
    one = MessageRequest("C=", "hi", "R=", None, {"requestContext": {"a": 1}})
    same = MessageRequest("C=", "hi", "R=", None, {"other": "event"})  # the event is not compared
    assert one == same and hash(one) == hash(same)
    assert one != MessageRequest("C=", "hi", "R=", None, route_key="join")
    assert one != ("C=", "hi")  # only the same type compares equal
    assert repr(one) == (
        "MessageRequest(connection_id='C=', body='hi', request_id='R=', identity=None, route_key='$default')"
    )


def test_every_slot_is_compared_unless_the_class_says_otherwise() -> None:
    assert SocketUrls("w", "h") == SocketUrls("w", "h") != SocketUrls("w", "x")
    assert SocketResponse(200, "x", {"A": "b"}) != SocketResponse(200, "x")
