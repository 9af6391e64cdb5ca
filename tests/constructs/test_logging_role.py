"""The account's API Gateway CloudWatch role: set only where none is, never overwritten, never deleted.

The custom resource's handler runs here against moto (no AWS); the template part checks its
least privilege.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from eventual.constructs.logging_role import MANAGED_POLICY, ROLE_NAME
from tests.constructs.synth import REPO, Synth, actions, resolve, resources

HANDLER = REPO / "eventual" / "constructs" / "account_logging_handler.py"
ACCOUNT = "123456789012"


def load_handler() -> ModuleType:
    """The handler as Lambda runs it: a module on its own (index.py), from the inline source."""
    spec = importlib.util.spec_from_file_location("index", HANDLER)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Context:
    invoked_function_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:handler"


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[ModuleType, list[dict[str, Any]]]]:
    """The handler inside moto, its CloudFormation responses collected instead of sent."""
    from moto import mock_aws

    module = load_handler()
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(
        module,
        "respond",
        lambda event, status, data, reason: sent.append({"Status": status, "Data": data, "Reason": reason}),
    )
    monkeypatch.setattr(module.time, "sleep", lambda seconds: None)
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")  # AmazonAPIGatewayPushToCloudWatchLogs
    with mock_aws():
        yield module, sent


def event(request_type: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResourceProperties": {"RoleName": ROLE_NAME},
        "ResponseURL": "http://127.0.0.1:9/unused",
        "StackId": "stack",
        "RequestId": "request",
        "LogicalResourceId": "Setting",
    }


def account_role() -> str | None:
    import boto3

    return boto3.client("apigateway").get_account().get("cloudwatchRoleArn")


def test_an_account_without_a_role_gets_one_made_once_and_shared(
    handler: tuple[ModuleType, list[dict[str, Any]]],
) -> None:
    import boto3

    module, sent = handler
    module.handler(event("Create"), Context())
    arn = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
    assert sent == [{"Status": "SUCCESS", "Data": {"RoleArn": arn, "Set": "true"}, "Reason": ""}]
    assert account_role() == arn
    iam = boto3.client("iam")
    trust = iam.get_role(RoleName=ROLE_NAME)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "apigateway.amazonaws.com"}
    attached = iam.list_attached_role_policies(RoleName=ROLE_NAME)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [f"arn:aws:iam::aws:policy/{MANAGED_POLICY}"]
    # A second stack (another stage) finds the setting and leaves it; no second role.
    module.handler(event("Create"), Context())
    assert sent[-1]["Data"] == {"RoleArn": arn, "Set": "false"}
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == [ROLE_NAME]


def set_account_role(arn: str) -> None:
    import boto3

    boto3.client("apigateway").update_account(
        patchOperations=[{"op": "replace", "path": "/cloudwatchRoleArn", "value": arn}]
    )


@pytest.mark.parametrize(
    "baseline",
    [
        f"arn:aws:iam::{ACCOUNT}:role/organisation/baseline",  # this account's, and it exists
        "arn:aws:iam::210987654321:role/central-logging",  # another account's: not ours to judge
    ],
)
def test_a_role_set_elsewhere_is_never_overwritten_and_delete_changes_nothing(
    handler: tuple[ModuleType, list[dict[str, Any]]], baseline: str
) -> None:
    import boto3

    module, sent = handler
    iam = boto3.client("iam")
    if f":{ACCOUNT}:" in baseline:
        iam.create_role(RoleName="baseline", Path="/organisation/", AssumeRolePolicyDocument="{}")
    set_account_role(baseline)
    roles_before = iam.list_roles()["Roles"]
    for request_type in ("Create", "Update", "Delete"):
        module.handler(event(request_type), Context())
        assert account_role() == baseline
    assert [s["Status"] for s in sent] == ["SUCCESS"] * 3
    assert sent[0]["Data"] == {"RoleArn": baseline, "Set": "false"}
    assert sent[-1]["Data"] == {}  # Delete: nothing done
    assert iam.list_roles()["Roles"] == roles_before


def test_a_role_of_this_account_that_no_longer_exists_is_replaced_by_ours_and_the_log_says_so(
    handler: tuple[ModuleType, list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 19 item 15: the setting named a deleted role and was left alone, so API Gateway
    could assume no role and every stage's access logs vanished without an error."""
    module, sent = handler
    stale = f"arn:aws:iam::{ACCOUNT}:role/deleted-by-someone"
    set_account_role(stale)
    module.handler(event("Update"), Context())
    ours = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
    assert sent == [
        {"Status": "SUCCESS", "Data": {"RoleArn": ours, "Set": "true", "Replaced": stale}, "Reason": ""}
    ]
    assert account_role() == ours
    assert capsys.readouterr().out == (
        f"WARNING: API Gateway's account CloudWatch role {stale} no longer exists; set {ours}\n"
    )


def test_a_failure_is_reported_to_cloudformation_not_raised(
    handler: tuple[ModuleType, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, sent = handler

    def broken(*args: Any) -> Any:
        raise RuntimeError("no")

    monkeypatch.setattr(module, "ensure_role", broken)
    module.handler(event("Create"), Context())
    assert sent == [{"Status": "FAILED", "Data": {}, "Reason": "RuntimeError: no"}]


def test_the_inline_handler_fits_cloudformations_limit_and_needs_no_asset(example: Synth) -> None:
    (handler,) = [
        f["Properties"]
        for f in example.resources("AWS::Lambda::Function").values()
        if "ZipFile" in f["Properties"]["Code"]
    ]
    assert handler["Code"]["ZipFile"] == HANDLER.read_text()
    assert len(HANDLER.read_text()) <= 4096
    assert handler["Handler"] == "index.handler"


def test_the_handler_may_read_and_set_the_setting_and_make_and_pass_only_its_role(example: Synth) -> None:
    (setting,) = example.resources("Custom::ApiGatewayAccountLogging").values()
    assert setting["Properties"]["RoleName"] == ROLE_NAME
    (role_id,) = [
        k
        for k, r in example.resources("AWS::IAM::Role").items()
        if "sets API Gateway's account" in r["Properties"].get("Description", "")
    ]
    (policy,) = [
        p
        for p in example.resources("AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    granted = {
        action: sorted(json.dumps(resolve(r)) for r in resources(s))
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
        for action in actions(s)
    }
    role_arn = json.dumps(f"arn:aws:iam::123456789012:role/{ROLE_NAME}")
    account = json.dumps("arn:aws:apigateway:us-east-1::/account")
    assert granted["apigateway:GET"] == granted["apigateway:PATCH"] == [account]
    for action in ("iam:CreateRole", "iam:AttachRolePolicy", "iam:PassRole"):
        assert granted[action] == [role_arn], action
    # Read only, any role of the account: the one the setting names may have any name and path.
    assert granted["iam:GetRole"] == [json.dumps("arn:aws:iam::123456789012:role/*")]
    assert set(granted) - {"logs:CreateLogStream", "logs:PutLogEvents"} == {
        "apigateway:GET",
        "apigateway:PATCH",
        "iam:GetRole",
        "iam:CreateRole",
        "iam:AttachRolePolicy",
        "iam:PassRole",
    }
