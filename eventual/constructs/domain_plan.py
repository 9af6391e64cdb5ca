"""A stage's custom domains, decided without the CDK: :class:`DomainPlan`.

Every socket of the stage is mapped under one domain, the socket's name as the mapping's path
(``wss://ws.example.com/chat``); the HTTP API takes a domain of its own, since "you can't map
WebSocket APIs to the same custom domain name as an HTTP API or REST API" (API Gateway's "Map API
stages to a custom domain name for WebSocket APIs"). The rules checked here come from that page and
"Custom domain names for WebSocket APIs in API Gateway" (Regional names only, TLS 1.2, a name of
RFC 1035 labels of up to 63 octets, 255 in all) and "Set up a Regional custom domain name" (the
certificate comes from ACM in the API's Region). :mod:`eventual.constructs.domain` builds what the
plan says. Imports nothing from aws_cdk, like :mod:`eventual.constructs.plan`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from eventual.constructs.errors import ServiceDefinitionError

DOMAIN_NAME_MAX = 255
LABEL_MAX = 63
MAPPING_KEY_MAX = 300
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_MAPPING_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789$-_.+!*'()")
"""What an API mapping's path may hold: "letters, numbers, and the following characters: $-_.+!*'()"."""


@dataclass(frozen=True)
class DomainOptions:
    """A custom domain as plain fields (:mod:`eventual.constructs.options` reads ``Domain`` into them)."""

    name: str
    certificate: Any = None
    """The user's ``aws_certificatemanager.ICertificate``, if one was given."""
    certificate_arn: str | None = None
    """Its ARN, where known at synth (not a token): checked for ACM and the stack's Region."""
    hosted_zone: Any = None
    """The user's ``aws_route53.IHostedZone``, if one was given: the certificate (when none was
    given) is validated in it, and the alias record is written to it."""
    zone_name: str | None = None
    """The hosted zone's name, where known at synth: the domain must lie in it."""


@dataclass(frozen=True)
class DomainPlan:
    """One custom domain: its certificate's source, its records, and what is mapped under it."""

    name: str
    """Lower-case, as DNS compares names."""
    certificate: Any
    """The user's certificate; ``None``: a DNS-validated one is made in ``hosted_zone``."""
    hosted_zone: Any
    """Where the alias record goes; ``None``: the user points DNS at the domain's target."""
    mappings: Mapping[str, str]
    """Socket name -> API mapping key (its path); empty for the HTTP API's domain (mapped at ``/``)."""

    def url(self, socket: str) -> str:
        """The ``wss://`` URL of a socket mapped under this domain."""
        return f"wss://{self.name}/{self.mappings[socket]}"

    @property
    def https_url(self) -> str:
        """The HTTP API's URL on this domain (its ``$default`` stage, mapped at the root)."""
        return f"https://{self.name}/"


def plan_domains(
    sockets: Iterable[str],
    domain: DomainOptions | None,
    http_domain: DomainOptions | None,
    region: str | None,
) -> tuple[DomainPlan | None, DomainPlan | None]:
    """The stage's WebSocket domain (every socket mapped under it) and the HTTP API's, each optional.

    Raises :class:`ServiceDefinitionError` for a domain API Gateway or ACM would refuse at deploy.
    """
    sockets = list(sockets)
    ws = _plan(domain, "domain", region, {s: _mapping_key(s) for s in sockets}) if domain else None
    http = _plan(http_domain, "http_domain", region, {}) if http_domain else None
    if ws is not None and http is not None and ws.name == http.name:
        raise ServiceDefinitionError(
            f"domain and http_domain are both {ws.name!r}: API Gateway cannot map WebSocket APIs to the "
            'same custom domain name as an HTTP API ("Map API stages to a custom domain name for '
            "WebSocket APIs\"); give the HTTP API another name, such as 'api.' + the zone"
        )
    return ws, http


