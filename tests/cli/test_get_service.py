"""``eventual get service`` against Service stacks in moto (in-process ``mock_aws``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from eventual.cli import main
from eventual.outputs import output_description
from tests.cli.conftest import Deploy
from tests.cli.moto import free_port
from tests.cli.stacks import (
    SERVICE,
    SOCKETS,
    create_stack,
    example_service_template,
    expected_listing,
    stack_outputs,
)

# moto's CloudFormation skips the account-wide API Gateway logging role the Service sets up.
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse AWS..ApiGateway..Account")

HEALTHY = ("CREATE_COMPLETE", "UPDATE_COMPLETE")
UNSETTLED = ("UPDATE_IN_PROGRESS", "UPDATE_FAILED", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED")


@pytest.fixture(autouse=True)
def outside_any_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run where no pyproject.toml names a service (this repository's names ``my-service``), so a
    service is chosen by what is deployed and the options; test_get_service_project runs inside one."""
    monkeypatch.chdir(tmp_path)


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(main, ["get", "service", *args], env=env)


def assert_one_line_error(result: Result, exit_code: int, *fragments: str) -> None:
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# -- the listing ------------------------------------------------------------------------------


def test_prints_the_seed_list_from_the_stack_outputs(
    deploy: Deploy, cloudformation: Any, service_template: dict[str, Any]
) -> None:
    deploy("MyServiceStack", service_template)
    result = run()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines == expected_listing(stack_outputs(cloudformation, "MyServiceStack"))
    # What CloudFormation resolved, independently of how the construct spelled it:
    assert lines[0] == "Stage: default"
    assert lines[1].startswith("API Gateway: https://") and ".execute-api.us-east-1.amazonaws.com" in lines[1]
    assert lines[2] == "Event Bus Arn: arn:aws:events:us-east-1:123456789012:event-bus/my-service"
    assert lines[3] == "Service Log Group: my-service-execution-logs"
    assert [line.split(" - ")[0] for line in lines[5:]] == [f"\t{name}" for name in sorted(SOCKETS)]
    assert all(line.split(" - ")[1].startswith("wss://") for line in lines[5:])
    assert result.stderr == ""


def test_sockets_print_in_name_order_whatever_the_output_order(
    deploy: Deploy, cloudformation: Any, service_template: dict[str, Any]
) -> None:
    reversed_outputs = {**service_template, "Outputs": dict(reversed(service_template["Outputs"].items()))}
    deploy("MyServiceStack", reversed_outputs)
    described = cloudformation.describe_stacks(StackName="MyServiceStack")["Stacks"][0]["Outputs"]
    sockets = [o["Description"].split()[-1] for o in described if " socket " in o["Description"]]
    assert sockets == sorted(SOCKETS, reverse=True)  # the order the CLI receives them in
    lines = run().stdout.splitlines()
    assert lines == expected_listing(stack_outputs(cloudformation, "MyServiceStack"))
    assert list(json.loads(run("--json").stdout)["sockets"]) == sorted(SOCKETS)


def test_printed_socket_urls_are_the_ones_the_functions_send_through(
    deploy: Deploy, service_template: dict[str, Any]
) -> None:
    import boto3

    deploy("MyServiceStack", service_template)
    printed = json.loads(run("--json").stdout)["sockets"]
    functions = boto3.client("lambda").list_functions()["Functions"]
    # The socket functions; a socket's authorizer function sends nothing and has no URLs.
    env = [
        f["Environment"]["Variables"] for f in functions if f["Handler"] == "eventual.runtime.handler.handle"
    ]
    assert sorted(e["EVENTUAL_SOCKET_NAME"] for e in env) == sorted(SOCKETS)
    for variables in env:
        urls = json.loads(variables["EVENTUAL_SOCKET_URLS"])
        assert {name: url["wss"] for name, url in urls.items()} == printed


