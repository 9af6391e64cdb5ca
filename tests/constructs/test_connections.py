"""The tracked-connections table in the template of service ``gated``: one synth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eventual.runtime.connections import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE
from eventual.runtime.environment import TABLE_ENV
from tests.constructs.synth import (
    GATED_SOCKETS,
    Synth,
    actions,
    ref,
    resources,
    write_service,
)

CONNECTIONS_ACTIONS = ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"]


def test_one_on_demand_table_with_recovery_ttl_and_the_runtimes_key_schema(gated: Synth) -> None:
    (table_id, table), *others = gated.resources("AWS::DynamoDB::Table").items()
    assert others == []
    assert table_id == gated.logical_id(gated.service.connections_table)
    props = table["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": TTL_ATTRIBUTE, "Enabled": True}
    assert props["KeySchema"] == [
        {"AttributeName": PARTITION_KEY, "KeyType": "HASH"},
        {"AttributeName": SORT_KEY, "KeyType": "RANGE"},
    ]
    assert props["AttributeDefinitions"] == [
        {"AttributeName": PARTITION_KEY, "AttributeType": "S"},
        {"AttributeName": SORT_KEY, "AttributeType": "S"},
    ]
    assert "TableName" not in props  # CloudFormation names it: no clash between stacks or on replacement
    # Connection records outlive nothing: the table goes with the stack.
    assert table["DeletionPolicy"] == "Delete" and table["UpdateReplacePolicy"] == "Delete"


def test_the_table_name_reaches_every_socket_function_and_granted_ones_not_authorizers(gated: Synth) -> None:
    table = ref(gated.logical_id(gated.service.connections_table))
    for name in GATED_SOCKETS:
        endpoint = gated.service.sockets[name]
        env = gated.properties(endpoint.function)["Environment"]["Variables"]
        assert env.get(TABLE_ENV) == table, name  # tracked or not: any socket may list any other
        if endpoint.authorizer_function is not None:
            assert TABLE_ENV not in gated.properties(endpoint.authorizer_function)["Environment"]["Variables"]
    assert TABLE_ENV not in json.dumps(gated.properties(gated.service.service_document_function))
    reporter = gated.properties(gated.extra["reporter"])
    assert reporter["Environment"]["Variables"] == {TABLE_ENV: table}


def test_table_access_is_the_runtimes_three_actions_on_the_one_socket_role_and_granted_ones(
    gated: Synth,
) -> None:
    service = gated.service
    table_arn = [{"Fn::GetAtt": [gated.logical_id(service.connections_table), "Arn"]}]
    roles = {name: gated.properties(service.sockets[name].function)["Role"] for name in GATED_SOCKETS}
    function_role = {"Fn::GetAtt": [gated.logical_id(service.role), "Arn"]}
    assert roles == dict.fromkeys(GATED_SOCKETS, function_role)
    assert service.node.try_find_child("TrackingFunctionRole") is None

    def table_statements(role: Any) -> list[dict[str, Any]]:
        return [s for s in gated.statements_of(role) if any(a.startswith("dynamodb:") for a in actions(s))]

    granted = [service.role, gated.extra["reporter"].role]
    for role in granted:
        (statement,) = table_statements(role)  # one statement, however many functions share the role
        assert statement["Effect"] == "Allow"
        assert sorted(actions(statement)) == sorted(CONNECTIONS_ACTIONS)
        assert resources(statement) == table_arn
    for role in (service.authorizer_role, service.service_document_role):
        assert table_statements(role) == []
    # the fan-out worker forgets gone connections, and does nothing else to the table
    (forget,) = table_statements(service.fan_out_role)
    assert actions(forget) == ["dynamodb:DeleteItem"] and resources(forget) == table_arn
    every_table_statement = [
        s
        for p in gated.resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "dynamodb" in json.dumps(s)
    ]
    assert len(every_table_statement) == len(granted) + 1


def test_a_socket_function_with_a_role_of_its_own_gets_the_table_on_that_role(tmp_path: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_iam

    from eventual.constructs import Service

    entry = write_service(
        tmp_path,
        "svc_own_role",
        "from eventual import socket\n"
        "a = socket('own-a', {}, track_connections=True)\n"
        "b = socket('own-b', {})\n",
    )
    stack = cdk.Stack(cdk.App(), "S")
    own = aws_iam.Role(stack, "Own", assumed_by=aws_iam.ServicePrincipal("lambda.amazonaws.com"))
    service = Service(
        stack,
        "Svc",
        name="svc",
        entry=entry,
        project_root=tmp_path,
        socket_function_options={"own-b": {"role": own}},
    )
    assert service.sockets["own-b"].function.role is own
    policy = stack.resolve(own.node.find_child("DefaultPolicy").document)
    granted = {a for s in policy["Statement"] for a in actions(s)}
    assert set(CONNECTIONS_ACTIONS) <= granted and "execute-api:ManageConnections" in granted


def test_a_service_that_tracks_nothing_has_no_table_or_role_for_one(tmp_path: Path) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_iam

    from eventual.constructs import Service, ServiceDefinitionError

    entry = write_service(tmp_path, "svc_untracked", "from eventual import socket\ns = socket('lone', {})\n")
    service = Service(cdk.Stack(cdk.App(), "S"), "Svc", name="svc", entry=entry, project_root=tmp_path)
    assert service.connections_table is None
    assert service.authorizer_role is None
    assert service.plan.fan_out is None and service.fan_out is None and service.fan_out_role is None
    assert (service.fan_out_queue, service.fan_out_dead_letter_queue, service.fan_out_function) == (
        None,
        None,
        None,
    )
    with pytest.raises(ServiceDefinitionError, match="no fan-out queue"):
        service.metric_fan_out_failures()
    assert [c.node.id for c in service.node.children if "Role" in c.node.id] == [
        "FunctionRole",
        "ServiceDocumentRole",
    ]
    with pytest.raises(ServiceDefinitionError, match="tracks no connections"):
        service.grant_connections(aws_iam.AnyPrincipal())
