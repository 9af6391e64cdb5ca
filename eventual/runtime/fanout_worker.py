"""The fan-out worker's Lambda entry, ``eventual.runtime.fanout_worker.handle``: it consumes
the service's fan-out queue (SQS) and posts each batch through the management API.

Each message is one batch (:mod:`eventual.fanout`); its posts run ``EVENTUAL_FANOUT_CONCURRENCY``
(default 32) at a time; gone connections are forgotten. A message that fails (a post failed
past boto3's retries, or it is no fan-out message) is reported in SQS's partial batch response
(``batchItemFailures``; the event source mapping needs ``ReportBatchItemFailures``): SQS delivers
it again, and after its ``maxReceiveCount`` moves it to the dead-letter queue. Nothing is
dropped; a retried batch may reach some connections twice (at-least-once).

The dev server's and the test client's queue (:mod:`eventual.runtime.fanout_memory`) runs
:func:`process` too. This module is the worker's only: the socket function never imports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from eventual.broadcast import post_each
from eventual.deployment import Deployment
from eventual.fanout import decode_batch
from eventual.runtime.environment import deployment_from, fan_out_concurrency_from

_loaded: tuple[Deployment, int] | None = None


def handle(event: Mapping[str, Any], context: Any = None) -> dict[str, list[dict[str, str]]]:
    """Lambda handler for SQS events of the fan-out queue."""
    global _loaded
    if _loaded is None:
        _loaded = deployment_from(os.environ), fan_out_concurrency_from(os.environ)
    deployment, concurrency = _loaded
    return process(event.get("Records") or [], deployment, concurrency)


def process(
    records: Iterable[Mapping[str, Any]], deployment: Deployment, concurrency: int
) -> dict[str, list[dict[str, str]]]:
    """Deliver each record's batch; the SQS partial batch response names those that failed."""
    failures = []
    for record in records:
        try:
            deliver(record["body"], deployment, concurrency)
        except Exception as error:
            _log_failure(record, error)
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}


def deliver(message: str, deployment: Deployment, concurrency: int) -> tuple[int, int]:
    """Post one message's batch; (delivered, gone). Raises if any post failed otherwise."""
    _broadcast_id, batch = decode_batch(message)
    client = deployment.management(batch.socket)
    return post_each(
        client, batch.body, iter(batch.connection_ids), concurrency, _forgetter(deployment, batch.socket)
    )


def _forgetter(deployment: Deployment, socket: str) -> Callable[[str], None]:
    def forget(connection_id: str) -> None:
        # A worker that cannot write the table still delivered the rest: log, do not fail the batch
        # (a retry would post every other connection of it again).
        try:
            deployment.connections.delete(socket, connection_id)
        except Exception as error:
            import logging

            logging.getLogger("eventual").warning(
                "socket %r: could not forget gone connection %s: %s", socket, connection_id, error
            )

    return forget


def _log_failure(record: Mapping[str, Any], error: BaseException) -> None:
    """One JSON line per failed message, for CloudWatch Logs Insights."""
    import json
    import logging

    attributes = record.get("attributes") or {}
    logging.getLogger("eventual").error(
        json.dumps(
            {
                "eventual": "fan-out batch failed",
                "messageId": record.get("messageId"),
                "receiveCount": attributes.get("ApproximateReceiveCount"),
                "error": f"{type(error).__name__}: {error}",
            }
        )
    )
