"""Tracked connections: who is connected to a socket, for ``connections()`` and ``broadcast()``.

In the cloud a DynamoDB table (one per service, created by the ``Service`` construct) holds one
item per open connection; the dev server and the test client keep an in-memory store with the
same interface (:class:`eventual.deployment.ConnectionStore`). ``$connect`` puts, ``$disconnect``
deletes, and a send that meets a gone connection deletes too.

Both stores yield :class:`eventual.connections.Connection` records and leave out an item whose
TTL has passed: DynamoDB deletes expired items in the background, typically within 48 hours, and
until then reads return them ("Working with expired items", DynamoDB Developer Guide, which
filters them with the same expression); a lost ``$disconnect`` must not linger in ``connections()``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from eventual.connections import Connection

PARTITION_KEY = "socket"
SORT_KEY = "connectionId"
TTL_ATTRIBUTE = "expiresAt"
TTL_SECONDS = 2 * 60 * 60 + 15 * 60
"""API Gateway closes every connection after 2 hours; an item outliving that by 15 minutes was
left by a lost ``$disconnect`` and expires by itself."""
PAGE_SIZE = 500
_SECONDS_BEFORE_MS = 10**11
"""A ``connectedAt`` below this is epoch seconds (written by eventual 0.1), not milliseconds."""

Clock = Callable[[], float]


class DynamoConnectionStore:
    """The service's DynamoDB table: partition ``socket``, sort ``connectionId``.

    The boto3 client is made on first use, so a cold start that never touches the table never
    imports boto3.
    """

    def __init__(self, table_name: str, page_size: int = PAGE_SIZE, clock: Clock = time.time) -> None:
        self.table_name = table_name
        self.page_size = page_size
        self._clock = clock
        self._boto3_client: Any = None

    @property
    def _client(self) -> Any:
        if self._boto3_client is None:
            import boto3
            from botocore.config import Config

            self._boto3_client = boto3.client("dynamodb", config=Config(retries={"mode": "standard"}))
        return self._boto3_client

    def put(
        self,
        socket: str,
        connection_id: str,
        identity: Mapping[str, Any] | None,
        connected_at: int | None = None,
    ) -> None:
        """Record a connection; ``connected_at`` (epoch ms) defaults to now."""
        now = self._clock()
        item: dict[str, Any] = {
            PARTITION_KEY: {"S": socket},
            SORT_KEY: {"S": connection_id},
            "connectedAt": {"N": str(int(now * 1000) if connected_at is None else connected_at)},
            # From this function's clock, not the event's: DynamoDB's TTL is epoch seconds of now.
            TTL_ATTRIBUTE: {"N": str(int(now) + TTL_SECONDS)},
        }
        if identity:
            item["identity"] = {"M": {k: _attribute(v) for k, v in identity.items()}}
        self._client.put_item(TableName=self.table_name, Item=item)

    def delete(self, socket: str, connection_id: str) -> None:
        key = {PARTITION_KEY: {"S": socket}, SORT_KEY: {"S": connection_id}}
        self._client.delete_item(TableName=self.table_name, Key=key)

    def connections(self, socket: str) -> Iterator[Connection]:
        """Every unexpired connection of ``socket``, one query page at a time."""
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="#socket = :socket",
            # Filtered after each page is read: a page may hold fewer than page_size records.
            FilterExpression="attribute_not_exists(#ttl) OR #ttl > :now",
            ExpressionAttributeNames={"#socket": PARTITION_KEY, "#ttl": TTL_ATTRIBUTE},
            ExpressionAttributeValues={
                ":socket": {"S": socket},
                ":now": {"N": str(int(self._clock()))},
            },
            PaginationConfig={"PageSize": self.page_size},
        )
        for page in pages:
            for item in page["Items"]:
                yield _connection_of(item)

    def connection_ids(self, socket: str) -> Iterator[str]:
        """The ids of :meth:`connections`."""
        return (record["connectionId"] for record in self.connections(socket))


def _connection_of(item: Mapping[str, Any]) -> Connection:
    connected_at = int(item.get("connectedAt", {}).get("N", "0"))
    if connected_at < _SECONDS_BEFORE_MS:
        connected_at *= 1000
    identity = item.get("identity")
    return {
        "connectionId": item[SORT_KEY]["S"],
        "identity": {k: _value(v) for k, v in identity["M"].items()} if identity else None,
        "connectedAt": connected_at,
    }


def _attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    return {"S": str(value)}


def _value(attribute: Mapping[str, Any]) -> Any:
    """The inverse of :func:`_attribute`."""
    if "BOOL" in attribute:
        return bool(attribute["BOOL"])
    if "N" in attribute:
        number = attribute["N"]
        return int(number) if number.lstrip("-").isdigit() else float(number)
    return attribute.get("S")


class InMemoryConnectionStore:
    """The dev server's store: the same interface and records, held in this process."""

    def __init__(self, clock: Clock = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._connections: dict[str, dict[str, tuple[Connection, float]]] = {}
        """Per socket, per id: the record and when it expires (epoch seconds)."""

    def put(
        self,
        socket: str,
        connection_id: str,
        identity: Mapping[str, Any] | None,
        connected_at: int | None = None,
    ) -> None:
        now = self._clock()
        record: Connection = {
            "connectionId": connection_id,
            "identity": dict(identity) if identity else None,
            "connectedAt": int(now * 1000) if connected_at is None else connected_at,
        }
        with self._lock:
            self._connections.setdefault(socket, {})[connection_id] = (record, now + TTL_SECONDS)

    def delete(self, socket: str, connection_id: str) -> None:
        with self._lock:
            self._connections.get(socket, {}).pop(connection_id, None)

    def connections(self, socket: str) -> Iterator[Connection]:
        """A snapshot (connections may come and go while a broadcast runs), expired ones left out
        as the table's query leaves them out."""
        now = self._clock()
        with self._lock:
            records = [r for r, expires in self._connections.get(socket, {}).values() if expires > now]
        return iter([_copy(record) for record in records])

    def connection_ids(self, socket: str) -> Iterator[str]:
        """The ids of :meth:`connections`."""
        return (record["connectionId"] for record in self.connections(socket))


def _copy(record: Connection) -> Connection:
    """A caller that edits a record it was given must not edit the store."""
    identity = record["identity"]
    return {**record, "identity": dict(identity) if identity is not None else None}