def test_json_is_one_stable_object(
    deploy: Deploy, cloudformation: Any, service_template: dict[str, Any]
) -> None:
    deploy("MyServiceStack", service_template)
    result = run("--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    outputs = stack_outputs(cloudformation, "MyServiceStack")
    assert data == {
        "service": SERVICE,
        "stage": "default",
        "domain": None,
        "api_endpoint": outputs[output_description(SERVICE, "api")],
        "event_bus_arn": outputs[output_description(SERVICE, "event-bus-arn")],
        "log_group": outputs[output_description(SERVICE, "log-group")],
        "sockets": {name: outputs[output_description(SERVICE, "socket", name)] for name in SOCKETS},
        "stack": "MyServiceStack",
        "stack_status": "CREATE_COMPLETE",
        "region": "us-east-1",
        "not_ready": {},
    }
    assert list(data) == [
        "service",
        "stage",
        "domain",
        "api_endpoint",
        "event_bus_arn",
        "log_group",
        "sockets",
        "stack",
        "stack_status",
        "region",
        "not_ready",
    ]
    assert list(data["sockets"]) == sorted(SOCKETS)
    assert run("--json").stdout == result.stdout


def test_ignores_stacks_that_hold_no_service(
    deploy: Deploy, cloudformation: Any, service_template: dict[str, Any]
) -> None:
    deploy(
        "Unrelated",
        {
            "Resources": {"Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "other"}}},
            "Outputs": {
                "Arn": {"Value": {"Fn::GetAtt": ["Bus", "Arn"]}, "Description": "eventual-ish other api"},
                "Plain": {"Value": "x"},
            },
        },
    )
    deploy("MyServiceStack", service_template)
    result = run()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == expected_listing(stack_outputs(cloudformation, "MyServiceStack"))


# -- choosing a service -----------------------------------------------------------------------


@pytest.fixture
def two_services(deploy: Deploy, service_template: dict[str, Any]) -> None:
    deploy("MyServiceStack", service_template)
    deploy("ChatStack", example_service_template("chat"))


@pytest.mark.usefixtures("two_services")
def test_several_services_and_no_choice_lists_them_and_exits_2() -> None:
    result = run()
    assert_one_line_error(result, 2, "chat, my-service", "--service NAME", "EVENTUAL_DEFAULT_SERVICE")


@pytest.mark.usefixtures("two_services")
@pytest.mark.parametrize("how", ["option", "env"])
def test_service_chosen_by_option_or_env(how: str, cloudformation: Any) -> None:
    by_option = how == "option"
    result = run("--service", "chat") if by_option else run(env={"EVENTUAL_DEFAULT_SERVICE": "chat"})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == expected_listing(stack_outputs(cloudformation, "ChatStack"), "chat")
    assert "event-bus/chat" in result.stdout


@pytest.mark.usefixtures("two_services")
def test_option_wins_over_env(cloudformation: Any) -> None:
    result = run("--service", SERVICE, env={"EVENTUAL_DEFAULT_SERVICE": "chat"})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == expected_listing(stack_outputs(cloudformation, "MyServiceStack"))


@pytest.mark.usefixtures("two_services")
@pytest.mark.parametrize("env", [None, {"EVENTUAL_DEFAULT_SERVICE": "nope"}])
def test_unknown_service_says_so_and_lists_known_ones(env: dict[str, str | None] | None) -> None:
    result = run(*(["--service", "nope"] if env is None else []), env=env)
    assert_one_line_error(result, 1, "no service named 'nope'", "chat, my-service")


# -- choosing a stage -------------------------------------------------------------------------


@pytest.fixture
def two_stages(deploy: Deploy) -> None:
    """The example's default stage and its stage ``dev``, side by side, as `cdk deploy` and
    `cdk deploy -c stage=dev` leave them."""
    deploy("my-service", example_service_template())
    deploy("my-service--dev", example_service_template(stage="dev"))


@pytest.mark.usefixtures("two_stages")
def test_several_stages_and_no_choice_lists_them_and_exits_2() -> None:
    result = run()
    assert_one_line_error(
        result, 2, "2 stages of my-service", "default, dev", "--stage NAME", "EVENTUAL_STAGE"
    )


@pytest.mark.usefixtures("two_stages")
@pytest.mark.parametrize("stage", ["default", "dev"])
def test_stage_chosen_by_option_or_env_says_which_it_shows(stage: str, cloudformation: Any) -> None:
    stack = "my-service" if stage == "default" else "my-service--dev"
    for result in (run("--stage", stage), run(env={"EVENTUAL_STAGE": stage})):
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        assert lines == expected_listing(stack_outputs(cloudformation, stack), stage=stage)
        assert lines[0] == f"Stage: {stage}"
    data = json.loads(run("--stage", stage, "--json").stdout)
    assert (data["stage"], data["stack"]) == (stage, stack)


@pytest.mark.usefixtures("two_stages")
def test_two_stages_share_no_endpoint_bus_or_log_group() -> None:
    default, dev = (json.loads(run("--stage", stage, "--json").stdout) for stage in ("default", "dev"))
    assert default["event_bus_arn"].endswith(":event-bus/my-service")
    assert dev["event_bus_arn"].endswith(":event-bus/my-service--dev")
    assert (default["log_group"], dev["log_group"]) == (
        "my-service-execution-logs",
        "my-service--dev-execution-logs",
    )
    assert set(default["sockets"]) == set(dev["sockets"]) == set(SOCKETS)
    assert set(default["sockets"].values()).isdisjoint(dev["sockets"].values())
    assert all(url.endswith("/prod") for url in default["sockets"].values())
    assert all(url.endswith("/dev") for url in dev["sockets"].values())


@pytest.mark.usefixtures("two_stages")
def test_unknown_stage_says_so_and_lists_the_deployed_ones() -> None:
    assert_one_line_error(
        run("--stage", "prod"), 1, "no stage 'prod' of service 'my-service'", "default, dev"
    )


@pytest.mark.parametrize("how", ["option", "env", "json"])
def test_a_stage_no_deploy_could_have_made_is_refused_with_the_rule(how: str, cloudformation: Any) -> None:
    """Issue 19 item 14: one rule for stage names, in the CLI as at synth: 'pr_1' cannot be a
    stage (no stack may be named after it), so the answer is the rule, not a lookup's miss."""
    result = {
        "option": lambda: run("--stage", "pr_1"),
        "env": lambda: run(env={"EVENTUAL_STAGE": "pr_1"}),
        "json": lambda: run("--stage", "pr_1", "--json"),
    }[how]()
    if how == "json":
        assert result.exit_code == 2
        assert "stage 'pr_1' is not valid: use letters and digits" in json.loads(result.stdout)["error"]
        return
    assert_one_line_error(result, 2, "--stage (EVENTUAL_STAGE): stage 'pr_1' is not valid")


def test_no_service_deployed(cloudformation: Any) -> None:
    assert_one_line_error(run(), 1, "no eventual service found in us-east-1")


def test_no_service_yet_names_stacks_still_being_created(deploy: Deploy, cloudformation: Any) -> None:
    # What `cdk deploy` does first: a CREATE change set leaves the stack in REVIEW_IN_PROGRESS.
    cloudformation.create_change_set(
        StackName="NewStack",
        ChangeSetName="cdk-deploy-change-set",
        ChangeSetType="CREATE",
        TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}),
    )
    assert_one_line_error(run(), 1, "no eventual service found", "NewStack (REVIEW_IN_PROGRESS)")


