"""The service's HTTP API: ``GET /__eventual/service`` (and ``GET /``) answer the service document,
``GET /__eventual/asyncapi.json`` the service's AsyncAPI document (written into the asset at synth).

A frontend fetches the document to find the sockets' ``wss://`` URLs at run time instead of baking
them in at build (:mod:`eventual.service_document`; the dev server serves the same shape). The
function behind both routes runs from the service's asset, returns the JSON the construct wrote
into its environment, and may do nothing but write its logs.
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk.aws_apigatewayv2_integrations import HttpLambdaIntegration
from constructs import Construct

from eventual.constructs.access_logs import HTTP_ACCESS_LOG_FORMAT, AccessLogs
from eventual.constructs.endpoint import throttle_settings
from eventual.constructs.functions import FunctionParts, function_props
from eventual.constructs.logical_ids import pin_logical_id
from eventual.constructs.nag import acknowledge_public_routes
from eventual.constructs.plan import ServicePlan
from eventual.runtime.environment import DOCUMENT_ENV
from eventual.service_document import ASYNCAPI_PATH, PATH, encode, service_document

ROUTES = (PATH, "/", ASYNCAPI_PATH)


def create_http_api(
    scope: Construct, plan: ServicePlan, access_log_group: logs.ILogGroup
) -> tuple[apigwv2.HttpApi, apigwv2.HttpStage]:
    """The API and its auto-deployed ``$default`` stage, throttled and logged; routes come later."""
    http_api = apigwv2.HttpApi(
        scope,
        "HttpApi",
        api_name=plan.http_api_name,
        description=plan.description,
        create_default_stage=False,
    )
    http_stage = apigwv2.HttpStage(
        scope,
        "HttpStage",
        http_api=http_api,
        auto_deploy=True,
        access_log_settings=AccessLogs(access_log_group, HTTP_ACCESS_LOG_FORMAT),
        throttle=throttle_settings(plan.http_throttle),
    )
    return http_api, http_stage


def serve_service_document(
    scope: Construct,
    http_api: apigwv2.HttpApi,
    plan: ServicePlan,
    parts: FunctionParts,
    socket_urls: Mapping[str, str],
) -> lambda_.Function:
    """The function that answers the document (``socket_urls``: name -> ``wss://`` URL), and its routes."""
    props = function_props(plan.http_function, parts)
    document = service_document(plan.name, plan.stage, socket_urls)
    props["environment"] = {**props["environment"], DOCUMENT_ENV: encode(document)}
    function = lambda_.Function(scope, "ServiceDocumentFunction", **props)
    pin_logical_id(function, "Function", plan.http_function.function_name)
    integration = HttpLambdaIntegration("ServiceDocument", function)
    for path in ROUTES:
        http_api.add_routes(path=path, methods=[apigwv2.HttpMethod.GET], integration=integration)
    acknowledge_public_routes(http_api)
    return function
