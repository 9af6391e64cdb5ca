"""The construct's options the CDK way, read into the plain fields a plan takes.

Options come as CDK users in Python give them: a jsii struct (``aws_lambda.FunctionOptions``) or
a dict of its keyword arguments, checked against the struct's fields at synth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeAlias

from aws_cdk import Token
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk.aws_apigatewayv2_authorizers import WebSocketLambdaAuthorizerProps

from eventual.constructs.alarms import Alarms
from eventual.constructs.authorizer import refuse_cache_options
from eventual.constructs.domain import Domain
from eventual.constructs.domain_plan import DomainOptions
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.monitoring_plan import AlarmsOptions, AlarmThresholds
from eventual.constructs.operating_plan import OperatingOptions
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
DomainArgument: TypeAlias = Domain | Mapping[str, Any]
"""``eventual.constructs.Domain`` or a dict of its fields (``name``, ``certificate``, ``hosted_zone``)."""
AlarmsArgument: TypeAlias = Alarms | Mapping[str, Any]
"""``eventual.constructs.Alarms`` or a dict of its fields (``topic`` and the thresholds)."""


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


def domain_fields(what: str, value: DomainArgument) -> DomainOptions:
    """A domain's plain fields: its ARN and zone name where known at synth, for the plan's checks."""
    domain = _dataclass_of(what, value, Domain)
    certificate = domain.certificate
    arn = certificate if isinstance(certificate, str) else None
    if certificate is not None and arn is None:
        arn = certificate.certificate_arn
    zone_name = None
    if domain.hosted_zone is not None:
        try:
            zone_name = domain.hosted_zone.zone_name
        except Exception:  # a zone imported by id alone has no name (jsii raises on the read)
            zone_name = None
    return DomainOptions(
        name=domain.name,
        certificate=certificate,
        certificate_arn=_known(arn),
        hosted_zone=domain.hosted_zone,
        zone_name=_known(zone_name),
    )


def alarms_fields(value: AlarmsArgument) -> AlarmsOptions:
    """The alarms' topic, and their thresholds checked (``None`` leaves an alarm out)."""
    alarms = _dataclass_of("alarms", value, Alarms)
    thresholds = {f.name: getattr(alarms, f.name) for f in fields(AlarmThresholds)}
    return AlarmsOptions(topic=alarms.topic, thresholds=AlarmThresholds(**thresholds))


def _dataclass_of(what: str, value: Any, kind: type[Any]) -> Any:
    if isinstance(value, kind):
        return value
    if not isinstance(value, Mapping):
        raise ServiceDefinitionError(
            f"{what}: expected {kind.__name__}(...) or a dict of its fields, got {value!r}"
        )
    known = {f.name for f in fields(kind)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ServiceDefinitionError(
            f"{what}: {', '.join(map(repr, unknown))} is not a field of {kind.__name__} "
            f"(its fields: {', '.join(sorted(known))})"
        )
    try:
        return kind(**value)
    except TypeError as error:
        raise ServiceDefinitionError(f"{what}: {error}") from None


def _known(value: str | None) -> str | None:
    """``value`` unless it is a token (known only at deploy)."""
    return None if value is None or Token.is_unresolved(value) else value


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
    domain: DomainArgument | None = None,
    http_domain: DomainArgument | None = None,
    dashboard: bool = True,
    alarms: AlarmsArgument | None = None,
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
        operating=OperatingOptions(
            domain=domain_fields("domain", domain) if domain is not None else None,
            http_domain=domain_fields("http_domain", http_domain) if http_domain is not None else None,
            dashboard=dashboard,
            alarms=alarms_fields(alarms) if alarms is not None else None,
        ),
    )
