"""Tracked connections: who is connected to a socket, for ``connections()`` and ``broadcast()``.

In the cloud a DynamoDB table (one per service, created by the ``Service`` construct) holds one
item per open connection; the dev server and the test client keep an in-memory store with the
same interface (:class:`eventual.deployment.ConnectionStore`). ``$connect`` puts, ``$disconnect``
deletes, and a send that meets a gone connection deletes too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

PARTITION_KEY = "socket"
SORT_KEY = "connectionId"
TTL_ATTRIBUTE = "expiresAt"
TTL_SECONDS = 2 * 60 * 60 + 15 * 60
"""API Gateway closes every connection after 2 hours; an item outliving that by 15 minutes was
left by a lost ``$disconnect`` and expires by itself."""
PAGE_SIZE = 500


class DynamoConnectionStore:
    """The service's DynamoDB table: partition ``socket``, sort ``connectionId``.

    The boto3 client is made on first use, so a cold start that never touches the table never
    imports boto3.
    """

    def __init__(self, table_name: str, page_size: int = PAGE_SIZE) -> None:
        self.table_name = table_name
        self.page_size = page_size
        self._boto3_client: Any = None

    @property
    def _client(self) -> Any:
        if self._boto3_client is None:
            import boto3
            from botocore.config import Config

            self._boto3_client = boto3.client("dynamodb", config=Config(retries={"mode": "standard"}))
        return self._boto3_client

    def put(self, socket: str, connection_id: str, identity: Mapping[str, Any] | None) -> None:
        now = int(time.time())
        item: dict[str, Any] = {
            PARTITION_KEY: {"S": socket},
            SORT_KEY: {"S": connection_id},
            "connectedAt": {"N": str(now)},
            TTL_ATTRIBUTE: {"N": str(now + TTL_SECONDS)},
        }
        if identity:
            item["identity"] = {"M": {k: _attribute(v) for k, v in identity.items()}}
        self._client.put_item(TableName=self.table_name, Item=item)

    def delete(self, socket: str, connection_id: str) -> None:
        key = {PARTITION_KEY: {"S": socket}, SORT_KEY: {"S": connection_id}}
        self._client.delete_item(TableName=self.table_name, Key=key)

    def connection_ids(self, socket: str) -> Iterator[str]:
        paginator = self._client.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table_name,
            KeyConditionExpression="#socket = :socket",
            ExpressionAttributeNames={"#socket": PARTITION_KEY, "#id": SORT_KEY},
            ExpressionAttributeValues={":socket": {"S": socket}},
            ProjectionExpression="#id",
            PaginationConfig={"PageSize": self.page_size},
        )
        for page in pages:
            for item in page["Items"]:
                yield item[SORT_KEY]["S"]


def _attribute(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float):
        return {"N": str(value)}
    return {"S": str(value)}


class InMemoryConnectionStore:
    """The dev server's store: the same interface, held in this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: dict[str, dict[str, Mapping[str, Any] | None]] = {}

    def put(self, socket: str, connection_id: str, identity: Mapping[str, Any] | None) -> None:
        with self._lock:
            self._connections.setdefault(socket, {})[connection_id] = identity

    def delete(self, socket: str, connection_id: str) -> None:
        with self._lock:
            self._connections.get(socket, {}).pop(connection_id, None)

    def connection_ids(self, socket: str) -> Iterator[str]:
        with self._lock:  # a snapshot: connections may come and go while a broadcast runs
            ids = list(self._connections.get(socket, {}))
        return iter(ids)
