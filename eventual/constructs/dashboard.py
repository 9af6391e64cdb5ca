"""``service.dashboard``: one CloudWatch dashboard per service and stage.

A row per socket (its API Gateway stage's connects and messages, its errors by kind, its
integration latency at p50 and p99, and its functions), then a row for what the service shares
(the HTTP API's function, the fan-out worker and its dead-letter queue, the connections table's
throttles). Every graph is per minute, API Gateway's and Lambda's finest standard resolution.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

if TYPE_CHECKING:
    from eventual.constructs.endpoint import SocketEndpoint

MINUTE = Duration.minutes(1)
WIDTH = 6
"""Four graphs to a row: CloudWatch dashboards are 24 units wide."""
HEIGHT = 6


class ServiceDashboard(Construct):
    """The ``dashboard`` of one stage, named ``<service>[-<stage>]-<region>`` (dashboards are per
    account, so the Region keeps two Regions' stages apart).

    :param name: the name's prefix (the plan's).
    :param title: the heading, such as ``eventual service my-service (stage dev)``.
    :param endpoints: the sockets, by name.
    :param functions: the service's own functions by label (``http-api``, ``fan-out``).
    :param dead_letter_queue: the fan-out dead-letter queue, if the service fans out.
    :param table: the connections table, if the service tracks connections.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        title: str,
        endpoints: Mapping[str, SocketEndpoint],
        functions: Mapping[str, lambda_.IFunction],
        dead_letter_queue: sqs.IQueue | None,
        table: dynamodb.ITable | None,
    ) -> None:
        super().__init__(scope, id)
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=f"{name}-{Aws.REGION}", default_interval=Duration.hours(3)
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# {title}\nPer socket: its API's stage, then its functions.", width=24, height=2
            )
        )
        for socket, endpoint in endpoints.items():
            self.dashboard.add_widgets(*socket_row(socket, endpoint))
        shared: list[cloudwatch.IWidget] = [
            function_graph(f"{label}: function", {label: function}) for label, function in functions.items()
        ]
        if dead_letter_queue is not None:
            shared.append(
                graph(
                    "fan-out: batches in the dead-letter queue",
                    [
                        dead_letter_queue.metric_approximate_number_of_messages_visible(
                            statistic="Maximum", period=MINUTE, label="messages (max)"
                        )
                    ],
                )
            )
        if table is not None:
            shared.append(
                graph(
                    "connections table: throttled requests",
                    [
                        table.metric(name, statistic="Sum", period=MINUTE, label=name)
                        for name in ("ReadThrottleEvents", "WriteThrottleEvents")
                    ],
                )
            )
        self.dashboard.add_widgets(*shared)


def socket_row(name: str, endpoint: SocketEndpoint) -> list[cloudwatch.IWidget]:
    """One socket's four graphs: traffic, errors, latency, functions."""
    functions: dict[str, lambda_.IFunction] = {name: endpoint.function}
    if endpoint.authorizer_function is not None:
        functions[f"{name} authorizer"] = endpoint.authorizer_function
    per_minute = {"period": MINUTE}
    return [
        graph(
            f"{name}: connects and messages",
            [
                endpoint.metric_connect_count(label="ConnectCount", **per_minute),
                endpoint.metric_message_count(label="MessageCount", **per_minute),
            ],
        ),
        graph(
            f"{name}: errors",
            [
                endpoint.metric_integration_error(label="IntegrationError", **per_minute),
                endpoint.metric_client_error(label="ClientError", **per_minute),
                endpoint.metric_execution_error(label="ExecutionError", **per_minute),
            ],
        ),
        graph(
            f"{name}: integration latency (ms)",
            [
                endpoint.metric_integration_latency(statistic=stat, label=stat, **per_minute)
                for stat in ("p50", "p99")
            ],
        ),
        function_graph(f"{name}: function", functions),
    ]


def function_graph(title: str, functions: Mapping[str, lambda_.IFunction]) -> cloudwatch.GraphWidget:
    """Errors, throttles and concurrency (left), duration p99 in ms (right), per function."""
    left: list[cloudwatch.IMetric] = []
    right: list[cloudwatch.IMetric] = []
    for label, function in functions.items():
        left += [
            function.metric_errors(period=MINUTE, label=f"{label} Errors"),
            function.metric_throttles(period=MINUTE, label=f"{label} Throttles"),
            function.metric(
                "ConcurrentExecutions",
                statistic="Maximum",
                period=MINUTE,
                label=f"{label} ConcurrentExecutions",
            ),
        ]
        right.append(function.metric_duration(statistic="p99", period=MINUTE, label=f"{label} Duration p99"))
    return cloudwatch.GraphWidget(title=title, left=left, right=right, width=WIDTH, height=HEIGHT)


def graph(title: str, metrics: Sequence[cloudwatch.IMetric]) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(title=title, left=list(metrics), width=WIDTH, height=HEIGHT)
