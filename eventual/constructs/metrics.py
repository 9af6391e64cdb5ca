"""A socket's CloudWatch metrics, the way CDK's L2 constructs offer theirs: ``metric_*()`` methods.

API Gateway publishes these for every WebSocket API stage, with no setting to turn on
("Monitor WebSocket API execution with CloudWatch metrics"): namespace ``AWS/ApiGateway``,
dimensions ``ApiId`` and ``Stage``, and the metrics ``ConnectCount``, ``MessageCount``,
``IntegrationError``, ``ClientError``, ``ExecutionError`` and ``IntegrationLatency``. (Per-route
metrics need the stage's detailed metrics, billed apart; eventual leaves them off.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

if TYPE_CHECKING:
    from aws_cdk import aws_apigatewayv2 as apigwv2

    from eventual.constructs.plan import SocketPlan

NAMESPACE = "AWS/ApiGateway"
COUNTS = ("ConnectCount", "MessageCount", "IntegrationError", "ClientError", "ExecutionError")
LATENCY = "IntegrationLatency"


class SocketMetrics:
    """``metric_*`` methods for a socket's WebSocket API stage; mixed into ``SocketEndpoint``.

    Each takes ``aws_cloudwatch.MetricOptions`` fields as keywords (``period``, ``statistic``,
    ``label``...). Counts default to the sum per 5 minutes, latency to the average, as CDK's own.
    """

    api: apigwv2.WebSocketApi
    plan: SocketPlan

    def metric(self, metric_name: str, **options: Any) -> cloudwatch.Metric:
        """Any API Gateway metric of this socket's API and stage."""
        defaults: dict[str, Any] = {"statistic": "Sum", "period": Duration.minutes(5)}
        return cloudwatch.Metric(
            namespace=NAMESPACE,
            metric_name=metric_name,
            dimensions_map={"ApiId": self.api.api_id, "Stage": self.plan.stage_name},
            **{**defaults, **options},
        )

    def metric_connect_count(self, **options: Any) -> cloudwatch.Metric:
        """Messages sent to the ``$connect`` route's integration: connection attempts that reached
        the function (after the authorizer, if any)."""
        return self.metric("ConnectCount", **options)

    def metric_message_count(self, **options: Any) -> cloudwatch.Metric:
        """Messages sent to the WebSocket API, from or to the client (``send`` and replies count)."""
        return self.metric("MessageCount", **options)

    def metric_integration_error(self, **options: Any) -> cloudwatch.Metric:
        """Requests whose integration answered 4XX/5XX: a handler that failed, a ``$connect`` refused."""
        return self.metric("IntegrationError", **options)

    def metric_client_error(self, **options: Any) -> cloudwatch.Metric:
        """Requests API Gateway answered 4XX before invoking the integration (unauthorized,
        throttled, no route)."""
        return self.metric("ClientError", **options)

    def metric_execution_error(self, **options: Any) -> cloudwatch.Metric:
        """Errors calling the integration: the function could not be invoked or timed out."""
        return self.metric("ExecutionError", **options)

    def metric_integration_latency(self, **options: Any) -> cloudwatch.Metric:
        """Milliseconds between API Gateway sending a request to the function and its answer; the
        average by default (``statistic="p99"`` for the tail)."""
        return self.metric(LATENCY, **{"statistic": "Average", **options})
