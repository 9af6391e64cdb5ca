"""Turning what handlers return or send into the bytes API Gateway carries."""

from __future__ import annotations

import json
from typing import Any

from eventual.errors import PayloadTooLarge

MAX_PAYLOAD_BYTES = 128 * 1024
"""API Gateway's WebSocket message payload limit."""


def payload_bytes(data: Any) -> bytes:
    """``str`` as UTF-8, ``bytes`` as is, ``dict``/``list`` or a model as compact JSON."""
    if isinstance(data, str):
        return data.encode()
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    if isinstance(data, dict | list) or is_model(data):
        return json_dumps(data).encode()
    raise TypeError(
        f"cannot send {type(data).__name__}: send str, bytes, dict, list or a model "
        "(a pydantic model or dataclass instance)"
    )


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
    """Compact JSON; a model anywhere in ``data`` is encoded by :func:`_model_json`."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=_model_json)


def is_model(value: object) -> bool:
    """A pydantic model or dataclass instance: what :func:`_model_json` encodes. Tells without
    importing pydantic or ``dataclasses``."""
    cls = type(value)
    return hasattr(cls, "__pydantic_serializer__") or hasattr(cls, "__dataclass_fields__")


def _model_json(value: object) -> Any:
    """The one step for models, called by ``json`` for what it cannot encode itself: a model
    becomes JSON values in pydantic's JSON mode (:func:`eventual.models.json_value`), which the
    encoder then writes like any other; anything else is refused as ``json`` refuses it."""
    if not is_model(value):
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    from eventual.models import json_value  # pydantic: only for those who send models

    return json_value(value)
