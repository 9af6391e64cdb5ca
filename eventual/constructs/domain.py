"""Custom domains: ``Service(..., domain=Domain("ws.example.com", hosted_zone=zone))``.

Every socket of the stage is mapped under the stage's domain, at its own name
(``wss://ws.example.com/chat``); the HTTP API may take a domain of its own. What is checked, and
why, is in :mod:`eventual.constructs.domain_plan`; this module builds it: an API Gateway
``DomainName`` (Regional, TLS 1.2), its ACM certificate (the user's, or one validated by DNS in
the user's hosted zone), an API mapping per socket and, with a hosted zone, the alias record.

The management API keeps its execute-api URL: "Use @connections commands in your backend service"
documents ``POST https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/@connections/{id}``
and no custom-domain form, and the runtime signs its calls for the Region that host names. So a
socket's ``wss`` URL (what clients and ``socket.wss_endpoint`` get) is the domain's, its ``http``
URL (what ``send`` calls) stays the stage's callback URL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnOutput
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from eventual.constructs.domain_plan import DomainPlan
from eventual.constructs.errors import ServiceDefinitionError

CONTEXT_KEY = "domains"
"""The CDK context key ``domains_from_context`` reads: ``{stage: {field: value}}``."""
_CONTEXT_FIELDS = frozenset(
    {"domain", "http_domain", "certificate_arn", "http_certificate_arn", "hosted_zone_id", "hosted_zone_name"}
)


@dataclass(frozen=True)
class Domain:
    """A custom domain name, and where its certificate comes from.

    :param name: the name clients use, such as ``ws.example.com`` (one per stage).
    :param certificate: an ACM certificate covering ``name``, in the stack's Region
        (``aws_certificatemanager.ICertificate``, or its ARN).
    :param hosted_zone: the Route 53 zone ``name`` is in. Without ``certificate``, a certificate
        validated by DNS is made there; either way the alias record to the domain is written there.
        Without a zone, point DNS at the domain's regional domain name yourself (the stack's output
        ``...DnsTarget`` says it).
    """

    name: str
    certificate: acm.ICertificate | str | None = None
    hosted_zone: route53.IHostedZone | None = None


class CustomDomain(Construct):
    """One custom domain: ``domain_name`` (API Gateway's, Regional, TLS 1.2), its ``certificate``,
    the alias ``record`` (with a hosted zone) and the API ``mappings`` made on it, by socket name."""

    def __init__(self, scope: Construct, id: str, *, plan: DomainPlan) -> None:
        super().__init__(scope, id)
        self.plan = plan
        self.certificate = self._certificate(plan)
        self.domain_name = apigwv2.DomainName(
            self,
            "DomainName",
            domain_name=plan.name,
            certificate=self.certificate,
            # "Only Regional custom domain names are supported"; "for the minimum TLS version, only
            # TLS 1.2 is supported" ("Custom domain names for WebSocket APIs in API Gateway").
            endpoint_type=apigwv2.EndpointType.REGIONAL,
            security_policy=apigwv2.SecurityPolicy.TLS_1_2,
        )
        self.record: route53.ARecord | None = None
        self.target_output: CfnOutput | None = None
        if plan.hosted_zone is None:
            # No zone of ours to write to: say where the user's DNS must point the name.
            self.target_output = CfnOutput(
                self,
                "DnsTarget",
                value=self.domain_name.regional_domain_name,
                description=f"Point {plan.name} here: a CNAME (or your DNS host's alias) to API Gateway's "
                "regional domain name",
            )
        else:
            self.record = route53.ARecord(
                self,
                "AliasRecord",
                zone=plan.hosted_zone,
                record_name=f"{plan.name}.",
                target=route53.RecordTarget.from_alias(
                    targets.ApiGatewayv2DomainProperties(
                        self.domain_name.regional_domain_name, self.domain_name.regional_hosted_zone_id
                    )
                ),
            )
        self.mappings: dict[str, apigwv2.ApiMapping] = {}

    def _certificate(self, plan: DomainPlan) -> acm.ICertificate:
        if isinstance(plan.certificate, str):
            return acm.Certificate.from_certificate_arn(self, "Certificate", plan.certificate)
        if plan.certificate is not None:
            return plan.certificate  # type: ignore[no-any-return]
        return acm.Certificate(
            self,
            "Certificate",
            domain_name=plan.name,
            validation=acm.CertificateValidation.from_dns(plan.hosted_zone),
        )

    def map(self, id: str, api: apigwv2.IApi, stage: apigwv2.IStage, key: str | None) -> apigwv2.ApiMapping:
        """Map ``stage`` of ``api`` at ``key`` (``None``: the domain's root)."""
        mapping = apigwv2.ApiMapping(
            self, id, api=api, domain_name=self.domain_name, stage=stage, api_mapping_key=key
        )
        mapping.node.add_dependency(stage)  # the mapping names the stage, which must exist first
        return mapping

    def map_sockets(self, endpoints: Mapping[str, Any]) -> None:
        """An API mapping per socket, its name as the path (``wss://<domain>/<socket>``)."""
        for name, endpoint in endpoints.items():
            self.mappings[name] = self.map(
                f"Mapping{len(self.mappings)}", endpoint.api, endpoint.stage, self.plan.mappings[name]
            )


def domains_from_context(scope: Construct, stage: str) -> tuple[Domain | None, Domain | None]:
    """The stage's ``(domain, http_domain)`` from the CDK context key ``domains``, for app.py.

    ``domains`` maps a stage to its fields (in cdk.json, or ``-c 'domains={"dev": {...}}'`` as JSON):
    ``domain`` and ``http_domain`` (names), ``certificate_arn`` and ``http_certificate_arn``, or
    ``hosted_zone_id`` with ``hosted_zone_name`` (a zone to make certificates and records in). A stage
    it does not name keeps its execute-api URLs.
    """
    raw = scope.node.try_get_context(CONTEXT_KEY)
    if raw is None:
        return None, None
    try:
        table = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError as error:
        raise ServiceDefinitionError(f"context {CONTEXT_KEY!r} is not JSON: {error}") from None
    if not isinstance(table, Mapping) or not all(isinstance(v, Mapping) for v in table.values()):
        raise ServiceDefinitionError(
            f"context {CONTEXT_KEY!r} must map stages to their domains: "
            '{"dev": {"domain": "ws-dev.example.com", "certificate_arn": "arn:aws:acm:..."}}'
        )
    fields = table.get(stage)
    if fields is None:
        return None, None
    unknown = sorted(set(fields) - _CONTEXT_FIELDS)
    if unknown:
        raise ServiceDefinitionError(
            f"context {CONTEXT_KEY!r}, stage {stage!r}: unknown field(s) {', '.join(map(repr, unknown))} "
            f"(the fields: {', '.join(sorted(_CONTEXT_FIELDS))})"
        )
    zone = None
    if fields.get("hosted_zone_id"):
        if not fields.get("hosted_zone_name"):
            raise ServiceDefinitionError(
                f"context {CONTEXT_KEY!r}, stage {stage!r}: hosted_zone_id needs hosted_zone_name "
                "(the zone's domain, such as example.com)"
            )
        zone = route53.HostedZone.from_hosted_zone_attributes(
            scope,
            f"EventualHostedZone-{stage}",
            hosted_zone_id=fields["hosted_zone_id"],
            zone_name=fields["hosted_zone_name"],
        )

    def domain(name_field: str, certificate_field: str) -> Domain | None:
        name = fields.get(name_field)
        return Domain(name, fields.get(certificate_field), zone) if name else None

    return domain("domain", "certificate_arn"), domain("http_domain", "http_certificate_arn")
