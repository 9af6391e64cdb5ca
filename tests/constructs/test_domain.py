"""Custom domains in the template: a Regional TLS 1.2 domain name, a mapping per socket, the
certificate and the alias record, and the URLs every part of the service is given.

API Gateway's "Custom domain names for WebSocket APIs" (Regional only, TLS 1.2) and "Map API stages
to a custom domain name for WebSocket APIs" (an API mapping per stage, a path each) say what is
built; "Use @connections commands in your backend service" is why ``send`` keeps execute-api's URL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import examples.service
from eventual.outputs import services_from_outputs
from eventual.runtime.environment import DOCUMENT_ENV, URLS_ENV
from eventual.sockets import sockets_of
from tests.constructs.synth import (
    OPERATED_CERTIFICATE,
    OPERATED_DOMAIN,
    OPERATED_HTTP_DOMAIN,
    OPERATED_ZONE_ID,
    Synth,
    ref,
    resolve,
)

SOCKETS = list(sockets_of(examples.service.__name__))


def resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def domain_names(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each ``AWS::ApiGatewayV2::DomainName``'s properties, by domain name."""
    found = resources(template, "AWS::ApiGatewayV2::DomainName")
    return {r["Properties"]["DomainName"]: {"id": k, **r["Properties"]} for k, r in found.items()}


def test_the_domain_is_regional_tls_1_2_with_a_dns_validated_certificate_in_the_zone(operated: Synth) -> None:
    names = domain_names(operated.template)
    assert set(names) == {OPERATED_DOMAIN, OPERATED_HTTP_DOMAIN}
    for name, domain in names.items():
        [configuration] = domain["DomainNameConfigurations"]
        assert (configuration["EndpointType"], configuration["SecurityPolicy"]) == ("REGIONAL", "TLS_1_2")
        certificate = operated.template["Resources"][configuration["CertificateArn"]["Ref"]]
        assert certificate["Type"] == "AWS::CertificateManager::Certificate"
        assert certificate["Properties"]["DomainName"] == name
        assert certificate["Properties"]["ValidationMethod"] == "DNS"
        assert certificate["Properties"]["DomainValidationOptions"] == [
            {"DomainName": name, "HostedZoneId": OPERATED_ZONE_ID}
        ]


def test_each_domain_gets_an_alias_record_to_its_regional_endpoint(operated: Synth) -> None:
    names = domain_names(operated.template)
    records = {
        r["Properties"]["Name"]: r["Properties"]
        for r in operated.resources("AWS::Route53::RecordSet").values()
    }
    assert set(records) == {f"{OPERATED_DOMAIN}.", f"{OPERATED_HTTP_DOMAIN}."}
    for name, domain in names.items():
        record = records[f"{name}."]
        assert (record["Type"], record["HostedZoneId"]) == ("A", OPERATED_ZONE_ID)
        assert record["AliasTarget"] == {
            "DNSName": {"Fn::GetAtt": [domain["id"], "RegionalDomainName"]},
            "HostedZoneId": {"Fn::GetAtt": [domain["id"], "RegionalHostedZoneId"]},
        }


def test_every_socket_is_mapped_at_its_name_and_the_http_api_at_the_root(operated: Synth) -> None:
    names = domain_names(operated.template)
    mappings = operated.resources("AWS::ApiGatewayV2::ApiMapping")
    on_ws = {
        m["Properties"]["ApiMappingKey"]: m
        for m in mappings.values()
        if m["Properties"]["DomainName"] == ref(names[OPERATED_DOMAIN]["id"])
    }
    assert sorted(on_ws) == sorted(SOCKETS)
    for socket, mapping in on_ws.items():
        endpoint = operated.service.sockets[socket]
        assert mapping["Properties"]["ApiId"] == ref(operated.logical_id(endpoint.api))
        assert mapping["Properties"]["Stage"] == "live"
        assert operated.logical_id(endpoint.stage) in mapping["DependsOn"]  # the stage exists first
    [on_http] = [
        m
        for m in mappings.values()
        if m["Properties"]["DomainName"] == ref(names[OPERATED_HTTP_DOMAIN]["id"])
    ]
    assert "ApiMappingKey" not in on_http["Properties"]
    assert on_http["Properties"]["ApiId"] == ref(operated.logical_id(operated.service.http_api))
    assert on_http["Properties"]["Stage"] == "$default"


