"""Fan-out in the cloud: the SQS queue (moto), the worker Lambda entry over a loopback management
API (moto's never answers GoneException), and its partial batch response."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

import eventual.runtime.fanout_worker as worker
from eventual import socket
from eventual.deployment import Deployment
from eventual.errors import ConfigurationError
from eventual.fanout import MAX_MESSAGE_BYTES, FanOutBatch, FanOutFailed, decode_batch, encode_batch
from eventual.runtime.dispatch import dispatch
from eventual.runtime.environment import (
    FANOUT_ABOVE_ENV,
    FANOUT_CONCURRENCY_ENV,
    FANOUT_QUEUE_ENV,
    deployment_from,
    fan_out_concurrency_from,
)
from eventual.runtime.sqs import SqsFanOutQueue, message_groups
from tests import sqs_events
from tests.apigw_events import connect_event, message_event
from tests.loopback_api import LoopbackApi


@pytest.fixture
def queue_url(table: Any, environ: dict[str, str]) -> str:
    """The service's fan-out queue (moto, inside the table fixture's mock), named in ``environ``."""
    url: str = boto3.client("sqs").create_queue(QueueName="svc-fan-out")["QueueUrl"]
    environ[FANOUT_QUEUE_ENV] = url
    return url


def received(queue_url: str) -> list[dict[str, Any]]:
    """Every message on the queue, as SQS events give them to the worker."""
    sqs, records = boto3.client("sqs"), []
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    while True:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
        if not answer.get("Messages"):
            return records
        records += sqs_events.records_of(answer["Messages"], arn)


class FakeContext:
    def __init__(self, remaining: int) -> None:
        self.remaining = remaining

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining


def test_a_room_above_the_threshold_reaches_everyone_once_through_sqs_and_the_worker(
    table: Any,
    loopback: LoopbackApi,
    queue_url: str,
    environ: dict[str, str],
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def shout(request: Any, context: Any) -> dict[str, Any]:
        result = room.broadcast(request.body, exclude=request.connection_id, fan_out_above=5)
        return {"queued": result.queued, "id": result.broadcast_id, "delivered": result.delivered}

    room = socket("room", {"$default": shout}, track_connections=True)
    for n in range(40):
        dispatch(room, connect_event(f"C{n:02}="), deployment)
    loopback.gone = {"C07=", "C30="}

    reply = dispatch(room, message_event("hello", "C00="), deployment)

    answer = json.loads(reply["body"])
    assert (answer["queued"], answer["delivered"]) == (39, 0)
    assert loopback.requests == []  # the calling function posted nothing itself
    records = received(queue_url)
    assert {decode_batch(r["body"])[0] for r in records} == {answer["id"]}
    for name, value in {**environ, FANOUT_CONCURRENCY_ENV: "4"}.items():
        monkeypatch.setenv(name, value)  # the worker function's environment
    monkeypatch.setattr(worker, "_loaded", None)  # its cold start
    assert worker.handle(sqs_events.event(records), FakeContext(60_000)) == {"batchItemFailures": []}
    posts = [cid for method, cid, _ in loopback.requests if method == "POST"]
    assert sorted(posts) == [f"C{n:02}=" for n in range(1, 40)]  # each once, the sender never
    ids = {r["connectionId"] for r in room.connections()}
    assert ids == {f"C{n:02}=" for n in range(40)} - {"C07=", "C30="}  # the gone forgotten


def test_a_broadcast_that_runs_out_of_time_queues_the_rest(
    table: Any, loopback: LoopbackApi, queue_url: str, deployment: Deployment
) -> None:
    def shout(request: Any, context: Any) -> list[int]:
        result = room.broadcast(request.body)
        return [result.delivered, result.queued]

    room = socket("room", {"$default": shout}, track_connections=True)
    for n in range(12):
        dispatch(room, connect_event(f"C{n:02}="), deployment)
    reply = dispatch(room, message_event("hi", "C00="), deployment, lambda_context=FakeContext(1_500))
    assert json.loads(reply["body"]) == [0, 12]  # 1.5 s left is under the reserve: all queued
    queued = [cid for r in received(queue_url) for cid in decode_batch(r["body"])[1].connection_ids]
    assert sorted(queued) == [f"C{n:02}=" for n in range(12)]


def test_the_worker_reports_only_the_failed_messages_for_sqs_to_retry(
    table: Any, loopback: LoopbackApi, deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    """Records as Lambda sends them, every field present: the failed ones are named by their
    ``messageId`` (not the receipt handle, nor anything else a record holds)."""
    body = encode_batch(FanOutBatch("room", b"hi", ["A=", "B="]), "b1")
    loopback.script = [403]  # the first post is refused: its message must come back
    m1, m2, m3, m4 = (sqs_events.message_id(n) for n in range(4))
    records = [
        sqs_events.record(m1, body, receive_count=2),
        sqs_events.record(m2, "not a batch"),
        sqs_events.record(m3, encode_batch(FanOutBatch("room", b"ok", ["C="]), "b1")),
        sqs_events.record(m4, encode_batch(FanOutBatch("nope", b"x", ["D="]), "b1")),
    ]
    with caplog.at_level(logging.ERROR, logger="eventual"):
        response = worker.process(records, deployment, concurrency=1)
    assert response == {
        "batchItemFailures": [
            {"itemIdentifier": "059f36b4-87a3-44ab-83d2-661975830a7d"},
            {"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"},
            {"itemIdentifier": m4},
        ]
    }
    logged = [json.loads(r.getMessage()) for r in caplog.records if r.name == "eventual"]
    assert [(line["eventual"], line["messageId"], line["receiveCount"]) for line in logged] == [
        ("fan-out batch failed", m1, "2"),
        ("fan-out batch failed", m2, "1"),
        ("fan-out batch failed", m4, "1"),
    ]
    assert logged[1]["error"].startswith("ValueError: not a fan-out message")
    # A= was refused, B= still posted (the batch goes on), C= in its own message; no post for D=.
    assert [(method, cid) for method, cid, _ in loopback.requests] == [
        ("POST", "A="),
        ("POST", "B="),
        ("POST", "C="),
    ]


def test_a_gone_connection_the_worker_cannot_forget_does_not_fail_its_batch(
    loopback: LoopbackApi, deployment: Deployment, caplog: pytest.LogCaptureFixture
) -> None:
    loopback.gone = {"A="}  # and this deployment has no table at all
    body = encode_batch(FanOutBatch("room", b"hi", ["A=", "B="]), "b1")
    records = [sqs_events.record(sqs_events.message_id(0), body)]
    with caplog.at_level(logging.WARNING, logger="eventual"):
        assert worker.process(records, deployment, 2) == {"batchItemFailures": []}
    assert loopback.delivered() == {"B=": [b"hi"]}
    with pytest.raises(ConfigurationError) as no_table:
        _ = deployment.connections
    [warning] = [(r.name, r.levelname, r.getMessage()) for r in caplog.records]
    assert warning == (
        "eventual",
        "WARNING",
        f"socket 'room': could not forget gone connection A=: {no_table.value}",
    )


def test_enqueue_groups_messages_within_sqs_limits_and_they_arrive_intact(queue_url: str) -> None:
    payload = b"p" * (128 * 1024)
    batches = [FanOutBatch("room", payload, [f"id{n}"]) for n in range(3)] + [
        FanOutBatch("room", b"small", [f"s{n}"]) for n in range(12)
    ]
    broadcast_id = SqsFanOutQueue(queue_url).enqueue(iter(batches))
    got = sorted(
        (decode_batch(r["body"]) for r in received(queue_url)), key=lambda pair: pair[1].connection_ids
    )
    assert got == sorted(((broadcast_id, b) for b in batches), key=lambda pair: pair[1].connection_ids)


def test_message_groups_respect_ten_entries_and_256_kib() -> None:
    big, small = "b" * 180_000, "s" * 100
    groups = list(message_groups([big, big, small, *[small] * 20]))
    assert [len(g) for g in groups] == [1, 10, 10, 2]
    assert all(sum(len(m) for m in g) <= MAX_MESSAGE_BYTES for g in groups)


def stubbed_queue(*responses: dict[str, Any]) -> Iterator[SqsFanOutQueue]:
    client = boto3.client("sqs")
    stubber = Stubber(client)
    for response in responses:
        stubber.add_response("send_message_batch", response)
    with stubber:
        yield SqsFanOutQueue("https://sqs.us-east-1.amazonaws.com/1/q", client)
    stubber.assert_no_pending_responses()


def failed(fault: bool) -> dict[str, Any]:
    return {"Id": "1", "SenderFault": fault, "Code": "InternalError", "Message": "try again"}


def test_entries_sqs_failed_on_its_side_are_sent_again() -> None:
    ok = {"Id": "0", "MessageId": "x", "MD5OfMessageBody": "x"}
    again = {"Id": "1", "MessageId": "y", "MD5OfMessageBody": "y"}
    for queue in stubbed_queue(
        {"Successful": [ok], "Failed": [failed(False)]}, {"Successful": [again], "Failed": []}
    ):
        queue.enqueue([FanOutBatch("room", b"x", ["A="]), FanOutBatch("room", b"x", ["B="])])


def test_entries_sqs_refuses_fail_the_broadcast_loudly() -> None:
    ok = {"Id": "0", "MessageId": "x", "MD5OfMessageBody": "x"}
    for queue in stubbed_queue({"Successful": [ok], "Failed": [failed(True)]}):
        with pytest.raises(FanOutFailed, match=r"1 batch\(es\) could not be queued"):
            queue.enqueue([FanOutBatch("room", b"x", ["A="]), FanOutBatch("room", b"x", ["B="])])


def test_the_environment_configures_the_queue_threshold_and_worker_concurrency() -> None:
    plain = deployment_from({})
    assert (plain.fan_out, plain.fan_out_above) == (None, 1000)
    configured = deployment_from({FANOUT_QUEUE_ENV: "https://sqs.example/q", FANOUT_ABOVE_ENV: "50"})
    assert configured.fan_out_above == 50
    assert isinstance(configured.fan_out, SqsFanOutQueue) and configured.fan_out.queue_url.endswith("/q")
    assert (fan_out_concurrency_from({}), fan_out_concurrency_from({FANOUT_CONCURRENCY_ENV: "8"})) == (32, 8)
    for bad in ({FANOUT_ABOVE_ENV: "-1"}, {FANOUT_ABOVE_ENV: "many"}):
        with pytest.raises(ConfigurationError, match=FANOUT_ABOVE_ENV):
            deployment_from(bad)
    with pytest.raises(ConfigurationError, match=FANOUT_CONCURRENCY_ENV):
        fan_out_concurrency_from({FANOUT_CONCURRENCY_ENV: "0"})


def test_the_socket_functions_cold_start_loads_no_fan_out_code() -> None:
    """Only the first fan-out pays for the queue's code and boto3's SQS client."""
    import subprocess
    import sys

    code = f"""
import json, sys
import eventual.runtime.handler
from eventual.runtime.environment import deployment_from
deployment = deployment_from({{"{FANOUT_QUEUE_ENV}": "https://sqs.example/q"}})
print(json.dumps(sorted(sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = set(json.loads(out.stdout.splitlines()[-1]))
    fan_out = {
        "eventual.fanout",
        "eventual.broadcast",
        "eventual.runtime.sqs",
        "eventual.runtime.fanout_worker",
    }
    assert loaded.isdisjoint(fan_out | {"boto3"}), loaded & fan_out
