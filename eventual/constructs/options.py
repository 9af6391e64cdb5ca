"""The construct's options the CDK way, read into the plain fields a plan takes.

Options come as CDK users in Python give them: a jsii struct (``aws_lambda.FunctionOptions``) or
a dict of its keyword arguments, checked against the struct's fields at synth.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.aws_apigatewayv2_authorizers import WebSocketLambdaAuthorizerProps

from eventual.constructs.authorizer import refuse_cache_options
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.plan import ServiceOptions
from eventual.constructs.props import struct_fields

FunctionOptions: TypeAlias = lambda_.FunctionOptions | Mapping[str, Any]
"""``aws_lambda.FunctionOptions`` or a dict of its keyword arguments, as everywhere in CDK for Python."""
AuthorizerOptions: TypeAlias = WebSocketLambdaAuthorizerProps | Mapping[str, Any]
"""``aws_apigatewayv2_authorizers.WebSocketLambdaAuthorizerProps`` or a dict of its keyword arguments
(``authorizer_name``, ``identity_source``)."""
ThrottleOptions: TypeAlias = apigwv2.ThrottleSettings | Mapping[str, Any]
"""``aws_apigatewayv2.ThrottleSettings`` or a dict of its keyword arguments (``rate_limit``,
``burst_limit``)."""


def function_fields(value: FunctionOptions) -> dict[str, Any]:
    """Function keyword arguments from ``FunctionOptions`` or a dict (checked against its fields)."""
    return struct_fields(value, lambda_.FunctionOptions)


def authorizer_fields(socket: str, value: AuthorizerOptions | None) -> dict[str, Any]:
    """Authorizer keyword arguments for ``socket`` from its props or a dict (checked against them)."""
    if isinstance(value, Mapping):
        refuse_cache_options(socket, value)
    try:
        return struct_fields(value or {}, WebSocketLambdaAuthorizerProps)
    except ServiceDefinitionError as error:
        raise ServiceDefinitionError(f"socket {socket!r}: authorizer options: {error}") from None


def throttle_fields(value: ThrottleOptions | None) -> dict[str, Any]:
    """Throttle keyword arguments from ``ThrottleSettings`` or a dict (checked against its fields)."""
    return struct_fields(value, apigwv2.ThrottleSettings) if value is not None else {}


def service_options(
    *,
    name: str,
    entry: str,
    stage: str,
    stage_name: str | None,
    function_options: FunctionOptions | None,
    socket_function_options: Mapping[str, FunctionOptions] | None,
    socket_authorizer_options: Mapping[str, AuthorizerOptions] | None,
    throttle: ThrottleOptions | None,
    socket_throttle: Mapping[str, ThrottleOptions] | None,
    requirements: str | Path | None,
    fan_out_above: int | None,
    fan_out_concurrency: int | None,
    region: str | None,
) -> ServiceOptions:
    """The plan's input from the construct's keyword arguments."""
    return ServiceOptions(
        name=name,
        entry=entry,
        stage=stage,
        stage_name=stage_name,
        throttle=throttle_fields(throttle),
        socket_throttle={s: throttle_fields(v) for s, v in (socket_throttle or {}).items()},
        function_options=function_fields(function_options) if function_options is not None else {},
        socket_function_options={s: function_fields(v) for s, v in (socket_function_options or {}).items()},
        socket_authorizer_options={
            s: authorizer_fields(s, v) for s, v in (socket_authorizer_options or {}).items()
        },
        requirements=Path(requirements) if requirements is not None else None,
        fan_out_above=fan_out_above,
        fan_out_concurrency=fan_out_concurrency,
        region=region,
    )