# -- stack status -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", UNSETTLED)
def test_unsettled_stack_is_flagged_next_to_its_endpoints(
    status: str, deploy: Deploy, cloudformation: Any, service_template: dict[str, Any]
) -> None:
    deploy("MyServiceStack", service_template, status=status)
    result = run()
    assert result.exit_code == 0, result.output
    first, *rest = result.stdout.splitlines()
    assert first.startswith(f"Stack Status: {status} - stack MyServiceStack: ")
    expected_words = {"IN_PROGRESS": "in progress", "FAILED": "failed", "ROLLBACK_COMPLETE": "rolled back"}
    assert any(words in first for key, words in expected_words.items() if status.endswith(key))
    # Not *_COMPLETE: every endpoint is marked; a rolled-back stack's endpoints are the live ones.
    mark = "" if status.endswith("_COMPLETE") else f" (not ready: the stack is {status})"
    expected = expected_listing(stack_outputs(cloudformation, "MyServiceStack"))
    assert rest == [line + mark if " - " in line or "API Gateway" in line else line for line in expected]
    data = json.loads(run("--json").stdout)
    assert data["stack_status"] == status
    assert bool(data["not_ready"]) is not status.endswith("_COMPLETE")


@pytest.mark.parametrize("status", HEALTHY)
def test_settled_stack_has_no_status_line(
    status: str, deploy: Deploy, service_template: dict[str, Any]
) -> None:
    deploy("MyServiceStack", service_template, status=status)
    assert not run().stdout.startswith("Stack Status")