def test_clients_get_the_domains_urls_and_send_keeps_the_execute_api_endpoint(operated: Synth) -> None:
    """PostToConnection is documented on ``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}``
    only, and the runtime signs for the Region that host names."""
    functions = operated.resources("AWS::Lambda::Function").values()
    socket_urls = [
        json.loads(resolve(f["Properties"]["Environment"]["Variables"][URLS_ENV]))
        for f in functions
        if URLS_ENV in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    assert socket_urls  # every socket function and the fan-out worker
    for urls in socket_urls:
        assert {s: u["wss"] for s, u in urls.items()} == {s: f"wss://{OPERATED_DOMAIN}/{s}" for s in SOCKETS}
        for socket, url in urls.items():
            api = operated.logical_id(operated.service.sockets[socket].api)
            assert url["http"] == f"https://<{api}>.execute-api.us-east-1.amazonaws.com/live"


def test_the_outputs_and_the_service_document_name_the_custom_urls(operated: Synth) -> None:
    outputs = [
        {"OutputValue": resolve(o["Value"]), "Description": o["Description"]}
        for o in operated.template["Outputs"].values()
    ]
    (endpoints,) = services_from_outputs(outputs).values()
    assert endpoints.domain == OPERATED_DOMAIN
    assert endpoints.sockets == {s: f"wss://{OPERATED_DOMAIN}/{s}" for s in SOCKETS}
    assert endpoints.api == f"https://{OPERATED_HTTP_DOMAIN}/"
    document_function = operated.properties(operated.service.service_document_function)
    document = json.loads(document_function["Environment"]["Variables"][DOCUMENT_ENV])
    assert document["sockets"] == {s: f"wss://{OPERATED_DOMAIN}/{s}" for s in sorted(SOCKETS)}


def test_a_certificate_of_the_users_makes_no_certificate_and_no_record(operated: Synth) -> None:
    template = operated.extra["certified_template"]
    [domain] = domain_names(template).values()
    assert domain["DomainNameConfigurations"][0]["CertificateArn"] == OPERATED_CERTIFICATE
    assert resources(template, "AWS::CertificateManager::Certificate") == {}
    assert resources(template, "AWS::Route53::RecordSet") == {}
    assert len(resources(template, "AWS::ApiGatewayV2::ApiMapping")) == len(SOCKETS)
    assert operated.extra["certified"].http_domain is None
    # Where the user's own DNS must point the name: an output, which eventual's CLI does not read.
    [target] = [o for o in template["Outputs"].values() if o["Description"].startswith("Point ")]
    assert target["Value"] == {"Fn::GetAtt": [domain["id"], "RegionalDomainName"]}
    assert target["Description"].startswith(f"Point {OPERATED_DOMAIN} here: a CNAME")
    assert not [o for o in operated.template["Outputs"].values() if o["Description"].startswith("Point ")]


def test_a_stage_without_a_domain_keeps_its_execute_api_urls(example: Synth) -> None:
    assert example.resources("AWS::ApiGatewayV2::DomainName") == {}
    assert example.resources("AWS::ApiGatewayV2::ApiMapping") == {}
    assert example.service.domain is None
    outputs = [
        {"OutputValue": resolve(o["Value"]), "Description": o["Description"]}
        for o in example.template["Outputs"].values()
    ]
    (endpoints,) = services_from_outputs(outputs).values()
    assert endpoints.domain is None
    assert endpoints.sockets == {
        name: f"wss://<{example.logical_id(e.api)}>.execute-api.us-east-1.amazonaws.com/prod"
        for name, e in example.service.sockets.items()
    }


def test_the_domains_pass_cdk_nag_and_cfn_lint(operated: Synth) -> None:
    assert operated.nag()["conclusion"] == "success" and operated.nag()["violations"] == []
    templates = sorted(str(p) for p in Path(operated.outdir).glob("*.template.json"))
    assert len(templates) == 2
    lint = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), "--non-zero-exit-code", "error", *templates],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_a_domain_that_cannot_work_fails_at_synth(tmp_path: Path) -> None:
    """A certificate from another Region than the stack's: refused before any construct is made."""
    import aws_cdk as cdk

    from eventual.constructs import Domain, Service, ServiceDefinitionError
    from tests.constructs.synth import REPO, new_app

    stack = cdk.Stack(
        new_app(tmp_path), "Elsewhere", env=cdk.Environment(account="123456789012", region="eu-west-1")
    )
    with pytest.raises(ServiceDefinitionError, match="certificate is in us-east-1, the stack in eu-west-1"):
        Service(
            stack,
            "Service",
            name="my-service",
            entry="examples.service",
            project_root=REPO,
            domain=Domain(OPERATED_DOMAIN, certificate=OPERATED_CERTIFICATE),
        )
    with pytest.raises(ServiceDefinitionError, match="'zone' is not a field of Domain"):
        Service(
            stack,
            "Other",
            name="other",
            entry="examples.service",
            project_root=REPO,
            domain={"name": "a.io", "zone": 1},
        )


def test_domains_come_from_the_context_per_stage(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from eventual.constructs import ServiceDefinitionError, domains_from_context

    context = {
        "live": {"domain": "ws.example.com", "hosted_zone_id": "Z1", "hosted_zone_name": "example.com"},
        "dev": {
            "domain": "ws-dev.example.com",
            "certificate_arn": OPERATED_CERTIFICATE,
            "http_domain": "api-dev.example.com",
        },
    }
    app = cdk.App(
        outdir=str(tmp_path), context={"domains": json.dumps(context)}
    )  # as `-c domains=...` gives it
    stack = cdk.Stack(app, "S")
    live, live_http = domains_from_context(stack, "live")
    assert live is not None and live_http is None
    assert (live.name, live.certificate) == ("ws.example.com", None)
    assert live.hosted_zone is not None and live.hosted_zone.hosted_zone_id == "Z1"
    dev, dev_http = domains_from_context(stack, "dev")
    assert dev is not None and dev_http is not None
    assert (dev.name, dev.certificate, dev.hosted_zone) == ("ws-dev.example.com", OPERATED_CERTIFICATE, None)
    assert (dev_http.name, dev_http.certificate) == ("api-dev.example.com", None)  # needs its own certificate
    assert domains_from_context(stack, "prod") == (None, None)
    assert domains_from_context(cdk.Stack(cdk.App(), "Bare"), "live") == (None, None)
    bad = cdk.Stack(cdk.App(context={"domains": {"live": {"domian": "x.io"}}}), "Bad")
    with pytest.raises(ServiceDefinitionError, match=r"unknown field.*'domian'"):
        domains_from_context(bad, "live")
    half = cdk.Stack(
        cdk.App(context={"domains": {"live": {"domain": "x.io", "hosted_zone_id": "Z1"}}}), "Half"
    )
    with pytest.raises(ServiceDefinitionError, match="hosted_zone_id needs hosted_zone_name"):
        domains_from_context(half, "live")
