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
    """``data`` as the JSON text eventual puts on the wire: the one encoder of route responses,
    ``send``, ``broadcast`` (and so the fan-out) and the dev server's own answers. A model
    anywhere in ``data`` is encoded by :func:`_model_json`.

    Compact, non-ASCII as is, and strict: RFC 8259 has no ``NaN`` or ``Infinity``, and a
    browser's ``JSON.parse`` rejects a message holding them (while Python's ``json.loads``
    accepts it, so a test would not notice), so they are refused like any value JSON cannot
    carry: ``ValueError`` naming where the value is, as ``TypeError`` names a type JSON lacks.
    """
    try:
        return _ENCODER.encode(data)
    except ValueError as error:
        where = _non_finite(data, "", set()) if str(error).startswith("Out of range float") else None
        if where is None:  # a circular reference
            raise
        path, value = where
        raise ValueError(
            f"cannot send {value!r} as JSON (at {path or 'the top'}): JSON has no NaN or Infinity, "
            "and a browser's JSON.parse rejects a message holding them; send null or a string"
        ) from error


def _non_finite(data: Any, path: str, seen: set[int]) -> tuple[str, float] | None:
    """Where the first NaN or infinity in ``data`` is (``['avg'][2]``), and its value; only
    called once encoding failed."""
    import math  # an extension module: only a failure pays for loading it

    if isinstance(data, float):
        return None if math.isfinite(data) else (path, data)
    if is_model(data):
        return _non_finite(_model_json(data), path, seen)
    if isinstance(data, dict):
        items: Any = data.items()
    elif isinstance(data, list | tuple):
        items = enumerate(data)
    else:
        return None
    if id(data) in seen:
        return None
    seen.add(id(data))
    for key, value in items:
        found = _non_finite(value, f"{path}[{key!r}]", seen)
        if found is not None:
            return found
    return None


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


_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_model_json)
