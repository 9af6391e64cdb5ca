"""The service's connections table in moto, as the runtime writes it: for tests and benchmarks."""

from __future__ import annotations

import time
from typing import Any

from eventual.runtime.connections import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, TTL_SECONDS


def create_connections_table(dynamodb: Any, table: str) -> None:
    """The table the ``Service`` construct creates: partition ``socket``, sort ``connectionId``."""
    dynamodb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
            {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": SORT_KEY, "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def fill_connections_table(dynamodb: Any, table: str, socket: str, ids: list[str]) -> None:
    """Track ``ids`` on ``socket``, 25 items a batch, expiring as ``$connect`` would set them."""
    expires = {"N": str(int(time.time()) + TTL_SECONDS)}
    for start in range(0, len(ids), 25):
        items = [
            {PARTITION_KEY: {"S": socket}, SORT_KEY: {"S": cid}, TTL_ATTRIBUTE: expires}
            for cid in ids[start : start + 25]
        ]
        dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in items]})
