"""Custom domains planned without the CDK: the names, mappings and certificates API Gateway accepts.

The rules come from API Gateway's "Custom domain names for WebSocket APIs" (RFC 1035 names of
labels up to 63 octets, 255 in all; Regional names only; TLS 1.2), "Map API stages to a custom
domain name for WebSocket APIs" (a mapping's path: letters, digits and ``$-_.+!*'()``, at most 300;
no WebSocket API on an HTTP API's domain) and "Set up a Regional custom domain name" (an ACM
certificate in the API's Region).
"""

from __future__ import annotations

from typing import Any

import pytest

import examples.service  # noqa: F401  (the plan looks for a requirements.txt beside the entry)
from eventual.constructs.domain_plan import DomainOptions, _mapping_key, check_domain_name, plan_domains
from eventual.constructs.errors import ServiceDefinitionError
from eventual.constructs.limits import check_environment_size
from eventual.constructs.monitoring_plan import AlarmsOptions, AlarmThresholds
from eventual.constructs.operating_plan import OperatingOptions, OperatingPlan
from eventual.constructs.plan import ServiceOptions, plan_service
from eventual.sockets import Socket

CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"
ZONE = object()  # stands for an aws_route53.IHostedZone: the plan never looks inside it


def domain(name: str = "ws.example.com", **fields: Any) -> DomainOptions:
    return DomainOptions(name=name, **({"certificate": CERTIFICATE, "certificate_arn": CERTIFICATE} | fields))


def test_every_socket_is_mapped_under_the_domain_at_its_own_name() -> None:
    ws, http = plan_domains(["chat", "rtc-socket", "beta.v2"], domain("WS.Example.com."), None, "eu-west-1")
    assert http is None and ws is not None
    assert ws.name == "ws.example.com"  # DNS compares names without case; the root's dot dropped
    assert dict(ws.mappings) == {"chat": "chat", "rtc-socket": "rtc-socket", "beta.v2": "beta.v2"}
    assert [ws.url(s) for s in ws.mappings] == [
        "wss://ws.example.com/chat",
        "wss://ws.example.com/rtc-socket",
        "wss://ws.example.com/beta.v2",
    ]


def test_the_http_api_takes_its_own_domain_at_the_root() -> None:
    ws, http = plan_domains(["chat"], domain(), domain("api.example.com"), "eu-west-1")
    assert ws is not None and http is not None
    assert (http.name, dict(http.mappings), http.https_url) == (
        "api.example.com",
        {},
        "https://api.example.com/",
    )


def test_a_websocket_api_cannot_share_its_domain_with_the_http_api() -> None:
    with pytest.raises(ServiceDefinitionError, match="cannot map WebSocket APIs to the same custom domain"):
        plan_domains(["chat"], domain("ws.example.com"), domain("WS.example.com"), None)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("a.io", True),
        ("x" * 63 + ".example.com", True),  # a label of 63 octets: the longest
        ("x" * 64 + ".example.com", False),
        (".".join(["x" * 63] * 4), True),  # 255 in all: the longest
        (".".join(["x" * 63] * 4) + "x", False),
        ("example", False),  # one label
        ("-ws.example.com", False),
        ("ws-.example.com", False),
        ("w_s.example.com", False),
        ("ws..example.com", False),
    ],
)
def test_a_domain_name_follows_rfc_1035(name: str, valid: bool) -> None:
    if valid:
        assert check_domain_name(name) == name
    else:
        with pytest.raises(ServiceDefinitionError, match="is not a valid domain name"):
            check_domain_name(name)


def test_a_wildcard_or_unicode_name_is_refused_with_what_to_do() -> None:
    with pytest.raises(ServiceDefinitionError, match=r"wildcard.*one host name"):
        check_domain_name("*.example.com")
    with pytest.raises(ServiceDefinitionError, match="punycode"):
        check_domain_name("wß.example.com")


def test_a_domain_needs_a_certificate_or_a_hosted_zone() -> None:
    with pytest.raises(ServiceDefinitionError, match=r"needs a certificate .* or a hosted_zone"):
        plan_domains(["chat"], DomainOptions(name="ws.example.com"), None, None)
    ws, _ = plan_domains(["chat"], DomainOptions(name="ws.example.com", hosted_zone=ZONE), None, None)
    assert ws is not None and (ws.certificate, ws.hosted_zone) == (None, ZONE)


