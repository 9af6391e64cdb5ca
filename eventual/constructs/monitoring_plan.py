"""What a stage's dashboard shows and when its alarms fire: :class:`AlarmThresholds`.

The metrics are API Gateway's for WebSocket APIs (namespace ``AWS/ApiGateway``, dimensions
``ApiId`` and ``Stage``: ``ConnectCount``, ``MessageCount``, ``IntegrationError``, ``ClientError``,
``ExecutionError``, ``IntegrationLatency``, as "Monitor WebSocket API execution with CloudWatch
metrics" lists them), Lambda's per function (``Errors``, ``Throttles``, ``Duration``,
``ConcurrentExecutions``), the fan-out dead-letter queue's and the connections table's.
:mod:`eventual.constructs.dashboard` and :mod:`eventual.constructs.alarms` build them, as
:mod:`eventual.constructs.operating_plan` decides.
Imports nothing from aws_cdk, like :mod:`eventual.constructs.plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from eventual.constructs.errors import ServiceDefinitionError

PERIOD_MINUTES = 5
"""Every alarm's period: long enough that one stray request is not a page, short enough to act on."""


@dataclass(frozen=True)
class AlarmThresholds:
    """When each alarm fires; ``None`` leaves that alarm out. The defaults are the README's.

    Every count is a sum over one 5-minute period, compared with ``>=``.
    """

    integration_errors: int | None = 10
    """Per socket: requests whose function answered 4XX/5XX (``IntegrationError``). A handler that
    raises, and a ``$connect`` that refuses (``SocketResponse(401)``), both count: a socket that
    turns many clients away may want this higher."""
    execution_errors: int | None = 1
    """Per socket: requests API Gateway failed to deliver to the function at all (``ExecutionError``:
    the function throttled, timed out or could not be invoked); the client got a 500 and no code ran."""
    latency_p99_ms: float | None = 5000
    """Per socket: the 99th percentile of ``IntegrationLatency`` in milliseconds, over 3 periods in a
    row (API Gateway gives up at 29 s; a p99 of 5 s means clients wait)."""
    function_failures: int | None = 1
    """Per function (each socket's, authorizer's, the HTTP API's and the fan-out worker's):
    ``Errors`` + ``Throttles``. eventual answers a handler's exception itself, so these are crashes,
    timeouts, out-of-memory and invocations Lambda refused."""
    fan_out_failures: int | None = 1
    """Broadcast batches in the fan-out dead-letter queue (the maximum of
    ``ApproximateNumberOfMessagesVisible`` per minute): each left up to 500 connections without the
    message."""
    table_throttles: int | None = 1
    """The connections table's ``ReadThrottleEvents`` + ``WriteThrottleEvents``."""

    def __post_init__(self) -> None:
        for item in fields(AlarmThresholds):
            value = getattr(self, item.name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float) or value <= 0
            ):
                raise ServiceDefinitionError(
                    f"alarms: {item.name} must be a positive number (or None to leave that alarm out), "
                    f"got {value!r}"
                )


LATENCY_PERIODS = 3
"""The latency alarm fires after this many 5-minute periods above its threshold, not one spike."""


@dataclass(frozen=True)
class AlarmsOptions:
    """``Service(alarms=...)`` as plain fields: the topic (opaque here) and the thresholds."""

    topic: Any
    """The user's ``aws_sns.ITopic``: every alarm notifies it when it fires and when it clears."""
    thresholds: AlarmThresholds
