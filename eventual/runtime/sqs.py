"""The cloud's fan-out queue: the service's SQS queue (``EVENTUAL_FANOUT_QUEUE_URL``).

Imported on a broadcast's first fan-out, not at a cold start; boto3 with it. Each batch is one
message (:func:`eventual.fanout.encode_batch`); messages go out ``SendMessageBatch`` by
``SendMessageBatch``: at most 10 entries, and 256 KiB in all, per call.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import Any

from eventual.fanout import MAX_MESSAGE_BYTES, FanOutBatch, FanOutFailed, encode_batch

ENTRIES_PER_CALL = 10
"""SQS's limit of entries in one ``SendMessageBatch``."""
ATTEMPTS = 3
"""Sends of an entry SQS failed on its side (its ``Failed`` list, ``SenderFault`` false)."""


def new_broadcast_id() -> str:
    """Random, short, and safe in a log line or a URL."""
    return os.urandom(9).hex()


def message_groups(messages: Iterable[str]) -> Iterator[list[str]]:
    """Messages grouped into ``SendMessageBatch`` calls: 10 entries and 256 KiB at most each."""
    group: list[str] = []
    size = 0
    for message in messages:
        length = len(message.encode())
        if group and (len(group) >= ENTRIES_PER_CALL or size + length > MAX_MESSAGE_BYTES):
            yield group
            group, size = [], 0
        group.append(message)
        size += length
    if group:
        yield group


class SqsFanOutQueue:
    """:class:`eventual.fanout.FanOutQueue` on SQS; the client is made on first use."""

    def __init__(self, queue_url: str, client: Any = None) -> None:
        self.queue_url = queue_url
        self._boto3_client = client

    @property
    def _client(self) -> Any:
        if self._boto3_client is None:
            import boto3
            from botocore.config import Config

            self._boto3_client = boto3.client("sqs", config=Config(retries={"mode": "standard"}))
        return self._boto3_client

    def enqueue(self, batches: Iterable[FanOutBatch]) -> str:
        broadcast_id = new_broadcast_id()
        for group in message_groups(encode_batch(batch, broadcast_id) for batch in batches):
            self._send(group, broadcast_id)
        return broadcast_id

    def _send(self, group: list[str], broadcast_id: str) -> None:
        """Send one group; resend what SQS failed on its side; raise on what it refused."""
        entries = [{"Id": str(n), "MessageBody": body} for n, body in enumerate(group)]
        for _ in range(ATTEMPTS):
            response = self._client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = response.get("Failed") or []
            if not failed:
                return
            refused = [entry for entry in failed if entry.get("SenderFault")]
            if refused:
                break
            retry = {entry["Id"] for entry in failed}
            entries = [entry for entry in entries if entry["Id"] in retry]
        reasons = "; ".join(f"{e.get('Code')}: {e.get('Message')}" for e in failed)
        raise FanOutFailed(
            f"broadcast {broadcast_id}: {len(failed)} batch(es) could not be queued on "
            f"{self.queue_url} ({reasons})"
        )
