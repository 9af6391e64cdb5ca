"""A socket's routes invoke its function, under one grant for the whole API.

aws-cdk-lib's ``WebSocketLambdaIntegration`` adds an ``AWS::Lambda::Permission`` for every route it
is bound to. Each is a statement of the function's resource policy, and Lambda caps that policy at
20 KB ("Lambda quotas": "Function resource-based policy: 20 KB"), which a socket passes at about 50
message routes ("The final policy size is bigger than the limit"), far below API Gateway's 300
routes per API. So the routes share :class:`LambdaProxyIntegration`, which grants nothing, and
:func:`grant_invoke_from_api` grants API Gateway the function once, for every route of that one API
on any of its stages.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_

API_GATEWAY = "apigateway.amazonaws.com"


class LambdaProxyIntegration(apigwv2.WebSocketRouteIntegration):
    """``AWS_PROXY`` to ``function``, the integration ``WebSocketLambdaIntegration`` makes, minus
    its permission per route."""

    def __init__(self, id: str, function: lambda_.IFunction) -> None:
        super().__init__(id)
        self._function = function

    # jsii hands the bind options to an override as one struct, not as keyword arguments.
    def bind(  # type: ignore[override]
        self, options: apigwv2.WebSocketRouteIntegrationBindOptions
    ) -> apigwv2.WebSocketRouteIntegrationConfig:
        uri = Stack.of(options.route).format_arn(
            service="apigateway",
            account="lambda",
            resource="path/2015-03-31/functions",
            resource_name=f"{self._function.function_arn}/invocations",
        )
        return apigwv2.WebSocketRouteIntegrationConfig(
            type=apigwv2.WebSocketIntegrationType.AWS_PROXY, uri=uri
        )


def grant_invoke_from_api(function: lambda_.Function, api: apigwv2.WebSocketApi) -> None:
    """API Gateway may invoke ``function`` from any route of ``api``, on any stage
    (``arn:...:execute-api:<region>:<account>:<api-id>/<stage>/<route-key>``), and from no other API."""
    source = Stack.of(api).format_arn(service="execute-api", resource=api.api_id, resource_name="*/*")
    function.add_permission("InvokeFromApi", principal=iam.ServicePrincipal(API_GATEWAY), source_arn=source)
