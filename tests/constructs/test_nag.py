"""cdk-nag: every synth is clean, and each acknowledgment names one resource and says why."""

from __future__ import annotations

import json
from pathlib import Path

import examples.service
from eventual.constructs.plan import route_keys
from eventual.sockets import sockets_of
from tests.constructs.synth import GATED_AUTHORIZED, GATED_SOCKETS, REPO, Synth, new_app

SOCKETS = tuple(sockets_of(examples.service.__name__))
AUTHORIZED = tuple(name for name, s in sockets_of(examples.service.__name__).items() if s.options.authorizer)


def test_cdk_nag_is_clean_and_every_acknowledgment_names_one_resource_and_why(example: Synth) -> None:
    (nag,) = [p for p in example.report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []
    suppressed = nag["suppressedViolations"]
    assert {v["ruleName"].partition("[")[0] for v in suppressed} == {
        "AwsSolutions-APIG4",
        "AwsSolutions-IAM5",
    }
    for violation in suppressed:
        # acknowledged on the resource itself (or its L2), never on the stack or the service
        at = violation["acknowledgedAt"]
        assert at.count("/") >= 2 and not at.endswith("/Service")
        assert all(c["constructPath"].startswith(at + "/") for c in violation["violatingConstructs"])
        assert len(violation["reason"]) > 40
    unauthorized_routes = {
        c["constructPath"].rpartition("/Resource")[0]
        for v in suppressed
        if v["ruleName"] == "AwsSolutions-APIG4"
        for c in v["violatingConstructs"]
    }
    assert unauthorized_routes == {
        f"MyService/Service/{socket}/Api/{route}-Route"
        for socket, declared in sockets_of(examples.service.__name__).items()
        for route in route_keys(declared)
        if not (socket in AUTHORIZED and route == "$connect")  # that one has the authorizer
    } | {
        f"MyService/Service/HttpApi/GET--{path}"
        for path in ("", "__eventual--service", "__eventual--asyncapi.json")
    }
    wildcard_grants = [v for v in suppressed if "/*/@connections/*" in v["ruleName"]]
    socket_function_roles = {id(e.function.role) for e in example.service.sockets.values()}
    assert len(wildcard_grants) == len(SOCKETS) * len(socket_function_roles)
    # the fan-out worker's: POST only, one per socket's stage, on its own role
    posts = [v for v in suppressed if "/POST/@connections/*" in v["ruleName"]]
    assert [v["acknowledgedAt"] for v in posts] == ["MyService/Service/FanOutRole/DefaultPolicy"] * len(
        SOCKETS
    )
    assert all("fan-out worker" in v["reason"] for v in posts)


def test_cdk_nag_is_clean_and_apig4_is_acknowledged_only_where_no_authorizer_can_be(gated: Synth) -> None:
    nag = gated.nag()
    assert nag["conclusion"] == "success" and nag["violations"] == []
    apig4 = [v for v in nag["suppressedViolations"] if v["ruleName"] == "AwsSolutions-APIG4"]
    flagged = {c["constructPath"] for v in apig4 for c in v["violatingConstructs"]}
    expected = {
        f"Gated/Service/{name}/Api/{route}-Route/Resource"
        for name in GATED_SOCKETS
        for route in ("$connect", "$disconnect", "$default")
        if not (name in GATED_AUTHORIZED and route == "$connect")
    } | {
        f"Gated/Service/HttpApi/GET--{path}/Resource"
        for path in ("", "__eventual--service", "__eventual--asyncapi.json")
    }
    assert flagged == expected
    where = {v["acknowledgedAt"]: v["reason"] for v in apig4}
    for name in GATED_AUTHORIZED:
        # No blanket acknowledgment on an authorized socket's API: each unauthorized route says why.
        assert f"Gated/Service/{name}/Api" not in where
        for route in ("$disconnect", "$default"):
            reason = where[f"Gated/Service/{name}/Api/{route}-Route"]
            assert "$connect route only" in reason and route in reason
    for name in set(GATED_SOCKETS) - set(GATED_AUTHORIZED):
        assert "authorizer=fn" in where[f"Gated/Service/{name}/Api"]
    suppressed_rules = {v["ruleName"].partition("[")[0] for v in nag["suppressedViolations"]}
    assert suppressed_rules == {"AwsSolutions-APIG4", "AwsSolutions-IAM5"}  # nothing about the table
    wildcards = [v for v in nag["suppressedViolations"] if "@connections/*" in v["ruleName"]]
    # every socket's stage, on the one socket function role (any method) and on the fan-out worker's
    # (POST only)
    acknowledged_at = sorted((v["acknowledgedAt"], v["ruleName"].split("/")[-3]) for v in wildcards)
    assert acknowledged_at == sorted(
        [("Gated/Service/FunctionRole/DefaultPolicy", "*")] * len(GATED_SOCKETS)
        + [("Gated/Service/FanOutRole/DefaultPolicy", "POST")] * len(GATED_SOCKETS)
    )


def test_cdk_nag_is_clean_in_a_stack_given_an_account_and_region(tmp_path: Path) -> None:
    """A stack with ``env`` (as one that looks up a hosted zone for its domain must be) writes its
    ARNs with the account and region, not their pseudo parameters; the acknowledgments follow, so
    cdk-nag finds the same grants acknowledged (it failed the synth before)."""
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    from eventual.constructs import Service

    app = new_app(tmp_path)
    env = cdk.Environment(account="210987654321", region="eu-west-1")
    stack = cdk.Stack(app, "Pinned", env=env)
    Service(stack, "Service", name="my-service", entry="examples.service", project_root=REPO)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    app.synth()  # raises on an unacknowledged finding
    (nag,) = [
        p
        for p in json.loads((tmp_path / "validation-report.json").read_text())["pluginReports"]
        if p["pluginName"] == "AwsSolutions"
    ]
    assert nag["conclusion"] == "success" and nag["violations"] == []
    wildcards = [v["ruleName"] for v in nag["suppressedViolations"] if "@connections/*" in v["ruleName"]]
    assert wildcards and all(":execute-api:eu-west-1:210987654321:" in rule for rule in wildcards)
