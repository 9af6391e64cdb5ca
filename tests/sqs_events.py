"""SQS events as Lambda hands them to a function (the fan-out worker), every field of a record
present, with the values of AWS's documented example ("Using Lambda with Amazon SQS", the example
standard queue message event: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html).

A function that reports partial batch failures names each failed message by its ``messageId``
(``{"batchItemFailures": [{"itemIdentifier": <messageId>}]}``, "Handling errors for an SQS event
source in Lambda"); the receipt handle and the MD5 are other strings, so a worker reporting the
wrong field fails the tests that use these records.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

QUEUE_ARN = "arn:aws:sqs:us-east-2:123456789012:my-queue"
REGION = "us-east-2"
SENDER_ID = "AIDAIENQZJOLO23YVJ4VO"
SENT_AT = "1545082649183"
FIRST_RECEIVED_AT = "1545082649185"
MESSAGE_IDS = ("059f36b4-87a3-44ab-83d2-661975830a7d", "2e1424d4-f796-459a-8184-9c92662be6da")
"""The example's two message ids; :func:`message_id` makes more in their shape."""


def message_id(n: int) -> str:
    """The ``n``-th message id: the example's two, then UUID-shaped others."""
    if n < len(MESSAGE_IDS):
        return MESSAGE_IDS[n]
    digest = hashlib.sha256(str(n).encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-8{digest[17:20]}-{digest[20:32]}"


def record(
    message_id: str,
    body: str,
    *,
    receive_count: int = 1,
    receipt_handle: str | None = None,
    queue_arn: str = QUEUE_ARN,
) -> dict[str, Any]:
    """One record of an SQS event, every field as Lambda sends it."""
    if receipt_handle is None:  # opaque, and never the message id
        receipt_handle = "AQEB" + base64.b64encode(hashlib.sha256(message_id.encode()).digest()).decode()
    return {
        "messageId": message_id,
        "receiptHandle": receipt_handle,
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": SENT_AT,
            "SenderId": SENDER_ID,
            "ApproximateFirstReceiveTimestamp": FIRST_RECEIVED_AT,
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": queue_arn.split(":")[3],
    }


def event(records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The event Lambda invokes the function with: a batch of records."""
    return {"Records": list(records)}


def records_of(messages: Iterable[Mapping[str, Any]], queue_arn: str) -> list[dict[str, Any]]:
    """``ReceiveMessage``'s messages (asked with ``AttributeNames=["All"]``) as the records Lambda's
    poller turns them into: the same id, receipt handle, body, MD5 and attributes."""
    records = []
    for message in messages:
        made = record(message["MessageId"], message["Body"], receipt_handle=message["ReceiptHandle"])
        made.update(
            md5OfBody=message["MD5OfBody"], eventSourceARN=queue_arn, awsRegion=queue_arn.split(":")[3]
        )
        sent = message.get("Attributes", {})
        made["attributes"] = {key: sent.get(key, value) for key, value in made["attributes"].items()}
        records.append(made)
    return records
