"""What handlers send, as bytes, and API Gateway's 128 KB quota on it (``Socket.send``'s check).

The quota ("WebSocket message payload size", 128 KB: apigateway-execution-service-websocket-limits-
table) is written here as 131,072 bytes, never read from the code under test.
"""

from __future__ import annotations

from typing import Any

import pytest

from eventual.errors import PayloadTooLarge
from eventual.payload import checked_payload, json_dumps, payload_bytes

QUOTA = 131_072


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("héllo", "héllo".encode()),
        (b"\xff\x00", b"\xff\x00"),
        (bytearray(b"ab"), b"ab"),
        (memoryview(b"cd"), b"cd"),
        ({"a": [1, "é"]}, '{"a":[1,"é"]}'.encode()),  # compact, UTF-8 as is
        ([], b"[]"),
    ],
)
def test_payload_bytes(data: Any, expected: bytes) -> None:
    assert payload_bytes(data) == expected


def test_anything_else_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="cannot send int: send str, bytes, dict or list"):
        payload_bytes(3)


@pytest.mark.parametrize(
    "data",
    ["x" * QUOTA, "é" * (QUOTA // 2), b"\xff" * QUOTA, {"k": "x" * (QUOTA - len('{"k":""}'))}],
    ids=["ascii", "utf-8", "bytes", "json"],
)
def test_exactly_128_kb_may_be_sent(data: Any) -> None:
    assert len(checked_payload(data)) == QUOTA


@pytest.mark.parametrize(
    "data",
    ["x" * (QUOTA + 1), "é" * (QUOTA // 2) + "x", b"\xff" * (QUOTA + 1), {"k": "x" * (QUOTA - 7)}],
    ids=["ascii", "utf-8", "bytes", "json"],
)
def test_one_byte_more_is_refused_before_any_call(data: Any) -> None:
    with pytest.raises(PayloadTooLarge) as refused:
        checked_payload(data)
    assert str(refused.value) == (
        "message of 131073 bytes exceeds API Gateway's WebSocket limit of 131072 bytes (128 KB)"
    )


def test_json_dumps_is_compact_and_keeps_unicode() -> None:
    assert json_dumps({"a": 1, "b": ["é", None]}) == '{"a":1,"b":["é",null]}'
