"""What ``Service`` adds for its owner to run a stage: custom domains, a dashboard, alarms, metric
methods, and the outputs ``eventual logs`` reads (which function serves which socket).

Each is decided by the plan (:mod:`eventual.constructs.operating_plan`) and built here, from the
service's parts, as steps of ``Service.__init__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import CfnOutput
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from eventual.constructs.alarms import AlarmFactory
from eventual.constructs.dashboard import ServiceDashboard
from eventual.constructs.domain import CustomDomain
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.options import AlarmsArgument, DomainArgument
from eventual.outputs import functions_value, output_description

__all__ = ["AlarmsArgument", "DomainArgument", "ServiceMetrics", "map_domains", "monitor"]

if TYPE_CHECKING:
    from eventual.constructs.fanout import FanOut
    from eventual.constructs.service import Service


def map_domains(service: Service) -> tuple[CustomDomain | None, CustomDomain | None]:
    """The stage's custom domain, every socket mapped under it, and the HTTP API's own."""
    operating = service.plan.operating
    domain = http_domain = None
    if operating.domain is not None:
        domain = CustomDomain(service, "Domain", plan=operating.domain)
        domain.map_sockets(service.sockets)
        for name, endpoint in service.sockets.items():
            endpoint.serve_on(operating.domain.url(name))
    if operating.http_domain is not None:
        http_domain = CustomDomain(service, "HttpDomain", plan=operating.http_domain)
        http_domain.map("Mapping", service.http_api, service.http_stage, None)
    return domain, http_domain


def service_functions(service: Service) -> dict[str, lambda_.IFunction]:
    """The functions that serve the service rather than one socket, by the label logs give them."""
    functions: dict[str, lambda_.IFunction] = {"http-api": service.service_document_function}
    if service.fan_out_function is not None:
        functions["fan-out"] = service.fan_out_function
    return functions


def monitor(service: Service) -> tuple[cloudwatch.Dashboard | None, dict[str, cloudwatch.Alarm]]:
    """The stage's dashboard and alarms, as the plan says."""
    monitoring = service.plan.operating
    dashboard = None
    if monitoring.dashboard_name is not None:
        dashboard = ServiceDashboard(
            service,
            "Dashboard",
            name=monitoring.dashboard_name,
            title=service.plan.description,
            endpoints=service.sockets,
            functions=service_functions(service),
            dead_letter_queue=service.fan_out_dead_letter_queue,
            table=service.connections_table,
        ).dashboard
    if monitoring.alarms is None:
        return dashboard, {}
    factory = AlarmFactory(monitoring.alarms.topic, monitoring.alarms.thresholds, service.plan.description)
    for name, endpoint in service.sockets.items():
        factory.socket(name, endpoint)
    scope = Construct(service, "Alarms")
    factory.shared(scope, service_functions(service), service.fan_out, service.connections_table)
    return dashboard, factory.alarms


def api_url(service: Service) -> str:
    """The HTTP API's URL: on its custom domain if it has one."""
    http_domain = service.plan.operating.http_domain
    return http_domain.https_url if http_domain is not None else service.http_stage.url


def operating_outputs(service: Service) -> None:
    """The domain's output, and which function serves what: ``eventual logs`` names each log
    stream's socket from them (:mod:`eventual.outputs`)."""
    plan = service.plan

    def output(scope: Construct, id: str, value: str, kind: str, socket: str | None = None) -> None:
        description = output_description(plan.name, kind, socket, stage=plan.stage)  # type: ignore[arg-type]
        CfnOutput(scope, id, value=value, description=description)

    if plan.operating.domain is not None:
        output(service, "DomainName", plan.operating.domain.name, "domain")
    for name, socket in plan.sockets.items():
        roles = {"socket": socket.function.function_name}
        if socket.authorizer is not None:
            roles["authorizer"] = socket.authorizer.function.function_name
        output(service.sockets[name], "Functions", functions_value(roles), "functions", name)
    own = {"http-api": plan.http_function.function_name}
    if plan.fan_out is not None:
        own["fan-out"] = plan.fan_out.function.function_name
    output(service, "Functions", functions_value(own), "functions")


class ServiceMetrics:
    """Service-wide metric methods; mixed into ``Service`` (each socket has its own: ``metric_*``)."""

    name: str
    fan_out: FanOut | None

    def metric_fan_out_failures(self) -> cloudwatch.Metric:
        """Broadcast batches the fan-out worker failed to post after every delivery: messages in the
        dead-letter queue, the maximum per minute. Alarm when it is above 0 (each message held up
        to 500 connections that got nothing), as ``Service(alarms=...)`` does, or yourself::

            service.metric_fan_out_failures().create_alarm(
                stack, "FanOutFailures", threshold=0, evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            )
        """
        if self.fan_out is None:
            raise ServiceDefinitionError(
                f"service {self.name!r} tracks no connections, so it has no fan-out queue: declare a "
                "socket with socket(..., track_connections=True)"
            )
        return self.fan_out.metric_failures()
