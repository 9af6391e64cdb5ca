"""Access logs of the service's API Gateway stages: one JSON line per request, connect or message."""

from __future__ import annotations

import json
from collections.abc import Mapping

import jsii
from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_logs as logs

WEBSOCKET_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "connectionId": "$context.connectionId",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "integrationError": "$context.integration.error",
    "error": "$context.error.message",
}
"""One JSON line per connect, message and disconnect, ready for CloudWatch Logs Insights.

Only variables AWS lists for WebSocket APIs: API Gateway refuses a stage whose format names
another (a 400 that rolls the whole stack back). tests/constructs/test_access_logs.py checks
both formats against the lists, kept beside it with their source."""

HTTP_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "requestTime": "$context.requestTime",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "integrationError": "$context.integrationErrorMessage",
}
"""The same for the HTTP API, from the variables AWS lists for HTTP APIs."""


@jsii.implements(apigwv2.IAccessLogDestination)
class LogGroupArnDestination:
    """A stage's access logs go to ``log_group``, named by its ARN as API Gateway stores it.

    aws-cdk-lib's ``LogGroupLogDestination`` passes the log group's ``Arn`` attribute, which ends in
    ``:*`` (every stream of the group). API Gateway stores the destination without it, so every
    CloudFormation drift check reported each stage as modified (aws-cdk issue 38796; the feature
    flag ``@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard`` fixes REST API stages
    only). This builds ``arn:<partition>:logs:<region>:<account>:log-group:<name>`` instead.
    """

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._log_group = log_group

    def bind(self, stage: apigwv2.IStage) -> apigwv2.AccessLogDestinationConfig:
        arn = Stack.of(stage).format_arn(
            service="logs",
            resource="log-group",
            resource_name=self._log_group.log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        return apigwv2.AccessLogDestinationConfig(destination_arn=arn)


@jsii.implements(apigwv2.IAccessLogSettings)
class AccessLogs:
    """Access logging for API Gateway v2 stages: JSON lines into ``log_group``.

    Stateless, so one instance serves every stage that logs the same fields to the same group.
    """

    def __init__(self, log_group: logs.ILogGroup, fields: Mapping[str, str]) -> None:
        self._destination = LogGroupArnDestination(log_group)
        self._format = apigw.AccessLogFormat.custom(json.dumps(fields, separators=(",", ":")))

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format
