"""Turning what handlers return or send into the bytes API Gateway carries."""

from __future__ import annotations

import json
from typing import Any

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


def json_dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)
