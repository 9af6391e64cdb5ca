"""What ``Service`` builds to operate a stage, decided without the CDK: :class:`OperatingPlan`.

The stage's custom domains (:mod:`eventual.constructs.domain_plan`), its dashboard and its alarms
(:mod:`eventual.constructs.monitoring_plan`); :mod:`eventual.constructs.operating` builds them.
Imports nothing from aws_cdk, like :mod:`eventual.constructs.plan`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from eventual.constructs.domain_plan import DomainOptions, DomainPlan, plan_domains
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.monitoring_plan import AlarmsOptions


@dataclass(frozen=True)
class OperatingOptions:
    """``Service(domain=, http_domain=, dashboard=, alarms=)`` as plain fields."""

    domain: DomainOptions | None = None
    """The custom domain every socket of the stage is mapped under."""
    http_domain: DomainOptions | None = None
    """The HTTP API's own custom domain."""
    dashboard: bool = True
    alarms: AlarmsOptions | None = None
    """The alarms' topic and thresholds; ``None``: no alarms."""


@dataclass(frozen=True)
class OperatingPlan:
    """The stage's domains, its dashboard's name (the Region is added: dashboards are per account)
    and its alarms."""

    domain: DomainPlan | None = None
    """``None``: the sockets keep their execute-api URLs."""
    http_domain: DomainPlan | None = None
    dashboard_name: str | None = None
    alarms: AlarmsOptions | None = None


def plan_operating(
    sockets: Iterable[str], options: OperatingOptions, prefix: str, region: str | None
) -> OperatingPlan:
    """The operating plan of the stage named ``prefix`` (``my-service``, ``my-service-dev``)."""
    domain, http_domain = plan_domains(sockets, options.domain, options.http_domain, region)
    if options.alarms is not None and options.alarms.topic is None:
        raise ServiceDefinitionError("alarms: give the SNS topic the alarms notify (topic=...)")
    return OperatingPlan(
        domain=domain,
        http_domain=http_domain,
        dashboard_name=prefix if options.dashboard else None,
        alarms=options.alarms,
    )
