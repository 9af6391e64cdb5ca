"""Fan-out over SQS (issue 15): what one worker posts per second, and how long a room takes.

Measured, with moto for DynamoDB and SQS and a stand-in management API
(``benchmarks/standin_api.py``: its own process on 127.0.0.1, answering each post after
``BENCH_FANOUT_LATENCY_MS``, default 20 ms, API Gateway's typical 10-30 ms):

- enqueue: ``broadcast`` to 10,000 tracked connections above the threshold, from a warm function
  (its clients made): the table read page by page and every batch sent to SQS;
- drain: one worker (``fanout_worker.process``, 32 posts in flight) delivering every message
  the broadcast queued, one message per invocation, as an event source mapping of batch size 1
  gives them; the stand-in confirms each connection got exactly one post. Posts per second per
  worker and seconds per batch follow.

Modelled, from those figures: the end-to-end time for 10,000 and 100,000 connections at worker
concurrency 1, 10 and 50: ``pages * PAGE_LATENCY_S + queueing + LAMBDA_START_S +
ceil(batches / concurrency) * batch``, queueing (batching, encoding, ``SendMessageBatch``)
measured against moto and scaled linearly; moto's table read is not (it filters the whole
partition for every page, which DynamoDB does not), so the read is modelled per page.
Lambda runs each worker in its own environment with its own CPU, which a 2-core machine cannot
show by running 50 here; the 100,000 enqueue is 10x the 10,000 one (pages and messages grow
linearly). Conservative: workers start on the first message in the cloud, not after the last.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.bench_broadcast import _fake_aws
from benchmarks.harness import Figure

SOCKET = "bench-fan-out"
TABLE = "bench-fan-out-connections"
QUEUE = "bench-fan-out"
MEASURED = 10_000
ROOMS = (10_000, 100_000)
CONCURRENCIES = (1, 10, 50)
WORKER_POSTS_IN_FLIGHT = 32
PAGE_SIZE = 500
"""The connections table's query page (``eventual.runtime.connections.PAGE_SIZE``)."""
PAGE_LATENCY_S = 0.010
"""Assumed: one DynamoDB ``Query`` page of 500 small items, in region (moto's is CPU-bound)."""
LAMBDA_START_S = 1.0
"""Assumed: SQS event source poll to a worker running, including a cold start (~0.3 s of it)."""
GOAL_S = 10.0
"""Issue 15: 100,000 connections reached in under 10 s at concurrency 50."""
MESSAGE = {"text": "hello, everyone"}


def _fill_table(ids: list[str]) -> None:
    import boto3

    from tests.tables import create_connections_table, fill_connections_table

    dynamodb = boto3.client("dynamodb")
    create_connections_table(dynamodb, TABLE)
    fill_connections_table(dynamodb, TABLE, SOCKET, ids)


