"""``eventual get asyncapi``: the deployed service's document, read from its HTTP API (here a
loopback server answering with the HTTP API function's own code, found through moto's
CloudFormation), and ``--local``: the project's, at the dev server's URLs."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import examples.service
from eventual.asyncapi import asyncapi_document
from eventual.cli import main
from eventual.outputs import output_description
from eventual.runtime import handler
from eventual.runtime.environment import DOCUMENT_ENV
from eventual.service_document import ASYNCAPI_FILE, encode, service_document
from eventual.sockets import sockets_of
from tests.asyncapi.parser import parse

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = sockets_of(examples.service.__name__)


@pytest.fixture
def http_api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The HTTP API of stage ``dev`` on loopback: each GET runs ``service_document``, the function
    behind the deployed routes, on an asset holding the document synth writes."""
    (tmp_path / ASYNCAPI_FILE).write_text(encode(asyncapi_document("my-service", "dev", EXAMPLE)))
    urls = {name: f"wss://{name}-id.execute-api.us-east-1.amazonaws.com/dev" for name in EXAMPLE}
    monkeypatch.setenv(DOCUMENT_ENV, encode(service_document("my-service", "dev", urls)))
    monkeypatch.setattr(handler, "_ASSET_ROOT", str(tmp_path))
    monkeypatch.setattr(handler, "_asyncapi", None)

    class Api(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            answer = handler.service_document({"rawPath": self.path, "routeKey": f"GET {self.path}"})
            body = answer["body"].encode()
            self.send_response(answer["statusCode"])
            for name, value in answer["headers"].items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def deploy_outputs(cloudformation: Any, api: str, stage: str = "dev") -> None:
    """A stack holding a Service's outputs, as ``eventual get service`` reads them."""
    outputs = {"Api": {"Value": api, "Description": output_description("my-service", "api", stage=stage)}}
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}, "Outputs": outputs}
    cloudformation.create_stack(StackName=f"my-service-{stage}", TemplateBody=json.dumps(template))


def run(*args: str) -> Any:
    return CliRunner().invoke(main, ["get", "asyncapi", *args])


def test_the_deployed_document_is_read_from_the_http_api(cloudformation: Any, http_api: str) -> None:
    deploy_outputs(cloudformation, http_api)
    result = run("--service", "my-service", "--stage", "dev")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert (document["info"]["title"], document["info"]["version"]) == ("my-service", "dev")
    assert document["servers"]["lobby"]["host"] == "lobby-id.execute-api.us-east-1.amazonaws.com"
    assert document["channels"]["lobby"]["address"] == "/dev"
    assert parse([document]) == [{"parsed": True, "diagnostics": []}]


def test_a_deployment_without_the_document_says_to_deploy_again(
    cloudformation: Any, http_api: str, tmp_path: Path
) -> None:
    (tmp_path / ASYNCAPI_FILE).unlink()
    deploy_outputs(cloudformation, http_api)
    result = run("--service", "my-service")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {http_api.rstrip('/')}/__eventual/asyncapi.json answered 404: this deployment serves "
        "no AsyncAPI document yet; deploy it again\n"
    )


def test_an_unreachable_api_is_one_line(cloudformation: Any) -> None:
    deploy_outputs(cloudformation, "http://127.0.0.1:9/")
    result = run("--service", "my-service", "--stage", "dev")
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot reach http://127.0.0.1:9/__eventual/asyncapi.json: ")
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_local_builds_the_projects_document_at_the_dev_servers_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = run("--local", "--port", "4000")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["info"]["version"] == "local"
    assert {s["host"] for s in document["servers"].values()} == {"localhost:4000"}
    assert document["channels"]["chat"]["address"] == "/__ws/chat"
    assert run("--port", "4000").output.endswith("Error: --port only applies with --local\n")


def test_local_outside_a_project_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("--local")
    assert result.exit_code == 1 and result.output.startswith(
        "Error: no pyproject.toml with a [tool.eventual]"
    )