def test_the_certificate_must_be_acms_in_the_stacks_region() -> None:
    with pytest.raises(ServiceDefinitionError, match="certificate is in eu-west-1, the stack in us-east-1"):
        plan_domains(["chat"], domain(), None, "us-east-1")
    assert plan_domains(["chat"], domain(), None, "eu-west-1")[0] is not None
    assert plan_domains(["chat"], domain(), None, None)[0] is not None  # region known only at deploy
    iam = "arn:aws:iam::123456789012:server-certificate/ws"
    with pytest.raises(ServiceDefinitionError, match="not an ACM certificate ARN"):
        plan_domains(["chat"], domain(certificate=iam, certificate_arn=iam), None, None)


@pytest.mark.parametrize(
    ("zone", "fits"),
    [("example.com", True), ("ws.example.com", True), ("EXAMPLE.com.", True), ("badexample.com", False)],
)
def test_the_name_must_lie_in_the_hosted_zone(zone: str, fits: bool) -> None:
    options = DomainOptions(name="ws.example.com", hosted_zone=ZONE, zone_name=zone)
    if fits:
        assert plan_domains(["chat"], options, None, None)[0] is not None
    else:
        with pytest.raises(ServiceDefinitionError, match=r"is not in the hosted zone .badexample\.com."):
            plan_domains(["chat"], options, None, None)


def test_a_socket_name_an_api_mapping_cannot_hold_is_refused_at_synth() -> None:
    with pytest.raises(ServiceDefinitionError, match=r"socket 'a~b' cannot be mapped.*holds '~'"):
        plan_domains(["chat", "a~b"], domain(), None, None)
    assert plan_domains(["a~b"], None, domain("api.example.com"), None)[1] is not None  # no mapping needed
    assert _mapping_key("x" * 300) == "x" * 300
    with pytest.raises(ServiceDefinitionError, match="over 300 characters"):
        _mapping_key("x" * 301)


def test_the_service_plan_carries_the_domains_dashboard_and_alarms() -> None:
    declared = {name: Socket(name, {}) for name in ("chat", "lobby")}
    operating = OperatingOptions(domain=domain(), http_domain=domain("api.example.com"), dashboard=False)
    plan = plan_service(
        declared, ServiceOptions(name="svc", entry="examples.service", stage="dev", operating=operating)
    )
    assert plan.operating.domain is not None and plan.operating.http_domain is not None
    assert plan.operating.domain.url("lobby") == "wss://ws.example.com/lobby"
    assert (plan.operating.dashboard_name, plan.operating.alarms) == (None, None)
    without = plan_service(declared, ServiceOptions(name="svc", entry="examples.service", stage="dev"))
    assert without.operating == OperatingPlan(dashboard_name="svc--dev")  # a dashboard, by default
    with pytest.raises(ServiceDefinitionError, match=r"give the SNS topic the alarms notify"):
        plan_service(
            declared,
            ServiceOptions(
                name="svc",
                entry="examples.service",
                operating=OperatingOptions(alarms=AlarmsOptions(topic=None, thresholds=AlarmThresholds())),
            ),
        )


def test_a_long_domain_counts_in_lambdas_4_kb_environment() -> None:
    """Clients' URLs are the domain's (each function lists every socket's); the management API's stay
    execute-api's, whatever the domain."""
    long_name = ".".join(["x" * 63] * 3) + ".io"  # 194 characters
    twelve = {f"s{i}": {"EVENTUAL_SOCKET_NAME": f"s{i}"} for i in range(12)}
    short = check_environment_size("svc", twelve, "eu-west-1", "prod", "ws.example.com")
    long = check_environment_size("svc", twelve, "eu-west-1", "prod", long_name)
    assert long - short == 12 * (len(long_name) - len("ws.example.com"))
    fourteen = {f"s{i}": {"EVENTUAL_SOCKET_NAME": f"s{i}"} for i in range(14)}
    assert check_environment_size("svc", fourteen, "eu-west-1", "prod", "ws.example.com") < 4096
    with pytest.raises(ServiceDefinitionError, match="at most 13 sockets fit"):
        check_environment_size("svc", fourteen, "eu-west-1", "prod", long_name)