def _plan(options: DomainOptions, what: str, region: str | None, mappings: dict[str, str]) -> DomainPlan:
    name = check_domain_name(options.name, what)
    if options.certificate is None and options.hosted_zone is None:
        raise ServiceDefinitionError(
            f"{what} {name!r} needs a certificate (an ACM certificate for the name, in the stack's "
            "Region) or a hosted_zone (a Route 53 zone the name is in: a DNS-validated certificate and "
            "the alias record are made there)"
        )
    if options.certificate_arn is not None:
        _check_certificate(options.certificate_arn, name, what, region)
    if options.zone_name is not None:
        zone = options.zone_name.lower().rstrip(".")
        if name != zone and not name.endswith("." + zone):
            raise ServiceDefinitionError(
                f"{what} {name!r} is not in the hosted zone {zone!r}: the alias record and the "
                "certificate's validation record must be written to the zone the name belongs to"
            )
    return DomainPlan(
        name=name,
        certificate=options.certificate,
        hosted_zone=options.hosted_zone,
        mappings=MappingProxyType(mappings),
    )


def check_domain_name(name: object, what: str = "domain") -> str:
    """A custom domain name, lower-cased: RFC 1035 labels (letters, digits, inner ``-``), at least two."""
    if not isinstance(name, str) or not name:
        raise ServiceDefinitionError(f"{what} needs a name such as 'ws.example.com', got {name!r}")
    lowered = name.lower().rstrip(".")
    if "*" in lowered:
        raise ServiceDefinitionError(
            f"{what} {name!r} is a wildcard: a socket's wss:// URL needs one host name (a wildcard "
            "certificate may cover it; pass it as certificate=)"
        )
    if not lowered.isascii():
        raise ServiceDefinitionError(
            f"{what} {name!r} is not ASCII: give the name in its punycode form (xn--...)"
        )
    labels = lowered.split(".")
    if (
        len(labels) < 2
        or len(lowered) > DOMAIN_NAME_MAX
        or not all(len(label) <= LABEL_MAX and _LABEL.fullmatch(label) for label in labels)
    ):
        raise ServiceDefinitionError(
            f"{what} {name!r} is not a valid domain name: at least two dot-separated labels of letters, "
            f"digits and inner '-', each up to {LABEL_MAX} characters, {DOMAIN_NAME_MAX} in all"
        )
    return lowered


def _mapping_key(socket: str) -> str:
    """A socket's path under the domain: its name, which an API mapping must be able to hold."""
    bad = sorted(set(socket) - _MAPPING_KEY_CHARS)
    if bad or len(socket) > MAPPING_KEY_MAX:
        why = f"holds {', '.join(map(repr, bad))}" if bad else f"is over {MAPPING_KEY_MAX} characters"
        raise ServiceDefinitionError(
            f"socket {socket!r} cannot be mapped under a custom domain: its name {why}, and an API "
            f"mapping's path takes only letters, digits and $-_.+!*'() (at most {MAPPING_KEY_MAX}); "
            "rename the socket or deploy this stage without a domain"
        )
    return socket


def _check_certificate(arn: str, name: str, what: str, region: str | None) -> None:
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "acm":
        raise ServiceDefinitionError(
            f"{what} {name!r}: {arn!r} is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:"
            "certificate/<id>); API Gateway's Regional custom domain names take ACM certificates"
        )
    if region is not None and parts[3] != region:
        raise ServiceDefinitionError(
            f"{what} {name!r}: the certificate is in {parts[3]}, the stack in {region}; a Regional "
            "custom domain name needs an ACM certificate in the API's own Region (request or import "
            f"one in {region}, or pass hosted_zone= to have one made there)"
        )


def domain_urls(plan: DomainPlan | None, sockets: Iterable[str]) -> Mapping[str, str]:
    """Socket name -> its URL on the domain (empty without one)."""
    return MappingProxyType({s: plan.url(s) for s in sockets} if plan is not None else {})
