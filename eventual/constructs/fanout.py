"""The cloud's fan-out: an SQS queue, its dead-letter queue and the worker function consuming it.

Built for a service that tracks connections, as :class:`eventual.constructs.fanout_plan.FanOutPlan`
says. A socket function's ``broadcast`` to more than ``fan_out_above`` connections sends batches of
up to 500 ids to the queue (``EVENTUAL_FANOUT_QUEUE_URL``, :mod:`eventual.runtime.sqs`); the worker
(``eventual.runtime.fanout_worker.handle``) posts each and reports the batches that failed, which
SQS delivers again and, after the last delivery, moves to the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.aws_lambda_event_sources import SqsEventSource
from constructs import Construct

from eventual.constructs.endpoint import SocketEndpoint
from eventual.constructs.fanout_plan import FanOutPlan
from eventual.constructs.functions import FunctionParts, function_props
from eventual.constructs.logical_ids import pin_logical_id
from eventual.constructs.nag import acknowledge_fan_out_role
from eventual.runtime.environment import FANOUT_QUEUE_ENV, TABLE_ENV, URLS_ENV

WORKER_TABLE_ACTIONS = ("dynamodb:DeleteItem",)
"""All the worker does to the table: forget a connection its post found gone. It reads no page:
the connection ids come in the message."""
# Read once: every attribute read of a jsii enum is a round trip to the kernel.
_SQS_MANAGED = sqs.QueueEncryption.SQS_MANAGED


class FanOut(Construct):
    """The fan-out queue (``queue``), its ``dead_letter_queue`` and the worker ``function``.

    Both queues are encrypted with SQS-managed keys and refuse requests without TLS. The queue
    hands a message to the worker at most ``max_receive_count`` times, then moves it to the
    dead-letter queue; its visibility timeout is six times the worker's timeout. The worker runs
    under its own role: ``POST @connections/*`` on every socket's stage, ``DeleteItem`` on the
    connections table, writes to the service's log group and what its event source needs.

    :param plan: what to build.
    :param parts: the roles (the worker's is ``"fan-out"``), log group, runtime and code.
    :param endpoints: every socket of the service: the worker may post to any of their connections.
    :param table: the service's connections table.
    :param socket_urls: ``EVENTUAL_SOCKET_URLS``, as the socket functions have it.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        plan: FanOutPlan,
        parts: FunctionParts,
        endpoints: Iterable[SocketEndpoint],
        table: dynamodb.ITable,
        socket_urls: str,
    ) -> None:
        super().__init__(scope, id)
        self.plan = plan
        self.dead_letter_queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=_SQS_MANAGED,
            enforce_ssl=True,
            retention_period=Duration.days(plan.dead_letter_retention_days),
        )
        self.queue = sqs.Queue(
            self,
            "Queue",
            encryption=_SQS_MANAGED,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(plan.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=plan.max_receive_count
            ),
        )
        props = function_props(plan.function, parts)
        props["environment"] = {**props["environment"], URLS_ENV: socket_urls, TABLE_ENV: table.table_name}
        self.function = lambda_.Function(self, "Function", **props)
        pin_logical_id(self.function, "Function", plan.function.function_name)
        self.role = parts.role_of(plan.function)
        endpoints = list(endpoints)
        self._grant_worker(parts, endpoints, table)
        acknowledge_fan_out_role(self.role, endpoints)

    def _grant_worker(
        self, parts: FunctionParts, endpoints: list[SocketEndpoint], table: dynamodb.ITable
    ) -> None:
        """The worker's role: what ``eventual.runtime.fanout_worker`` calls, and its event source."""
        parts.log_group.grant_write(self.role)
        table.grant(self.role, *WORKER_TABLE_ACTIONS)
        for endpoint in endpoints:
            endpoint.grant_post_to_connections(self.role)
        # Lambda's "Using Lambda with Amazon SQS": ReportBatchItemFailures, so a failed batch alone
        # is retried (the worker answers with batchItemFailures), and a maximum concurrency.
        self.function.add_event_source(
            SqsEventSource(
                self.queue,
                batch_size=self.plan.batch_size,
                report_batch_item_failures=True,
                max_concurrency=self.plan.max_concurrency,
            )
        )

    def serve(self, functions: Iterable[lambda_.Function], roles: Iterable[iam.IRole]) -> None:
        """Let the socket functions (under ``roles``) queue broadcasts: ``sqs:SendMessage`` on the
        queue, and its URL (and the service's threshold, if set) in their environment."""
        for role in roles:
            self.queue.grant_send_messages(role)
        environment: Mapping[str, str] = {
            FANOUT_QUEUE_ENV: self.queue.queue_url,  # read once: a round trip to the jsii kernel
            **self.plan.socket_environment,
        }
        for function in functions:
            for name, value in environment.items():
                function.add_environment(name, value)

    def metric_failures(self) -> cloudwatch.Metric:
        """Batches in the dead-letter queue (each undelivered to up to 500 connections after every
        delivery), the maximum per minute: alarm when it is above 0."""
        return self.dead_letter_queue.metric_approximate_number_of_messages_visible(
            statistic="Maximum", period=Duration.minutes(1)
        )
