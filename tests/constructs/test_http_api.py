"""The HTTP API serves the service document (GET /__eventual/service and GET /) and the AsyncAPI
document (GET /__eventual/asyncapi.json), from one small function with least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eventual.constructs.plan import DOCUMENT_HANDLER
from eventual.runtime.environment import DOCUMENT_ENV
from eventual.service_document import ASYNCAPI_PATH, PATH, service_document
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
    assert set(routes) == {f"GET {PATH}", "GET /", f"GET {ASYNCAPI_PATH}"}
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


def test_the_staged_asset_answers_the_asyncapi_document_at_the_deployed_urls(
    example: Synth, tmp_path: Path
) -> None:
    """Written at synth, URLs filled from the service document (they exist once deployed), read
    once per container; a path the API does not route never reaches it, the root gets the service
    document."""
    urls = {
        name: f"wss://{name}-api.execute-api.us-east-1.amazonaws.com/prod" for name in example.service.sockets
    }
    body = json.dumps(service_document("my-service", "default", urls))
    event = {"rawPath": ASYNCAPI_PATH, "routeKey": f"GET {ASYNCAPI_PATH}"}
    answers = run_in_asset(
        example.service.asset.path,
        tmp_path,
        {DOCUMENT_ENV: body},
        DOCUMENT_HANDLER,
        [event, event, {"rawPath": "/"}],
    )
    first, second, root = answers
    assert first == second and first["statusCode"] == 200
    assert first["headers"]["access-control-allow-origin"] == "*"
    document = json.loads(first["body"])
    assert (document["asyncapi"], document["info"]["title"], document["info"]["version"]) == (
        "3.0.0",
        "my-service",
        "default",
    )
    assert document["servers"]["lobby"]["host"] == "lobby-api.execute-api.us-east-1.amazonaws.com"
    assert (document["servers"]["lobby"]["protocol"], document["channels"]["lobby"]["address"]) == (
        "wss",
        "/prod",
    )
    assert "Move" in document["components"]["schemas"]
    assert json.loads(root["body"])["sockets"] == urls


def test_a_document_function_without_the_file_answers_404(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from eventual.runtime import handler

    monkeypatch.setenv(DOCUMENT_ENV, json.dumps(service_document("s", "default", {})))
    monkeypatch.setattr(handler, "_asyncapi", None)
    monkeypatch.setattr(handler, "_ASSET_ROOT", str(tmp_path))
    answer = handler.service_document({"rawPath": ASYNCAPI_PATH})
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"]) == {
        "message": "this deployment has no AsyncAPI document: deploy it again"
    }
