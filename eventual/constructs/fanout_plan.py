"""What ``Service`` builds for broadcast fan-out, decided without the CDK: :class:`FanOutPlan`.

A service that tracks connections gets an SQS queue, its dead-letter queue and a worker function
running ``eventual.runtime.fanout_worker.handle`` (:mod:`eventual.fanout`: a broadcast to more than
``fan_out_above`` connections is queued in batches of up to 500 ids). The settings below follow the
Lambda developer guide's "Using Lambda with Amazon SQS" (its pages on the event source mapping,
partial batch responses and scaling); :mod:`eventual.constructs.fanout` builds what they say.
Imports nothing from aws_cdk, like :mod:`eventual.constructs.plan`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.names import function_name
from eventual.constructs.plan import FunctionPlan, ServiceOptions, SocketPlan
from eventual.runtime.environment import (
    FANOUT_ABOVE_ENV,
    FANOUT_CONCURRENCY_ENV,
    FANOUT_QUEUE_ENV,
    SERVICE_ENV,
)
from eventual.stages import name_prefix

HANDLER = "eventual.runtime.fanout_worker.handle"
FUNCTION = "fan-out"
"""The name (after the service's prefix) of the worker function."""
MEMORY_MB = 1769
"""One full vCPU ("at 1,769 MB, a function has the equivalent of one vCPU", Lambda's "Configure
Lambda function memory"): a worker's 32 posts in flight spend their CPU on TLS and JSON."""
TIMEOUT_SECONDS = 60
"""Ample for one batch: 500 posts, 32 in flight at 20-30 ms each, take about half a second."""
BATCH_SIZE = 1
"""One message (one batch of up to 500 connections) per invocation: a failed message is retried
alone, and SQS's scaling adds invocations rather than lengthening one."""
MAX_CONCURRENCY = 50
"""The event source mapping's maximum concurrency ("Configuring maximum concurrency for Amazon SQS
event sources"): at most 50 workers at once, so a large broadcast leaves the account's concurrency
(1,000 by default) to the socket functions. 50 workers x 32 posts in flight: ~1,600 connections
in flight, 100,000 connections in about 7 s."""
MAX_RECEIVE_COUNT = 5
"""Deliveries of a message before SQS moves it to the dead-letter queue (its redrive policy). Lambda's
"Understanding SQS retries" (https://docs.aws.amazon.com/lambda/latest/dg/sqs-retries.html): "Set
the maxReceiveCount on the source queue's redrive policy to at least 5", because a message Lambda
reads while the worker is throttled counts as a receive too: with fewer, a burst of throttling
alone could dead-letter a batch no worker ever tried."""
VISIBILITY_TIMEOUT_FACTOR = 6
"""The queue's visibility timeout is 6x the function's: "set the source queue's visibility timeout
to at least six times the timeout that you configure on your function", so a message Lambda retries
on throttling is not delivered again while an invocation still holds it (Lambda's SQS event source
docs)."""
DEAD_LETTER_RETENTION_DAYS = 14
"""SQS's longest retention: a standard queue keeps a message's first enqueue time when it moves
to the dead-letter queue, so the dead-letter queue should keep messages longer than the source."""
QUEUE_URL_MAX = 160
"""The longest ``EVENTUAL_FANOUT_QUEUE_URL`` (``https://sqs.<region>.amazonaws.com.cn/<account>/``
and an 80-character queue name CloudFormation generates), for the environment's size check."""


@dataclass(frozen=True)
class FanOutPlan:
    """The fan-out queue, its dead-letter queue and the worker that consumes it."""

    function: FunctionPlan
    """The worker; ``EVENTUAL_SOCKET_URLS`` and ``EVENTUAL_CONNECTIONS_TABLE`` come once they exist."""
    batch_size: int
    max_concurrency: int
    max_receive_count: int
    dead_letter_retention_days: int
    fan_out_above: int | None
    """The service's threshold, set on every socket function when given (else the runtime's 1,000)."""

    @property
    def visibility_timeout_seconds(self) -> float:
        """Six times the worker's timeout (:data:`VISIBILITY_TIMEOUT_FACTOR`)."""
        return VISIBILITY_TIMEOUT_FACTOR * self.function.timeout_seconds

    @property
    def socket_environment(self) -> Mapping[str, str]:
        """What every socket function gets besides the queue's URL (a token until deploy)."""
        above = {} if self.fan_out_above is None else {FANOUT_ABOVE_ENV: str(self.fan_out_above)}
        return MappingProxyType(above)


def plan_fan_out(
    plans: Mapping[str, SocketPlan], options: ServiceOptions, description: str
) -> FanOutPlan | None:
    """The fan-out of a service that tracks connections; ``None`` (nothing built) for one that does not.

    ``description`` is the service's (``eventual service <name>``, with its stage)."""
    above = _count("fan_out_above", options.fan_out_above, minimum=0)
    concurrency = _count("fan_out_concurrency", options.fan_out_concurrency, minimum=1)
    if not any(plan.tracked for plan in plans.values()):
        _refuse_unused(options.name, fan_out_above=above, fan_out_concurrency=concurrency)
        return None
    environment = {SERVICE_ENV: options.name}
    if concurrency is not None:
        environment[FANOUT_CONCURRENCY_ENV] = str(concurrency)
    worker = FunctionPlan(
        function_name=function_name(name_prefix(options.name, options.stage), FUNCTION),
        description=f"{description}: fan-out worker, posts queued broadcasts",
        handler=HANDLER,
        role="fan-out",
        memory_size=MEMORY_MB,
        timeout_seconds=TIMEOUT_SECONDS,
        environment=MappingProxyType(environment),
        # The socket functions' CPU, so the service's asset is built once.
        options=MappingProxyType(_architecture_of(options.function_options)),
    )
    return FanOutPlan(
        function=worker,
        batch_size=BATCH_SIZE,
        max_concurrency=MAX_CONCURRENCY,
        max_receive_count=MAX_RECEIVE_COUNT,
        dead_letter_retention_days=DEAD_LETTER_RETENTION_DAYS,
        fan_out_above=above,
    )


def fan_out_function_names(fan_out: FanOutPlan | None) -> Iterator[tuple[str, str]]:
    """The worker's name, for the check that no two functions share one."""
    if fan_out is not None:
        yield "(fan-out worker)", fan_out.function.function_name


def socket_environment_estimate(fan_out: FanOutPlan | None) -> dict[str, str]:
    """What fan-out adds to each socket function's environment, the queue URL at its longest."""
    if fan_out is None:
        return {}
    return {FANOUT_QUEUE_ENV: "x" * QUEUE_URL_MAX, **fan_out.socket_environment}


def _refuse_unused(service: str, **given: int | None) -> None:
    """Options for a fan-out that a service tracking no connections does not have: an error, not
    a setting that silently does nothing."""
    named = [name for name, value in given.items() if value is not None]
    if named:
        raise ServiceDefinitionError(
            f"service {service!r}: {' and '.join(named)} given, but the service tracks no connections, "
            "so it broadcasts to none and has no fan-out queue: declare a socket with "
            "socket(..., track_connections=True)"
        )


def _architecture_of(function_options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in function_options.items() if k == "architecture"}


def _count(name: str, value: object, *, minimum: int) -> int | None:
    """A whole number of at least ``minimum``, as the runtime reads it from the environment."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ServiceDefinitionError(f"{name} must be a whole number of at least {minimum}, got {value!r}")
    return value
