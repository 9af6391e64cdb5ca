"""One socket in the cloud: a Lambda function behind an API Gateway WebSocket API and stage."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import jsii
from aws_cdk import Acknowledgment as Ack
from aws_cdk import CfnOutput, Validations
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.aws_apigatewayv2_authorizers import WebSocketLambdaAuthorizer
from aws_cdk.aws_apigatewayv2_integrations import WebSocketLambdaIntegration
from constructs import Construct

from eventual.outputs import output_description
from eventual.routes import ROUTES
from eventual.sockets import Socket

WEBSOCKET_ACCESS_LOG_FORMAT = {
    "requestId": "$context.requestId",
    "connectionId": "$context.connectionId",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "status": "$context.status",
    "requestTime": "$context.requestTime",
    "ip": "$context.identity.sourceIp",
    "integrationError": "$context.integrationErrorMessage",
    "error": "$context.error.message",
}
"""One JSON line per connect, message and disconnect, ready for CloudWatch Logs Insights."""

_NO_AUTHORIZER = (
    "$connect: the socket's handler and middleware decide who connects (a SocketResponse with a 4xx "
    "status rejects the handshake); declare socket(..., authorizer=fn) to put a Lambda authorizer on "
    "that route. $disconnect and $default: API Gateway allows authorizers on $connect only; they serve "
    "connections $connect accepted."
)
_AFTER_AUTHORIZER = (
    "API Gateway allows authorizers on a WebSocket API's $connect route only, and this socket's $connect "
    "has its Lambda authorizer; {route} serves only connections that authorizer admitted (the identity "
    "it returned reaches every event as requestContext.authorizer)."
)
CONNECT = "$connect"


@jsii.implements(apigwv2.IAccessLogSettings)
class AccessLogs:
    """Access logging for API Gateway v2 stages: JSON lines into ``log_group``.

    Stateless, so one instance serves every stage that logs the same fields to the same group.
    """

    def __init__(self, log_group: logs.ILogGroup, fields: Mapping[str, str]) -> None:
        self._destination = apigwv2.LogGroupLogDestination(log_group)
        self._format = apigw.AccessLogFormat.custom(json.dumps(fields, separators=(",", ":")))

    @property
    def destination(self) -> apigwv2.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> apigw.AccessLogFormat:
        return self._format


class SocketEndpoint(Construct):
    """A socket's function, ``WebSocketApi`` (``$connect``, ``$disconnect``, ``$default``) and stage.

    ``$default`` has a route response, so what the handler returns reaches the client. A socket
    declared with ``authorizer=`` also gets ``authorizer_function`` (running
    ``eventual.runtime.handler.authorize``) behind a Lambda REQUEST ``authorizer`` on ``$connect``.
    Created by :class:`~eventual.constructs.Service`, one per declared socket; its parts are attributes.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        socket: Socket,
        service_name: str,
        api_name: str,
        stage_name: str,
        function_props: Mapping[str, Any],
        access_logs: apigwv2.IAccessLogSettings,
        authorizer_function_props: Mapping[str, Any] | None = None,
        authorizer_name: str | None = None,
        identity_source: Sequence[str] = (),
    ) -> None:
        super().__init__(scope, id)
        self.name = socket.name
        self.socket = socket
        self.function = lambda_.Function(self, "Function", **function_props)
        self.api = apigwv2.WebSocketApi(
            self, "Api", api_name=api_name, description=f"eventual socket {socket.name} of {service_name}"
        )
        self.authorizer_function: lambda_.Function | None = None
        self.authorizer: WebSocketLambdaAuthorizer | None = None
        if authorizer_function_props is not None:
            self.authorizer_function = lambda_.Function(
                self, "AuthorizerFunction", **authorizer_function_props
            )
            self.authorizer = WebSocketLambdaAuthorizer(
                "Authorizer",
                self.authorizer_function,
                authorizer_name=authorizer_name,
                identity_source=list(identity_source),
            )
        self.integration = WebSocketLambdaIntegration("Integration", self.function)
        self.routes: dict[str, apigwv2.WebSocketRoute] = {
            key: self.api.add_route(
                key,
                integration=self.integration,
                authorizer=self.authorizer if key == CONNECT else None,
                return_response=key == "$default",
            )
            for key in ROUTES
        }
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=stage_name,
            auto_deploy=True,
            access_log_settings=access_logs,
        )
        # Read once: every property read is a round trip to the jsii kernel.
        self._url = self.stage.url
        self.url_output = CfnOutput(
            self,
            "Url",
            value=self._url,
            description=output_description(service_name, "socket", socket.name),
        )
        self._acknowledge_unauthorized_routes()

    def _acknowledge_unauthorized_routes(self) -> None:
        """cdk-nag's APIG4 flags every route without an authorizer; say why each one has none."""
        if self.authorizer is None:
            # One acknowledgment on this socket's API covers its three routes.
            Validations.of(self.api).acknowledge(
                Ack(id="AwsSolutions::AwsSolutions-APIG4", reason=_NO_AUTHORIZER)
            )
            return
        for key, route in self.routes.items():
            if key != CONNECT:
                Validations.of(route).acknowledge(
                    Ack(id="AwsSolutions::AwsSolutions-APIG4", reason=_AFTER_AUTHORIZER.format(route=key))
                )

    @property
    def url(self) -> str:
        """The ``wss://`` URL clients connect to (a token until deploy)."""
        return self._url

    @property
    def callback_url(self) -> str:
        """The ``https://`` management API URL that ``send`` and ``disconnect`` call."""
        return self.stage.callback_url

    def grant_manage_connections(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` send to, inspect and close this socket's connections (this stage only)."""
        return self.stage.grant_management_api_access(grantee)
