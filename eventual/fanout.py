"""Fan-out: a broadcast too large for one invocation, handed to a queue in batches.

When a room is larger than the socket's threshold (``fan_out_above``), or the calling Lambda's
time runs low, ``broadcast`` splits the rest of the room into :class:`FanOutBatch` es and gives
them to the deployment's :class:`FanOutQueue` (SQS in the cloud, ``eventual.runtime.fanout_memory``
in the dev server and the test client); workers post each batch through the management API.

A batch travels as one queue message, JSON: the payload once (base64), up to
:data:`MAX_BATCH_IDS` connection ids, sized to stay under SQS's 256 KiB message limit even with
a 128 KB payload (base64: ~171 KB). Imported on first fan-out only (never at a cold start).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from typing import Protocol

from eventual.errors import EventualError
from eventual.records import Record, init_fields

MAX_MESSAGE_BYTES = 256 * 1024
"""SQS's message size limit (and the limit of one ``SendMessageBatch`` call's total)."""
MAX_BATCH_IDS = 500
"""Connection ids per batch at most: a worker posts one batch in well under a second at 32
posts in flight and ~20 ms a post, so a retried batch repeats little."""
_ENVELOPE_BYTES = 160
"""The message's keys, quotes and broadcast id, beyond the socket name, payload and ids."""


class FanOutBatch(Record):
    """One unit of fan-out work: a payload for some connections of one socket."""

    __slots__ = ("body", "connection_ids", "socket")
    _compared = ("socket", "body", "connection_ids")

    socket: str
    body: bytes
    """Already encoded and checked (:func:`eventual.payload.checked_payload`)."""
    connection_ids: tuple[str, ...]

    def __init__(self, socket: str, body: bytes, connection_ids: Iterable[str]) -> None:
        init_fields(self, socket=socket, body=body, connection_ids=tuple(connection_ids))


class FanOutQueue(Protocol):
    """Where fan-out work goes; workers take it from there."""

    def enqueue(self, batches: Iterable[FanOutBatch]) -> str:
        """Queue every batch (read lazily: a room may be large) and return the broadcast's id.
        Raises if any batch could not be queued: a broadcast is never silently cut short."""
        ...


def batches_of(
    socket: str, body: bytes, connection_ids: Iterable[str], max_ids: int = MAX_BATCH_IDS
) -> Iterator[FanOutBatch]:
    """Split ``connection_ids`` into batches whose message fits :data:`MAX_MESSAGE_BYTES`."""
    room = MAX_MESSAGE_BYTES - _ENVELOPE_BYTES - _json_len(socket) - 4 * ((len(body) + 2) // 3)
    batch: list[str] = []
    size = 0
    for connection_id in connection_ids:
        cost = _json_len(connection_id) + 1  # its comma
        if batch and (len(batch) >= max_ids or size + cost > room):
            yield FanOutBatch(socket, body, batch)
            batch, size = [], 0
        batch.append(connection_id)
        size += cost
    if batch:
        yield FanOutBatch(socket, body, batch)


def encode_batch(batch: FanOutBatch, broadcast_id: str) -> str:
    """The queue message of one batch."""
    return json.dumps(
        {
            "v": 1,
            "broadcast": broadcast_id,
            "socket": batch.socket,
            "data": base64.b64encode(batch.body).decode(),
            "ids": batch.connection_ids,
        },
        separators=(",", ":"),
    )


def decode_batch(message: str) -> tuple[str, FanOutBatch]:
    """The broadcast id and batch of a queue message; ``ValueError`` if it is not one."""
    try:
        parsed = json.loads(message)
        if parsed.get("v") != 1:
            raise ValueError(f"unknown fan-out message version {parsed.get('v')!r}")
        ids = parsed["ids"]
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise ValueError("ids is not a list of strings")
        batch = FanOutBatch(str(parsed["socket"]), base64.b64decode(parsed["data"], validate=True), ids)
        return str(parsed["broadcast"]), batch
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise ValueError(f"not a fan-out message: {error}") from error


def _json_len(text: str) -> int:
    """Bytes of ``text`` as a JSON string; the common case (API Gateway ids) without encoding."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return len(text) + 2
    return len(json.dumps(text))


class FanOutFailed(EventualError):
    """Some batches of a broadcast could not be queued: the connections in them got nothing."""
