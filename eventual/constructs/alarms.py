"""``Service(alarms=Alarms(topic=...))``: CloudWatch alarms that notify an SNS topic.

Per socket: its integration errors, its execution errors and its p99 integration latency (API
Gateway's metrics, :mod:`eventual.constructs.metrics`), and each of its functions' failures
(Lambda's ``Errors`` + ``Throttles``); per service: the HTTP API's and the fan-out worker's
functions, the fan-out dead-letter queue and the connections table's throttles. Each alarm notifies
the topic when it fires and when it clears; missing data (no traffic) is not a breach. The
thresholds and their defaults are :class:`eventual.constructs.monitoring_plan.AlarmThresholds`.

A socket's alarms live in its ``SocketEndpoint``, so what a socket costs in resources is counted
with it (:mod:`eventual.constructs.resource_limit`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from eventual.constructs.monitoring_plan import LATENCY_PERIODS, PERIOD_MINUTES, AlarmThresholds

if TYPE_CHECKING:
    from eventual.constructs.endpoint import SocketEndpoint
    from eventual.constructs.fanout import FanOut

PERIOD = Duration.minutes(PERIOD_MINUTES)
_AT_LEAST = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
_NOT_BREACHING = cloudwatch.TreatMissingData.NOT_BREACHING


@dataclass(frozen=True, kw_only=True)
class Alarms(AlarmThresholds):
    """The alarms to create, and the topic they notify: ``Alarms(topic=alerts, latency_p99_ms=2000)``.

    :param topic: an ``aws_sns.ITopic`` of yours (subscribe your e-mail, chat or pager to it).
    The thresholds (see :class:`~eventual.constructs.monitoring_plan.AlarmThresholds` for each one's
    meaning and default) take a number, or ``None`` to leave that alarm out.
    """

    topic: sns.ITopic


class AlarmFactory:
    """Makes the alarms of one service on one topic; ``alarms`` holds each by a readable key
    (``chat/integration-errors``, ``chat authorizer/function-failures``, ``fan-out/failures``...)."""

    def __init__(self, topic: sns.ITopic, thresholds: AlarmThresholds, description: str) -> None:
        self._action = actions.SnsAction(topic)
        self.thresholds = thresholds
        self._description = description
        self.alarms: dict[str, cloudwatch.Alarm] = {}

    def socket(self, name: str, endpoint: SocketEndpoint) -> None:
        """A socket's alarms, in its endpoint."""
        t, minutes = self.thresholds, PERIOD_MINUTES
        self._alarm(
            endpoint,
            ("IntegrationErrorsAlarm", f"{name}/integration-errors", t.integration_errors),
            lambda: endpoint.metric_integration_error(period=PERIOD),
            f"socket {name}: {{}} or more requests answered 4XX/5XX by the function in {minutes} minutes "
            "(IntegrationError)",
        )
        self._alarm(
            endpoint,
            ("ExecutionErrorsAlarm", f"{name}/execution-errors", t.execution_errors),
            lambda: endpoint.metric_execution_error(period=PERIOD),
            f"socket {name}: {{}} or more requests API Gateway could not deliver to the function in "
            f"{minutes} minutes (ExecutionError); the clients got 500",
        )
        self._alarm(
            endpoint,
            ("LatencyAlarm", f"{name}/latency", t.latency_p99_ms),
            lambda: endpoint.metric_integration_latency(statistic="p99", period=PERIOD),
            f"socket {name}: IntegrationLatency p99 at {{}} ms or more for "
            f"{LATENCY_PERIODS * minutes} minutes",
            periods=LATENCY_PERIODS,
        )
        self.function(endpoint, "FunctionFailuresAlarm", name, endpoint.function)
        if endpoint.authorizer_function is not None:
            self.function(
                endpoint, "AuthorizerFailuresAlarm", f"{name} authorizer", endpoint.authorizer_function
            )

    def function(self, scope: Construct, id: str, label: str, function: lambda_.IFunction) -> None:
        """A function's ``Errors`` + ``Throttles``."""
        self._alarm(
            scope,
            (id, f"{label}/function-failures", self.thresholds.function_failures),
            lambda: _sum_of(
                f"{label} Errors + Throttles",
                errors=function.metric_errors(period=PERIOD),
                throttles=function.metric_throttles(period=PERIOD),
            ),
            f"{label}: {{}} or more invocations failed or throttled in {PERIOD_MINUTES} minutes (Lambda "
            "Errors + Throttles: crashes, timeouts, running out of memory, refused invocations)",
        )

    def shared(
        self,
        scope: Construct,
        functions: Mapping[str, lambda_.IFunction],
        fan_out: FanOut | None,
        table: dynamodb.ITable | None,
    ) -> None:
        """The service's own functions, the fan-out dead-letter queue, the table."""
        for label, function in functions.items():
            self.function(scope, f"{_pascal(label)}FailuresAlarm", label, function)
        t = self.thresholds
        if fan_out is not None:
            self._alarm(
                scope,
                ("FanOutDeadLetterAlarm", "fan-out/failures", t.fan_out_failures),
                fan_out.metric_failures,
                "fan-out: {} or more broadcast batches in the dead-letter queue, each undelivered to up "
                "to 500 connections after every retry",
            )
        if table is not None:
            self._alarm(
                scope,
                ("TableThrottlesAlarm", "table/throttles", t.table_throttles),
                lambda: _sum_of(
                    "ReadThrottleEvents + WriteThrottleEvents",
                    reads=table.metric("ReadThrottleEvents", statistic="Sum", period=PERIOD),
                    writes=table.metric("WriteThrottleEvents", statistic="Sum", period=PERIOD),
                ),
                f"connections table: {{}} or more throttled reads and writes in {PERIOD_MINUTES} minutes",
            )

    def _alarm(
        self,
        scope: Construct,
        which: tuple[str, str, float | None],
        metric: Callable[[], cloudwatch.IMetric],
        what: str,
        *,
        periods: int = 1,
    ) -> None:
        """The alarm ``which`` names (construct id, key in ``alarms``, threshold; none without a
        threshold) on ``metric``; ``what`` says when it fires, ``{}`` standing for the threshold."""
        id, key, threshold = which
        if threshold is None:
            return
        alarm = cloudwatch.Alarm(
            scope,
            id,
            metric=metric(),
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=_AT_LEAST,
            treat_missing_data=_NOT_BREACHING,
            alarm_description=f"{self._description}, {what.format(f'{threshold:g}')}",
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        self.alarms[key] = alarm


def _sum_of(label: str, **metrics: cloudwatch.IMetric) -> cloudwatch.MathExpression:
    """The sum of ``metrics`` (by the names the expression gives them), per period."""
    return cloudwatch.MathExpression(
        expression=" + ".join(metrics), using_metrics=metrics, label=label, period=PERIOD
    )


def _pascal(label: str) -> str:
    """``http-api`` -> ``HttpApi``."""
    return "".join(word.capitalize() for word in label.split("-"))