@contextmanager
def _standin(latency_ms: float) -> Iterator[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.standin_api", str(latency_ms)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)


def _counts(url: str) -> dict[str, int]:
    with urllib.request.urlopen(url.rsplit("/", 1)[0] + "/__counts", timeout=10) as response:
        counts: dict[str, int] = json.load(response)
    return counts


def _queue_only(ids: list[str]) -> float:
    """Seconds to batch, encode and send ``ids`` to a queue of their own (moto), the table aside."""
    import boto3

    from eventual.fanout import batches_of
    from eventual.payload import payload_bytes
    from eventual.runtime.sqs import SqsFanOutQueue

    queue = SqsFanOutQueue(boto3.client("sqs").create_queue(QueueName=f"{QUEUE}-alone")["QueueUrl"])
    queue.enqueue([])
    start = time.perf_counter()
    queue.enqueue(batches_of(SOCKET, payload_bytes(MESSAGE), iter(ids)))
    return time.perf_counter() - start


def _enqueue(url: str, ids: list[str]) -> tuple[float, float, list[str], Any]:
    """Broadcast to ``ids`` (in moto's table) from a warm function: (seconds to queue them alone,
    seconds of the whole broadcast, the messages it queued, its result)."""
    import boto3
    from moto import mock_aws

    from eventual import socket
    from eventual.runtime.environment import FANOUT_QUEUE_ENV, TABLE_ENV, URLS_ENV, deployment_from

    room = socket(SOCKET, {}, track_connections=True)
    with mock_aws():
        _fill_table(ids)
        sqs = boto3.client("sqs")
        queue_url = sqs.create_queue(QueueName=QUEUE)["QueueUrl"]
        urls = json.dumps({SOCKET: {"wss": "wss://unused", "http": url}})
        deployment = deployment_from({TABLE_ENV: TABLE, URLS_ENV: urls, FANOUT_QUEUE_ENV: queue_url})
        with deployment.activate():
            next(deployment.connections.connections(SOCKET))  # the clients a warm function has
            assert deployment.fan_out is not None
            deployment.fan_out.enqueue([])
            queue_s = _queue_only(ids)
            start = time.perf_counter()
            result = room.broadcast(MESSAGE)
            seconds = time.perf_counter() - start
        messages: list[str] = []
        while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages"):
            messages += [m["Body"] for m in batch]
    return queue_s, seconds, messages, result


def _drain(url: str, messages: list[str]) -> tuple[float, float]:
    """One worker, one message per invocation, against the stand-in: (seconds, CPU seconds)."""
    from eventual.deployment import Deployment, SocketUrls
    from eventual.runtime.fanout_worker import process
    from eventual.runtime.management import ManagementClient

    deployment = Deployment("bench", {SOCKET: SocketUrls("wss://unused", url)}, management=ManagementClient)
    deployment.management(SOCKET).post("warm-up", b"x")  # a warm worker's client and connection
    start, cpu = time.perf_counter(), time.process_time()
    for n, body in enumerate(messages):
        response = process([{"messageId": str(n), "body": body}], deployment, WORKER_POSTS_IN_FLIGHT)
        if response["batchItemFailures"]:
            raise RuntimeError(f"message {n} failed: {response}")
    return time.perf_counter() - start, time.process_time() - cpu


def run() -> list[Figure]:
    latency_ms = float(os.environ.get("BENCH_FANOUT_LATENCY_MS", "20"))
    ids = [f"Fan{n:06d}Conn=" for n in range(MEASURED)]
    with _standin(latency_ms) as url, _fake_aws():
        send_s, broadcast_s, messages, result = _enqueue(url, ids)
        if result.queued != MEASURED or result.delivered:
            raise RuntimeError(f"the broadcast did not queue the whole room: {result}")
        drain_s, drain_cpu_s = _drain(url, messages)
        counts = _counts(url)
    if (counts["posts"], counts["distinct"], counts["max_per_id"]) != (MEASURED + 1, MEASURED + 1, 1):
        raise RuntimeError(f"not every connection got exactly one post: {counts}")
    batch_s, ids_per_batch = drain_s / len(messages), MEASURED / len(messages)
    figures = [
        Figure(
            f"fan-out worker, {WORKER_POSTS_IN_FLIGHT} in flight, {latency_ms:g} ms a post",
            MEASURED / drain_s,
            "posts/s (measured)",
        ),
        Figure("fan-out worker: CPU per post", drain_cpu_s / MEASURED * 1e3, "ms (measured)"),
        Figure(f"fan-out worker: one batch of {ids_per_batch:.0f} ids", batch_s, "s (measured)"),
        Figure(
            f"broadcast of {MEASURED:,} to the queue, table read included (moto)", broadcast_s, "s (measured)"
        ),
        Figure(
            f"batching and queueing {MEASURED:,} ({len(messages)} messages, moto SQS)", send_s, "s (measured)"
        ),
        Figure(
            f"end to end {MEASURED:,} at concurrency 1, moto's table read, no Lambda start",
            broadcast_s + drain_s,
            "s (measured)",
        ),
    ]
    for room in ROOMS:
        batches = math.ceil(room / ids_per_batch)
        enqueue = math.ceil(room / PAGE_SIZE) * PAGE_LATENCY_S + send_s * room / MEASURED
        for concurrency in CONCURRENCIES:
            total = enqueue + LAMBDA_START_S + math.ceil(batches / concurrency) * batch_s
            goal = GOAL_S if (room, concurrency) == (100_000, 50) else None
            name = f"end to end {room:,} at concurrency {concurrency}"
            figures.append(Figure(name, total, "s (modelled)", budget=goal))
    return figures