# -- where to look: region and profile --------------------------------------------------------


@pytest.fixture
def service_in_eu(cloudformation: Any, service_template: dict[str, Any]) -> None:
    create_stack("EuStack", service_template, region="eu-west-1")


@pytest.mark.usefixtures("service_in_eu")
def test_region_option_and_aws_region_env() -> None:
    assert run().exit_code == 1  # nothing in us-east-1
    by_option = run("--region", "eu-west-1")
    assert by_option.exit_code == 0, by_option.output
    assert "arn:aws:events:eu-west-1:" in by_option.stdout
    # AWS_REGION alone (which boto3 itself ignores) is enough, as for the AWS CLI:
    by_env = run(env={"AWS_DEFAULT_REGION": None, "AWS_REGION": "eu-west-1"})
    assert by_env.stdout == by_option.stdout


@pytest.mark.usefixtures("service_in_eu")
def test_profile_option_and_aws_profile_env(tmp_path: Any) -> None:
    config = tmp_path / "config"
    config.write_text("[profile eu]\nregion = eu-west-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[eu]\naws_access_key_id = AKIAEU\naws_secret_access_key = secret\n")
    env: dict[str, str | None] = {
        "AWS_CONFIG_FILE": str(config),
        "AWS_SHARED_CREDENTIALS_FILE": str(credentials),
        "AWS_REGION": None,
        "AWS_DEFAULT_REGION": None,
    }
    by_option = run("--profile", "eu", "--json", env=env)
    assert by_option.exit_code == 0, by_option.output
    assert json.loads(by_option.stdout)["region"] == "eu-west-1"
    by_env = run("--json", env={**env, "AWS_PROFILE": "eu"})
    assert by_env.stdout == by_option.stdout


def test_unknown_profile(cloudformation: Any) -> None:
    assert_one_line_error(run("--profile", "ghost"), 1, "ghost", "--profile")


# -- setup errors: one line, exit 1 -----------------------------------------------------------

# Where a test expects no request to be sent, AWS_ENDPOINT_URL points at a closed loopback port,
# so a bug cannot reach AWS either.


@pytest.fixture
def closed_endpoint() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_no_credentials(closed_endpoint: str) -> None:
    env: dict[str, str | None] = {
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": closed_endpoint,
    }
    assert_one_line_error(run(env=env), 1, "no AWS credentials found")


def test_no_region(closed_endpoint: str) -> None:
    env: dict[str, str | None] = {
        "AWS_REGION": None,
        "AWS_DEFAULT_REGION": None,
        "AWS_ENDPOINT_URL": closed_endpoint,
    }
    assert_one_line_error(run(env=env), 1, "no AWS region", "--region", "AWS_REGION")


def test_unreachable_endpoint(closed_endpoint: str) -> None:
    result = run(env={"AWS_ENDPOINT_URL": closed_endpoint})
    assert_one_line_error(result, 1, "cannot reach CloudFormation", closed_endpoint)


def test_malformed_endpoint() -> None:
    result = run(env={"AWS_ENDPOINT_URL": "localhost-without-scheme"})
    assert_one_line_error(result, 1, "Invalid endpoint: localhost-without-scheme", "AWS_ENDPOINT_URL")


def test_access_denied(service_template: dict[str, Any]) -> None:
    import boto3
    from moto import mock_aws
    from moto.core import set_initial_no_auth_action_count

    @set_initial_no_auth_action_count(2)  # the two IAM calls below; every later request is checked
    def as_user_without_policy() -> Result:
        iam = boto3.client("iam")
        iam.create_user(UserName="reader")
        key = iam.create_access_key(UserName="reader")["AccessKey"]
        return run(
            env={
                "AWS_ACCESS_KEY_ID": key["AccessKeyId"],
                "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"],
                "AWS_SESSION_TOKEN": None,
            }
        )

    with mock_aws():
        create_stack("S", service_template)
        result = as_user_without_policy()
    assert_one_line_error(result, 1, "access denied", "cloudformation:DescribeStacks")


