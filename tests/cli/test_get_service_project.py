"""``eventual get service``: the project's service by default, JSON errors, any botocore error in
one line, endpoints not ready yet. Against moto (``mock_aws``) and botocore's own hooks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from eventual.cli import main
from eventual.outputs import output_description
from tests.cli.conftest import Deploy
from tests.cli.moto import free_port
from tests.cli.stacks import SERVICE, SOCKETS, example_service_template, expected_listing, stack_outputs

pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..ApiGateway..Account")


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, ["get", "service", *args], env=env)


@pytest.fixture
def outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose pyproject.toml names service ``chat``, entered from a subfolder. Its entry is
    never imported: choosing a deployed service needs only the name."""
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.eventual]\nservice = "chat"\nentry = "not_imported"\n')
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path / "src")
    return pyproject


@pytest.fixture
def two_services(deploy: Deploy, service_template: dict[str, Any]) -> None:
    deploy("MyServiceStack", service_template)
    deploy("ChatStack", example_service_template("chat"))


# -- the project's service ----------------------------------------------------------------------


@pytest.mark.usefixtures("two_services", "project")
def test_inside_a_project_its_service_is_the_default(cloudformation: Any) -> None:
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == expected_listing(stack_outputs(cloudformation, "ChatStack"), "chat")


@pytest.mark.usefixtures("two_services", "project")
@pytest.mark.parametrize("how", ["option", "env"])
def test_the_option_and_the_env_still_win_over_the_project(how: str, cloudformation: Any) -> None:
    by_option = how == "option"
    result = run("--service", SERVICE) if by_option else run(env={"EVENTUAL_DEFAULT_SERVICE": SERVICE})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == expected_listing(stack_outputs(cloudformation, "MyServiceStack"))


def test_the_projects_service_not_deployed_says_where_the_name_came_from(
    deploy: Deploy, service_template: dict[str, Any], project: Path
) -> None:
    deploy("MyServiceStack", service_template)  # my-service only; the project names chat
    result = run()
    assert result.exit_code == 1 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "no service named 'chat'" in line and str(project) in line and "--service" in line
    assert SERVICE in line


@pytest.mark.usefixtures("two_services", "outside")
def test_outside_a_project_several_services_still_need_a_choice() -> None:
    assert run().exit_code == 2


# -- --json: errors are JSON too ----------------------------------------------------------------


def assert_json_error(result: Result, exit_code: int, *fragments: str) -> str:
    assert result.exit_code == exit_code, result.output
    assert result.stderr == "" and "Traceback" not in result.output
    (line,) = result.stdout.splitlines()  # one object, on one line
    error = json.loads(line)
    assert list(error) == ["error"] and isinstance(error["error"], str)
    for fragment in fragments:
        assert fragment in error["error"], error
    return str(error["error"])


@pytest.mark.usefixtures("outside")
def test_json_no_service_is_a_json_error(cloudformation: Any) -> None:
    assert_json_error(run("--json"), 1, "no eventual service found in us-east-1")


@pytest.mark.usefixtures("two_services", "outside")
def test_json_choice_needed_keeps_exit_2() -> None:
    assert_json_error(run("--json"), 2, "chat, my-service", "--service NAME")


@pytest.mark.usefixtures("outside")
def test_json_usage_and_local_errors_are_json() -> None:
    assert_json_error(run("--json", "--port", "4000"), 2, "--port only applies with --local")
    assert_json_error(run("--json", "--local"), 1, "no pyproject.toml with a [tool.eventual] table")


@pytest.mark.usefixtures("outside")
def test_json_setup_errors_are_json() -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    no_credentials: dict[str, str | None] = {
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": closed,
    }
    assert_json_error(run("--json", env=no_credentials), 1, "no AWS credentials found")
    assert_json_error(run("--json", env={"AWS_ENDPOINT_URL": closed}), 1, "cannot reach CloudFormation")


# -- any botocore error: one line, no traceback -------------------------------------------------


