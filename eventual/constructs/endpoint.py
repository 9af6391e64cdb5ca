"""One socket in the cloud: a Lambda function behind an API Gateway WebSocket API and stage."""

from __future__ import annotations

from aws_cdk import Annotations, CfnOutput, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk.aws_apigatewayv2_authorizers import WebSocketLambdaAuthorizer
from constructs import Construct

from eventual.constructs.functions import FunctionParts, function_props
from eventual.constructs.integration import LambdaProxyIntegration, grant_invoke_from_api
from eventual.constructs.logical_ids import pin_logical_id
from eventual.constructs.metrics import SocketMetrics
from eventual.constructs.nag import CONNECT, acknowledge_unauthorized_routes
from eventual.constructs.plan import API_GATEWAY_TIMEOUT_SECONDS, AuthorizerPlan, SocketPlan
from eventual.constructs.throttle import Throttle
from eventual.outputs import output_description
from eventual.routes import event_type_of


class SocketEndpoint(SocketMetrics, Construct):
    """A socket's function, ``WebSocketApi`` and stage.

    The API has a route per key the plan lists (``$connect``, ``$disconnect``, ``$default`` and
    the socket's message routes), all integrated with the one function, which API Gateway may
    invoke from any of them by one grant (:mod:`eventual.constructs.integration`); every message route and
    ``$default`` has a route response, so what the handler returns reaches the client. A socket
    declared with ``authorizer=`` also gets ``authorizer_function`` (running
    ``eventual.runtime.handler.authorize``) behind a Lambda REQUEST ``authorizer`` on ``$connect``.
    Created by :class:`~eventual.constructs.Service` from the socket's ``plan``, one per declared
    socket; its parts are attributes, its metrics ``metric_*()`` methods (:mod:`eventual.constructs.metrics`).

    :param plan: what to build (:class:`eventual.constructs.plan.SocketPlan`).
    :param parts: the roles, log group, runtime and code the service's functions share.
    :param access_logs: the stage's access logging.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        plan: SocketPlan,
        parts: FunctionParts,
        access_logs: apigwv2.IAccessLogSettings,
    ) -> None:
        super().__init__(scope, id)
        self.plan = plan
        self.name = plan.name
        self.socket = plan.socket
        self.function = lambda_.Function(self, "Function", **function_props(plan.function, parts))
        pin_logical_id(self.function, "Function", plan.function.function_name)
        self._warn_past_api_gateway_timeout()
        self.api = apigwv2.WebSocketApi(
            self,
            "Api",
            api_name=plan.api_name,
            description=plan.api_description,
            route_selection_expression=plan.route_selection,
        )
        self.authorizer_function: lambda_.Function | None = None
        self.authorizer: WebSocketLambdaAuthorizer | None = None
        if plan.authorizer is not None:
            self._add_authorizer(plan.authorizer, parts)
        self.integration = LambdaProxyIntegration("Integration", self.function)
        grant_invoke_from_api(self.function, self.api)
        self.routes: dict[str, apigwv2.WebSocketRoute] = {
            key: self.api.add_route(
                key,
                integration=self.integration,
                authorizer=self.authorizer if key == CONNECT else None,
                return_response=event_type_of(key) == "message",
            )
            for key in plan.route_keys
        }
        self.stage = apigwv2.WebSocketStage(
            self,
            "Stage",
            web_socket_api=self.api,
            stage_name=plan.stage_name,
            auto_deploy=True,
            access_log_settings=access_logs,
            throttle=throttle_settings(plan.throttle),
        )
        # Read once: every property read is a round trip to the jsii kernel.
        self._url = self.stage.url
        self.url_output = CfnOutput(
            self,
            "Url",
            value=self._url,
            description=output_description(plan.service, "socket", plan.name, stage=plan.stage),
        )
        acknowledge_unauthorized_routes(self)

    def _warn_past_api_gateway_timeout(self) -> None:
        if self.plan.function.past_api_gateway_timeout:
            Annotations.of(self.function).add_warning_v2(
                "eventual:timeout-over-api-gateway",
                f"socket {self.name!r}: timeout {self.plan.function.timeout_seconds:g} s, but API "
                f"Gateway waits {API_GATEWAY_TIMEOUT_SECONDS} s at most: a later $default reply never "
                "reaches the client",
            )

    def _add_authorizer(self, plan: AuthorizerPlan, parts: FunctionParts) -> None:
        self.authorizer_function = lambda_.Function(
            self, "AuthorizerFunction", **function_props(plan.function, parts)
        )
        pin_logical_id(self.authorizer_function, "Function", plan.function.function_name)
        self.authorizer = WebSocketLambdaAuthorizer(
            "Authorizer",
            self.authorizer_function,
            authorizer_name=plan.name,
            identity_source=list(plan.identity_source),
        )

    @property
    def url(self) -> str:
        """The ``wss://`` URL clients connect to: on the custom domain if the stage has one, else the
        stage's (a token until deploy)."""
        return self._url

    def serve_on(self, url: str) -> None:
        """Hand out ``url``, the socket's path on the stage's custom domain, instead of the stage's
        execute-api URL (:mod:`eventual.constructs.domain`); ``callback_url`` stays the stage's."""
        self._url = url
        self.url_output.value = url

    @property
    def callback_url(self) -> str:
        """The ``https://`` management API URL that ``send`` and ``disconnect`` call."""
        return self.stage.callback_url

    def grant_manage_connections(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` send to, inspect and close this socket's connections (this stage only)."""
        return self.stage.grant_management_api_access(grantee)

    def grant_post_to_connections(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` send to this socket's connections (this stage only), not inspect or close
        them: ``execute-api:ManageConnections`` on ``POST @connections/*`` alone, as API Gateway's
        "Use @connections commands in your backend service" scopes it."""
        api_arn = Stack.of(self).format_arn(service="execute-api", resource=self.api.api_id)
        return iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["execute-api:ManageConnections"],
            resource_arns=[f"{api_arn}/{self.plan.stage_name}/POST/@connections/*"],
        )


def throttle_settings(throttle: Throttle) -> apigwv2.ThrottleSettings:
    """A stage's ``throttle`` from the plan's (WebSocket and HTTP stages alike)."""
    return apigwv2.ThrottleSettings(rate_limit=throttle.rate_limit, burst_limit=throttle.burst_limit)
