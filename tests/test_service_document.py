"""The service document: one shape for the cloud's HTTP API and the dev server."""

from __future__ import annotations

import json

import pytest

from eventual.runtime.environment import DOCUMENT_ENV
from eventual.runtime.handler import service_document as handle
from eventual.service_document import encode, service_document
from tests.test_import_boundary import modules_after


def test_the_document_names_service_stage_and_sockets_in_name_order() -> None:
    document = service_document("my-service", "dev", {"rtc": "wss://b/dev", "chat": "wss://a/dev"})
    assert document == {
        "service": "my-service",
        "stage": "dev",
        "sockets": {"chat": "wss://a/dev", "rtc": "wss://b/dev"},
    }
    assert list(document["sockets"]) == ["chat", "rtc"]
    assert json.loads(encode(document)) == document


def test_the_handler_answers_what_the_construct_wrote(monkeypatch: pytest.MonkeyPatch) -> None:
    body = encode(service_document("s", "default", {"chat": "wss://a/prod"}))
    monkeypatch.setenv(DOCUMENT_ENV, body)
    answer = handle({"rawPath": "/__eventual/service"}, None)
    assert answer["statusCode"] == 200 and answer["body"] == body
    assert answer["headers"]["content-type"] == "application/json"


def test_the_module_loads_only_the_standard_library() -> None:
    loaded = modules_after("import eventual.service_document")
    assert loaded.isdisjoint({"aws_cdk", "jsii", "boto3", "botocore", "click", "websockets"})
