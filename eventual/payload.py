"""Turning what handlers return or send into the bytes API Gateway carries."""

from __future__ import annotations

import json
from typing import Any

from eventual.errors import PayloadTooLarge

MAX_PAYLOAD_BYTES = 128 * 1024
"""API Gateway's WebSocket message payload limit."""


def payload_bytes(data: Any) -> bytes:
    """``str`` as UTF-8, ``bytes`` as is, ``dict``/``list`` as compact JSON."""
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    if isinstance(data, dict | list):
        return json_dumps(data).encode()
    raise TypeError(f"cannot send {type(data).__name__}: send str, bytes, dict or list")


def checked_payload(data: Any) -> bytes:
    """``data`` as bytes, refused before any call if over API Gateway's limit."""
    body = payload_bytes(data)
    if len(body) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(
            f"message of {len(body)} bytes exceeds API Gateway's WebSocket limit of "
            f"{MAX_PAYLOAD_BYTES} bytes (128 KB)"
        )
    return body


def json_dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
