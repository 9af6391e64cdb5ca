"""``broadcast()`` to 5,000 tracked connections against moto (issue 6).

The service's DynamoDB table (created with the runtime's own schema constants) holds 5,000
connections of one socket; ``broadcast`` reads them page by page and posts through moto's
``apigatewaymanagementapi``. Every boto3 API call it makes is counted through botocore's
``before-call`` event. Figures:

- posts per connection: budget 1 (one ``PostToConnection`` each, no retries, no doubles);
- other calls per connection, beyond the table's ``Query`` pages: budget 0 (no extra reads);
- ``Query`` pages: at most ``ceil(5000 / PAGE_SIZE) + 1`` (the last page may come back empty);
- wall time, with its ratio to a baseline from the same run: the same 5,000 posts in a plain
  single-threaded boto3 loop over ids already in memory (no table read, no thread pool).
  moto serves every call in this process, so the ratio measures eventual's overhead, not the
  parallelism API Gateway would give.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.harness import Figure

CONNECTIONS = 5000
SOCKET = "bench-broadcast"
TABLE = "bench-broadcast-connections"
MANAGEMENT_URL = "https://bench0001.execute-api.us-east-1.amazonaws.com/prod"
MESSAGE = {"text": "hello, everyone"}


@contextmanager
def _fake_aws() -> Iterator[None]:
    """Fake credentials and region, nothing that leads elsewhere than moto; restored after."""
    wanted = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    dropped = ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN")
    saved = {name: os.environ.get(name) for name in (*wanted, *dropped)}
    for name in dropped:
        os.environ.pop(name, None)
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _fill_table(ids: list[str]) -> None:
    import boto3

    from tests.tables import create_connections_table, fill_connections_table

    dynamodb = boto3.client("dynamodb")
    create_connections_table(dynamodb, TABLE)
    fill_connections_table(dynamodb, TABLE, SOCKET, ids)


def _posted(ids: list[str]) -> dict[str, bytes]:
    """What moto's management API holds per connection (it keys them percent-encoded)."""
    from urllib.parse import quote

    from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
    from moto.core.models import DEFAULT_ACCOUNT_ID

    connections = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].connections
    return {cid: connections[quote(cid, safe="")].data for cid in ids if quote(cid, safe="") in connections}


def run() -> list[Figure]:
    import boto3
    from moto import mock_aws

    from eventual import socket
    from eventual.payload import payload_bytes
    from eventual.runtime.connections import PAGE_SIZE
    from eventual.runtime.environment import TABLE_ENV, URLS_ENV, deployment_from

    urls = json.dumps({SOCKET: {"wss": "wss://unused", "http": MANAGEMENT_URL}})
    ids = [f"Bench{n:05d}Conn=" for n in range(CONNECTIONS)]
    room = socket(SOCKET, {}, track_connections=True)
    body = payload_bytes(MESSAGE)

    with _fake_aws(), mock_aws():
        _fill_table(ids)
        calls: Counter[str] = Counter()
        counting = False

        def count(event_name: str, **_: Any) -> None:
            if counting:
                calls[event_name.removeprefix("before-call.")] += 1

        boto3.setup_default_session()
        assert boto3.DEFAULT_SESSION is not None
        boto3.DEFAULT_SESSION.events.register("before-call", count)  # every client made from now on
        deployment = deployment_from({TABLE_ENV: TABLE, URLS_ENV: urls})
        with deployment.activate():
            # The clients a warm Lambda already has.
            next(deployment.connections.connections(SOCKET)), deployment.management(SOCKET)

            counting = True
            start = time.perf_counter()
            result = room.broadcast(MESSAGE)
            broadcast_seconds = time.perf_counter() - start
            counting = False

            delivered = _posted(ids)
            if result.delivered != CONNECTIONS or result.gone or set(delivered.values()) != {body}:
                raise RuntimeError(f"broadcast did not reach every connection once: {result}")

            plain = boto3.client("apigatewaymanagementapi", endpoint_url=MANAGEMENT_URL)
            start = time.perf_counter()
            for connection_id in ids:
                plain.post_to_connection(ConnectionId=connection_id, Data=body)
            baseline_seconds = time.perf_counter() - start

    posts = calls.pop("apigatewaymanagementapi.PostToConnection", 0)
    pages = calls.pop("dynamodb.Query", 0)
    others = sum(calls.values())
    return [
        Figure(
            f"broadcast to {CONNECTIONS} (moto): posts per connection", posts / CONNECTIONS, "calls", budget=1
        ),
        Figure(
            "broadcast: other calls per connection, beyond Query pages",
            others / CONNECTIONS,
            f"calls ({', '.join(calls) or 'none'})",
            budget=0,
        ),
        Figure(
            f"broadcast: DynamoDB Query pages (page size {PAGE_SIZE})",
            pages,
            "calls",
            budget=math.ceil(CONNECTIONS / PAGE_SIZE) + 1,
        ),
        Figure(f"plain boto3 loop, {CONNECTIONS} posts (baseline)", baseline_seconds, "s"),
        Figure(
            f"broadcast to {CONNECTIONS}, wall time",
            broadcast_seconds,
            "s",
            ratio=broadcast_seconds / baseline_seconds,
        ),
    ]
