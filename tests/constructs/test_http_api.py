"""The HTTP API serves the service document: GET /__eventual/service and GET /, least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eventual.constructs.plan import DOCUMENT_HANDLER
from eventual.runtime.environment import DOCUMENT_ENV
from eventual.service_document import PATH, service_document
from tests.constructs.synth import Synth, actions, ref, resolve, run_in_asset


def document_function(example: Synth) -> dict[str, Any]:
    return example.properties(example.service.service_document_function)


def test_get_service_document_and_root_route_to_one_small_function(example: Synth) -> None:
    http_api = ref(example.logical_id(example.service.http_api))
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in example.resources("AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["ApiId"] == http_api
    }
    assert set(routes) == {f"GET {PATH}", "GET /"}
    integrations = example.resources("AWS::ApiGatewayV2::Integration")
    function_id = example.logical_id(example.service.service_document_function)
    for route in routes.values():
        integration = integrations[resolve(route["Target"]).removeprefix("integrations/<").rstrip(">")]
        assert integration["Properties"]["IntegrationType"] == "AWS_PROXY"
        assert function_id in json.dumps(integration["Properties"]["IntegrationUri"])
    function = document_function(example)
    assert function["Handler"] == "eventual.runtime.handler.service_document"
    assert (function["MemorySize"], function["Timeout"]) == (128, 3)
    assert function["FunctionName"] == "my-service--http-api"
    sockets = [example.properties(e.function) for e in example.service.sockets.values()]
    assert function["Code"] == sockets[0]["Code"]  # the service's own asset


def test_the_document_lists_every_sockets_wss_url_and_the_stage(example: Synth) -> None:
    document = json.loads(resolve(document_function(example)["Environment"]["Variables"][DOCUMENT_ENV]))
    expected = {
        name: f"wss://<{example.logical_id(e.api)}>.execute-api.us-east-1.amazonaws.com/prod"
        for name, e in example.service.sockets.items()
    }
    assert document == service_document("my-service", "default", expected)


def test_the_function_may_only_write_its_logs(example: Synth) -> None:
    role = example.service.service_document_role
    assert document_function(example)["Role"] == {"Fn::GetAtt": [example.logical_id(role), "Arn"]}
    (statement,) = example.statements_of(role)
    assert sorted(actions(statement)) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == {"Fn::GetAtt": [example.logical_id(example.service.log_group), "Arn"]}


def test_the_staged_asset_answers_the_document_as_json_any_page_may_read(
    example: Synth, tmp_path: Path
) -> None:
    body = json.dumps(service_document("my-service", "default", {"chat": "wss://x/prod"}))
    (answer,) = run_in_asset(
        example.service.asset.path, tmp_path, {DOCUMENT_ENV: body}, DOCUMENT_HANDLER, [{}]
    )
    assert answer["statusCode"] == 200
    assert answer["headers"]["content-type"] == "application/json"
    assert answer["headers"]["access-control-allow-origin"] == "*"
    assert json.loads(answer["body"]) == {
        "service": "my-service",
        "stage": "default",
        "sockets": {"chat": "wss://x/prod"},
    }