def test_rejected_credentials() -> None:
    from moto import mock_aws
    from moto.core import set_initial_no_auth_action_count

    @set_initial_no_auth_action_count(0)
    def scenario() -> Result:
        return run(env={"AWS_ACCESS_KEY_ID": "AKIAUNKNOWN", "AWS_SESSION_TOKEN": None})

    with mock_aws():
        result = scenario()
    assert_one_line_error(result, 1, "AWS rejected the credentials (InvalidClientTokenId)")


def test_follows_every_page_of_stacks(
    monkeypatch: pytest.MonkeyPatch, cloudformation: Any, service_template: dict[str, Any]
) -> None:
    # moto answers in one page; AWS pages describe_stacks. Two real responses, served in turn.
    import boto3
    from botocore.stub import Stubber

    create_stack("A", service_template)
    create_stack("B", example_service_template("chat"))
    first, second = (
        {"Stacks": cloudformation.describe_stacks(StackName=name)["Stacks"]} for name in ("A", "B")
    )
    stubbed = boto3.client("cloudformation")
    stubber = Stubber(stubbed)
    stubber.add_response("describe_stacks", {**first, "NextToken": "page-2"}, {})
    stubber.add_response("describe_stacks", second, {"NextToken": "page-2"})
    monkeypatch.setattr("eventual.cli.get_service._cloudformation", lambda region, profile: stubbed)
    with stubber:
        result = run("--service", "chat")
        stubber.assert_no_pending_responses()
    assert result.exit_code == 0, result.output
    assert "event-bus/chat" in result.stdout


def stubbed_stacks(monkeypatch: pytest.MonkeyPatch, stacks: list[dict[str, Any]]) -> Any:
    """A CloudFormation client (botocore's Stubber) that answers ``DescribeStacks`` with ``stacks``,
    for what moto never answers. Use it as a context manager around the command."""
    import boto3
    from botocore.stub import Stubber

    stubbed = boto3.client("cloudformation")
    stubber = Stubber(stubbed)
    stubber.add_response("describe_stacks", {"Stacks": stacks}, {})
    monkeypatch.setattr("eventual.cli.get_service._cloudformation", lambda region, profile: stubbed)
    return stubber


def deleted(stack: dict[str, Any]) -> dict[str, Any]:
    """``stack`` as CloudFormation describes it once deleted: DELETE_COMPLETE, its outputs kept."""
    return {**stack, "StackStatus": "DELETE_COMPLETE", "DeletionTime": stack["CreationTime"]}


def test_deleted_stacks_hold_no_service(
    monkeypatch: pytest.MonkeyPatch, cloudformation: Any, service_template: dict[str, Any]
) -> None:
    """A deleted stack (``DELETE_COMPLETE``, which DescribeStacks can answer with and moto never
    does) is gone, whatever outputs it still reports: its service is not listed, chosen or
    counted, and it is no stack "without outputs yet"."""
    create_stack("MyServiceStack", service_template)
    create_stack("OldChatStack", example_service_template("chat"))
    live, old_chat = (
        cloudformation.describe_stacks(StackName=n)["Stacks"][0] for n in ("MyServiceStack", "OldChatStack")
    )
    empty = {key: value for key, value in old_chat.items() if key != "Outputs"}
    stacks = [deleted(old_chat), live, deleted({**empty, "StackName": "Abandoned"})]

    with stubbed_stacks(monkeypatch, stacks):  # only one service is left: no choice to make
        result = run()
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == expected_listing(stack_outputs(cloudformation, "MyServiceStack"))

    with stubbed_stacks(monkeypatch, stacks):
        result = run("--service", "chat")
    assert_one_line_error(result, 1, "no service named 'chat' in us-east-1; services found: my-service")

    with stubbed_stacks(monkeypatch, [deleted(old_chat), deleted({**empty, "StackName": "Abandoned"})]):
        result = run()
    assert_one_line_error(result, 1, "no eventual service found in us-east-1")
    assert "Abandoned" not in result.stderr and "stacks without outputs" not in result.stderr


# -- options ----------------------------------------------------------------------------------


def test_port_without_local_is_a_usage_error() -> None:
    result = run("--port", "4000")
    assert result.exit_code == 2
    assert "--port only applies with --local" in result.stderr
