"""``eventual get service`` for a stage deployed with custom domains (as ``cdk deploy -c
domains=...`` deploys the example), against moto: the custom URLs, and the functions' environment.

moto's CloudFormation skips ``AWS::ApiGatewayV2::*`` (the domain names and mappings among them,
which tests/constructs/test_domain.py checks in the template); the outputs and the functions it does
create are what the CLI and the runtime read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from eventual.cli import main
from tests.cli.conftest import Deploy
from tests.cli.stacks import SOCKETS, create_stack, example_service_template

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS")

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"
HTTP_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/9f8e7d6c-5b4a-3c2d-1e0f-a1b2c3d4e5f6"
DOMAINS = {
    "default": {
        "domain": "ws.example.com",
        "certificate_arn": CERTIFICATE,
        "http_domain": "api.example.com",
        "http_certificate_arn": HTTP_CERTIFICATE,
    }
}


@pytest.fixture(scope="session")
def domain_template() -> dict[str, Any]:
    return example_service_template(domains=DOMAINS)


@pytest.fixture(autouse=True)
def outside_any_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def expected_lines() -> list[str]:
    return [
        "Stage: default",
        "Custom Domain: ws.example.com",
        "API Gateway: https://api.example.com/",
        "Event Bus Arn: arn:aws:events:us-east-1:123456789012:event-bus/my-service",
        "Service Log Group: my-service-execution-logs",
        "Socket Endpoints:",
        *(f"\t{name} - wss://ws.example.com/{name}" for name in sorted(SOCKETS)),
    ]


def test_get_service_prints_the_custom_urls(deploy: Deploy, domain_template: dict[str, Any]) -> None:
    deploy("MyServiceStack", domain_template)
    text = CliRunner().invoke(main, ["get", "service"])
    assert text.exit_code == 0, text.output
    assert text.stdout.splitlines() == expected_lines()
    as_json = CliRunner().invoke(main, ["get", "service", "--json"])
    data = json.loads(as_json.stdout)
    assert (data["domain"], data["api_endpoint"]) == ("ws.example.com", "https://api.example.com/")
    assert data["sockets"] == {name: f"wss://ws.example.com/{name}" for name in sorted(SOCKETS)}
    assert data["not_ready"] == {}


def test_the_functions_send_through_execute_api_and_hand_out_the_custom_urls(
    deploy: Deploy, domain_template: dict[str, Any]
) -> None:
    """``EVENTUAL_SOCKET_URLS`` as the deployed functions have it: ``wss`` on the domain (what
    ``socket.wss_endpoint`` returns), ``http`` the stage's execute-api callback URL, the one
    "Use @connections commands in your backend service" documents for PostToConnection."""
    import boto3

    deploy("MyServiceStack", domain_template)
    configuration = boto3.client("lambda").get_function_configuration(FunctionName="my-service--chat")
    urls = json.loads(configuration["Environment"]["Variables"]["EVENTUAL_SOCKET_URLS"])
    assert {name: u["wss"] for name, u in urls.items()} == {
        name: f"wss://ws.example.com/{name}" for name in SOCKETS
    }
    for url in urls.values():
        host, _, stage = url["http"].removeprefix("https://").partition("/")
        assert host.endswith(".execute-api.us-east-1.amazonaws.com") and stage == "prod"


def test_the_executable_against_moto_server(moto_server: str, domain_template: dict[str, Any]) -> None:
    create_stack("MyServiceStack", domain_template, endpoint_url=moto_server)
    done = subprocess.run(
        [str(Path(sys.executable).parent / "eventual"), "get", "service"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AWS_ENDPOINT_URL": moto_server},
    )
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == expected_lines()