def client_answering(handler: Callable[..., Any]) -> Any:
    """A CloudFormation client whose every request is answered by ``handler`` (botocore's
    ``before-send`` hook, as the HTTP layer would answer it), with no retries."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "cloudformation", endpoint_url="http://127.0.0.1:9", config=Config(retries={"total_max_attempts": 1})
    )
    client.meta.events.register("before-send.cloudformation.DescribeStacks", handler)
    return client


class _Body:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def answer(status: int, body: bytes) -> Callable[..., Any]:
    from botocore.awsrequest import AWSResponse

    def respond(request: Any, **_: Any) -> Any:
        return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, _Body(body))

    return respond


def raise_(error: Exception) -> Callable[..., Any]:
    def respond(**_: Any) -> Any:
        raise error

    return respond


def _errors() -> dict[str, tuple[Callable[..., Any], str]]:
    from botocore import exceptions as bx

    return {
        "parser error": (answer(200, b"<DescribeStacksResponse><not-closed>"), "could not read"),
        "endpoint that is not AWS": (answer(200, b"\x00\xff binary"), "could not read"),
        "client error": (
            answer(
                400,
                b"<ErrorResponse><Error><Code>Throttling</Code><Message>Rate\nexceeded</Message>"
                b"</Error></ErrorResponse>",
            ),
            "CloudFormation error Throttling: Rate exceeded",
        ),
        "connection closed": (raise_(bx.ConnectionClosedError(endpoint_url="http://x")), "cannot reach"),
        "TLS": (raise_(bx.SSLError(endpoint_url="https://x", error="bad certificate")), "bad certificate"),
        "expired SSO": (
            raise_(bx.CredentialRetrievalError(provider="sso", error_msg="token expired")),
            "token expired",
        ),
        "read timeout": (raise_(bx.ReadTimeoutError(endpoint_url="http://x")), "cannot reach CloudFormation"),
    }


@pytest.mark.usefixtures("outside")
@pytest.mark.parametrize("case", list(_errors()))
@pytest.mark.parametrize("as_json", [False, True])
def test_any_botocore_error_is_one_readable_line(
    case: str, as_json: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler, fragment = _errors()[case]
    client = client_answering(handler)
    monkeypatch.setattr("eventual.cli.get_service._cloudformation", lambda region, profile: client)
    result = run(*(["--json"] if as_json else []))
    if as_json:
        message = assert_json_error(result, 1, fragment)
    else:
        assert result.exit_code == 1 and result.stdout == "" and "Traceback" not in result.output
        (line,) = result.stderr.splitlines()
        assert line.startswith("Error: ") and fragment in line, line
        message = line
    assert len(message) < 500


# -- endpoints not ready ------------------------------------------------------------------------


def half_created(template: dict[str, Any], socket: str) -> dict[str, Any]:
    """The template with ``socket``'s URL output as a stack created halfway can show it."""
    outputs = {
        key: {**o, "Value": "wss://None.execute-api.us-east-1.amazonaws.com/prod"}
        if o.get("Description") == output_description(SERVICE, "socket", socket)
        else o
        for key, o in template["Outputs"].items()
    }
    return {**template, "Outputs": outputs}


@pytest.mark.usefixtures("outside")
def test_a_url_naming_no_api_is_marked_not_ready_in_text_and_json(
    deploy: Deploy, cloudformation: Any, service_template: dict[str, Any]
) -> None:
    broken = sorted(SOCKETS)[0]
    deploy("MyServiceStack", half_created(service_template, broken))
    lines = run().stdout.splitlines()
    marked = [line for line in lines if "not ready" in line]
    (line,) = marked
    assert line.startswith(f"\t{broken} - wss://None.execute-api.us-east-1.amazonaws.com/prod (not ready: ")
    assert "names no API" in line
    data = json.loads(run("--json").stdout)
    assert data["stack_status"] == "CREATE_COMPLETE"
    assert list(data["not_ready"]) == ["sockets"] and list(data["not_ready"]["sockets"]) == [broken]
    assert data["sockets"][broken].startswith("wss://None.")  # still shown, as deployed


@pytest.mark.usefixtures("outside")
@pytest.mark.parametrize("status", ["CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS"])
def test_a_stack_that_is_not_complete_marks_every_endpoint(
    status: str, deploy: Deploy, service_template: dict[str, Any]
) -> None:
    deploy("MyServiceStack", service_template, status=status)
    data = json.loads(run("--json").stdout)
    why = f"the stack is {status}"
    assert data["not_ready"] == {"api_endpoint": why, "sockets": dict.fromkeys(sorted(SOCKETS), why)}
    text = run().stdout.splitlines()
    assert sum(line.endswith(f"(not ready: {why})") for line in text) == len(SOCKETS) + 1


@pytest.mark.parametrize(
    ("url", "scheme", "problem"),
    [
        ("wss://abc123.execute-api.us-east-1.amazonaws.com/prod", "wss", None),
        ("wss://None.execute-api.us-east-1.amazonaws.com/prod", "wss", "names no API"),
        ("wss://null.execute-api.us-east-1.amazonaws.com/prod", "wss", "names no API"),
        ("wss://.execute-api.us-east-1.amazonaws.com/prod", "wss", "names no API"),
        ("https://abc.execute-api.us-east-1.amazonaws.com", "wss", "not a wss:// URL"),
        ("None", "https", "not a https:// URL"),
    ],
)
def test_url_problems(url: str, scheme: str, problem: str | None) -> None:
    from eventual.cli.readiness import url_problem

    found = url_problem(url, scheme)
    assert found is None if problem is None else (found is not None and problem in found)
