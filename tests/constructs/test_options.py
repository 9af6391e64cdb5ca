"""Two services in one stack, one of them tuned per socket the way CDK users pass options."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from eventual.outputs import services_from_outputs
from eventual.sockets import sockets_of
from tests.constructs.synth import REPO, Synth, new_app, resolve, write_service

TUNED = """
from eventual import socket

alpha = socket("alpha", {}, memory_size=256, timeout=5)
beta = socket("beta.v2", {})
gamma = socket("gamma", {})
delta = socket("delta", {}, timeout=60)
"""


@pytest.fixture(scope="module")
def two_services(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    import aws_cdk as cdk
    from aws_cdk import aws_lambda
    from aws_cdk.assertions import Template
    from cdk_nag import AwsSolutionsChecks

    from eventual.constructs import Service

    root = tmp_path_factory.mktemp("project")
    outdir = tmp_path_factory.mktemp("cdk.out")
    entry = write_service(root, "svc_tuned", TUNED)
    app = new_app(outdir)
    stack = cdk.Stack(app, "Both")
    Service(stack, "Example", name="my-service", entry="examples.service", project_root=REPO)
    tuned = Service(
        stack,
        "Tuned",
        name="tuned",
        entry=entry,
        project_root=root,
        function_options={
            "memory_size": 1024,
            "environment": {"STAGE": "test"},
            "tracing": aws_lambda.Tracing.ACTIVE,
        },
        socket_function_options={
            "beta.v2": aws_lambda.FunctionOptions(
                memory_size=2048,
                timeout=cdk.Duration.seconds(20),
                reserved_concurrent_executions=3,
                environment={"EXTRA": "1"},
            )
        },
    )
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    template = app.synth().get_stack_by_name("Both").template
    report = json.loads((outdir / "validation-report.json").read_text())
    return Synth(tuned, template, Template.from_json(template), outdir, report)


def function_of(synth: Synth, socket: str) -> dict[str, Any]:
    (function,) = [
        f["Properties"]
        for f in synth.resources("AWS::Lambda::Function").values()
        if f["Properties"].get("Environment", {}).get("Variables", {}).get("EVENTUAL_SOCKET_NAME") == socket
        and f["Properties"]["Environment"]["Variables"]["EVENTUAL_SERVICE_NAME"] == "tuned"
    ]
    return function


def test_per_socket_options_win_over_the_declaration_which_wins_over_service_wide(
    two_services: Synth,
) -> None:
    alpha, beta, gamma = (function_of(two_services, s) for s in ("alpha", "beta.v2", "gamma"))
    assert (alpha["MemorySize"], alpha["Timeout"]) == (256, 5)  # socket(..., memory_size=256, timeout=5)
    assert (beta["MemorySize"], beta["Timeout"], beta["ReservedConcurrentExecutions"]) == (2048, 20, 3)
    assert (gamma["MemorySize"], gamma["Timeout"]) == (1024, 10)  # service-wide memory, default timeout
    assert all(f["TracingConfig"] == {"Mode": "Active"} for f in (alpha, beta, gamma))
    assert "ReservedConcurrentExecutions" not in alpha


def test_environment_merges_user_variables_under_eventuals_own(two_services: Synth) -> None:
    beta = function_of(two_services, "beta.v2")["Environment"]["Variables"]
    gamma = function_of(two_services, "gamma")["Environment"]["Variables"]
    assert beta["STAGE"] == "test" and beta["EXTRA"] == "1"
    assert gamma["STAGE"] == "test" and "EXTRA" not in gamma
    assert set(json.loads(resolve(gamma["EVENTUAL_SOCKET_URLS"]))) == {"alpha", "beta.v2", "gamma", "delta"}


def test_names_lambda_rejects_are_made_valid_and_stay_distinct(two_services: Synth) -> None:
    names = {s: function_of(two_services, s)["FunctionName"] for s in ("alpha", "beta.v2", "gamma")}
    assert names["alpha"] == "tuned--alpha" and names["gamma"] == "tuned--gamma"
    assert re.fullmatch(r"tuned--beta-v2-[0-9a-f]{8}", names["beta.v2"])


def test_two_services_share_one_stack_with_distinct_outputs_and_one_account_role(two_services: Synth) -> None:
    outputs = [
        {"OutputValue": resolve(o["Value"]), "Description": o.get("Description", "")}
        for o in two_services.template["Outputs"].values()
    ]
    example_sockets = set(sockets_of("examples.service"))
    # Per service: its API, bus, log group and own functions; per socket: its URL and its functions.
    assert len(outputs) == (4 + 2 * len(example_sockets)) + (4 + 2 * 4)
    services = services_from_outputs(outputs)
    assert set(services) == {"my-service", "tuned"}
    assert set(services["tuned"].sockets) == {"alpha", "beta.v2", "gamma", "delta"}
    assert {o.socket for o in services["tuned"].functions.values()} == {
        "alpha",
        "beta.v2",
        "gamma",
        "delta",
        None,
    }
    assert set(services["my-service"].sockets) == example_sockets
    assert len({o["OutputValue"] for o in outputs}) == len(outputs)
    two_services.assertions.resource_count_is("Custom::ApiGatewayAccountLogging", 1)
    (nag,) = [p for p in two_services.report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success" and nag["violations"] == []


def test_function_options_are_read_as_the_structs_fields_and_the_plans_checks_surface(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service, ServiceDefinitionError

    entry = write_service(
        tmp_path, "svc_bad_options", 'from eventual import socket\nchat = socket("chat", {})\n'
    )
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(ServiceDefinitionError, match=r"did you mean 'memory_size'"):
        Service(stack, "C", name="c", entry=entry, project_root=tmp_path, function_options={"memroy_size": 1})
    # the rest is the plan's (tests/constructs/test_plan.py)
    with pytest.raises(ServiceDefinitionError, match=r"'chta'.*declares 'chat'"):
        Service(
            stack, "A", name="a", entry=entry, project_root=tmp_path, socket_function_options={"chta": {}}
        )


def test_a_timeout_past_api_gateways_29_seconds_is_a_synth_warning(two_services: Synth) -> None:
    metadata = json.loads(next(two_services.outdir.glob("Both.metadata.json")).read_text())
    warnings = {
        path: [e["data"] for e in entries if e["type"] == "aws:cdk:warning"]
        for path, entries in metadata.items()
    }
    flagged = {path for path, found in warnings.items() if any("29 s at most" in str(w) for w in found)}
    assert flagged == {"/Both/Tuned/delta/Function"}
    assert function_of(two_services, "delta")["Timeout"] == 60
