"""Authorizers and tracked connections in the template: service ``gated`` (see conftest), one synth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eventual.runtime.connections import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE
from eventual.runtime.environment import TABLE_ENV
from tests.constructs.conftest import GATED_IDENTITY_SOURCE
from tests.constructs.synth import Synth, resolve, write_service

AUTHORIZED = ("gated-door", "gated-room")
TRACKED = ("gated-tally", "gated-room")
SOCKETS = ("gated-plain", "gated-door", "gated-tally", "gated-room")
CONNECTIONS_ACTIONS = ["dynamodb:PutItem", "dynamodb:DeleteItem", "dynamodb:Query"]


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def routes_of(synth: Synth, socket: str) -> dict[str, dict[str, Any]]:
    api = ref(synth.logical_id(synth.service.sockets[socket].api))
    return {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in synth.resources("AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["ApiId"] == api
    }


def function(synth: Synth, construct: Any) -> dict[str, Any]:
    return synth.template["Resources"][synth.logical_id(construct)]["Properties"]  # type: ignore[no-any-return]


def statements_of(synth: Synth, role: Any) -> list[dict[str, Any]]:
    role_ref = ref(synth.logical_id(role))
    return [
        s
        for p in synth.resources("AWS::IAM::Policy").values()
        if role_ref in p["Properties"]["Roles"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]


def authorizer_id(synth: Synth, socket: str) -> str:
    """The ``AWS::ApiGatewayV2::Authorizer`` aws-cdk-lib creates under the socket's API."""
    return synth.logical_id(synth.service.sockets[socket].api.node.find_child("Authorizer"))


def actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


# -- authorizers -----------------------------------------------------------------------------------


def test_an_authorizer_guards_connect_and_only_connect_of_sockets_that_declare_one(gated: Synth) -> None:
    authorizers = gated.resources("AWS::ApiGatewayV2::Authorizer")
    assert len(authorizers) == len(AUTHORIZED)
    for name in SOCKETS:
        endpoint = gated.service.sockets[name]
        routes = routes_of(gated, name)
        assert set(routes) == {"$connect", "$disconnect", "$default"}
        for key in ("$disconnect", "$default"):
            assert routes[key].get("AuthorizationType", "NONE") == "NONE"
            assert "AuthorizerId" not in routes[key]
        api = ref(gated.logical_id(endpoint.api))
        mine = {k: a["Properties"] for k, a in authorizers.items() if a["Properties"]["ApiId"] == api}
        if name not in AUTHORIZED:
            assert endpoint.authorizer is None and endpoint.authorizer_function is None
            assert routes["$connect"].get("AuthorizationType", "NONE") == "NONE" and mine == {}
            continue
        ((found_id, authorizer),) = mine.items()
        assert found_id == authorizer_id(gated, name)
        assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
        assert routes["$connect"]["AuthorizerId"] == ref(found_id)
        assert authorizer["AuthorizerType"] == "REQUEST"
        assert authorizer["Name"] == f"{name}-authorizer"
        assert "AuthorizerResultTtlInSeconds" not in authorizer  # WebSocket APIs cache no results
        uri = resolve(authorizer["AuthorizerUri"])
        assert uri == (
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            f"<{gated.logical_id(endpoint.authorizer_function)}.Arn>/invocations"
        )


def test_identity_sources_default_to_none_and_take_what_the_user_sets(gated: Synth) -> None:
    by_api = {
        a["Properties"]["ApiId"]["Ref"]: a["Properties"]
        for a in gated.resources("AWS::ApiGatewayV2::Authorizer").values()
    }
    door = by_api[gated.logical_id(gated.service.sockets["gated-door"].api)]
    room = by_api[gated.logical_id(gated.service.sockets["gated-room"].api)]
    # None: API Gateway invokes the authorizer on every $connect, query-string credentials included.
    assert door["IdentitySource"] == []
    assert room["IdentitySource"] == GATED_IDENTITY_SOURCE


def test_the_authorizer_function_runs_authorize_from_the_same_asset_with_the_sockets_settings(
    gated: Synth,
) -> None:
    for name in AUTHORIZED:
        endpoint = gated.service.sockets[name]
        socket_function = function(gated, endpoint.function)
        authorizer = function(gated, endpoint.authorizer_function)
        assert authorizer["Handler"] == "eventual.runtime.handler.authorize"
        assert authorizer["FunctionName"] == f"gated-{name}-authorizer"
        for same in ("Code", "Runtime", "Architectures", "MemorySize", "Timeout", "LoggingConfig"):
            assert authorizer[same] == socket_function[same], same
        env = authorizer["Environment"]["Variables"]
        assert env == {
            "EVENTUAL_SERVICE_NAME": "gated",
            "EVENTUAL_SOCKET_NAME": name,
            "EVENTUAL_ENTRY": "svc_gated.service",
        }
        assert authorizer["Role"] == {"Fn::GetAtt": [gated.logical_id(gated.service.authorizer_role), "Arn"]}
    door = function(gated, gated.service.sockets["gated-door"].authorizer_function)
    assert door["MemorySize"] == 256  # socket("gated-door", ..., memory_size=256)


def test_only_api_gateway_may_invoke_an_authorizer_and_only_as_that_apis_authorizer(gated: Synth) -> None:
    permissions = [p["Properties"] for p in gated.resources("AWS::Lambda::Permission").values()]
    for name in AUTHORIZED:
        endpoint = gated.service.sockets[name]
        target = {"Fn::GetAtt": [gated.logical_id(endpoint.authorizer_function), "Arn"]}
        (permission,) = [p for p in permissions if p["FunctionName"] == target]
        assert permission["Principal"] == "apigateway.amazonaws.com"
        assert permission["Action"] == "lambda:InvokeFunction"
        api = gated.logical_id(endpoint.api)
        assert resolve(permission["SourceArn"]) == (
            f"arn:aws:execute-api:us-east-1:123456789012:<{api}>/authorizers/<{authorizer_id(gated, name)}>"
        )


def test_the_authorizer_role_may_write_logs_and_nothing_else(gated: Synth) -> None:
    statements = statements_of(gated, gated.service.authorizer_role)
    assert [sorted(actions(s)) for s in statements] == [["logs:CreateLogStream", "logs:PutLogEvents"]]
    assert statements[0]["Resource"] == {"Fn::GetAtt": [gated.logical_id(gated.service.log_group), "Arn"]}
    role = gated.template["Resources"][gated.logical_id(gated.service.authorizer_role)]["Properties"]
    assert "ManagedPolicyArns" not in role


# -- tracked connections ---------------------------------------------------------------------------


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


def test_the_table_name_reaches_exactly_the_tracked_sockets_functions_and_granted_ones(gated: Synth) -> None:
    table = ref(gated.logical_id(gated.service.connections_table))
    for name in SOCKETS:
        endpoint = gated.service.sockets[name]
        env = function(gated, endpoint.function)["Environment"]["Variables"]
        assert env.get(TABLE_ENV) == (table if name in TRACKED else None), name
        if endpoint.authorizer_function is not None:
            assert TABLE_ENV not in function(gated, endpoint.authorizer_function)["Environment"]["Variables"]
    reporter = function(gated, gated.extra["reporter"])
    assert reporter["Environment"]["Variables"] == {TABLE_ENV: table}


def test_table_access_is_the_runtimes_three_actions_on_the_table_for_tracked_functions_only(
    gated: Synth,
) -> None:
    service = gated.service
    table_arn = [{"Fn::GetAtt": [gated.logical_id(service.connections_table), "Arn"]}]
    roles = {name: function(gated, service.sockets[name].function)["Role"] for name in SOCKETS}
    tracking = {"Fn::GetAtt": [gated.logical_id(service.tracking_role), "Arn"]}
    untracked = {"Fn::GetAtt": [gated.logical_id(service.role), "Arn"]}
    assert roles == {name: tracking if name in TRACKED else untracked for name in SOCKETS}
    assert service.tracking_role is not service.role

    def table_statements(role: Any) -> list[dict[str, Any]]:
        return [s for s in statements_of(gated, role) if any(a.startswith("dynamodb:") for a in actions(s))]

    granted = [service.tracking_role, gated.extra["reporter"].role]
    for role in granted:
        (statement,) = table_statements(role)
        assert statement["Effect"] == "Allow"
        assert actions(statement) == CONNECTIONS_ACTIONS
        assert statement["Resource"] == table_arn
    for role in (service.role, service.authorizer_role):
        assert table_statements(role) == []
    every_table_statement = [
        s
        for p in gated.resources("AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if "dynamodb" in json.dumps(s)
    ]
    assert len(every_table_statement) == len(granted)
    # The tracked functions' role manages connections like every socket function's role.
    managed = sorted(
        resolve(s["Resource"])
        for s in statements_of(gated, service.tracking_role)
        if s["Action"] == "execute-api:ManageConnections"
    )
    assert len(managed) == len(SOCKETS)


# -- cdk-nag ------------------------------------------------------------------------------------------


def test_cdk_nag_is_clean_and_apig4_is_acknowledged_only_where_no_authorizer_can_be(gated: Synth) -> None:
    nag = gated.nag()
    assert nag["conclusion"] == "success" and nag["violations"] == []
    apig4 = [v for v in nag["suppressedViolations"] if v["ruleName"] == "AwsSolutions-APIG4"]
    flagged = {c["constructPath"] for v in apig4 for c in v["violatingConstructs"]}
    expected = {
        f"Gated/Service/{name}/Api/{route}-Route/Resource"
        for name in SOCKETS
        for route in ("$connect", "$disconnect", "$default")
        if not (name in AUTHORIZED and route == "$connect")
    }
    assert flagged == expected
    where = {v["acknowledgedAt"]: v["reason"] for v in apig4}
    for name in AUTHORIZED:
        # No blanket acknowledgment on an authorized socket's API: each unauthorized route says why.
        assert f"Gated/Service/{name}/Api" not in where
        for route in ("$disconnect", "$default"):
            reason = where[f"Gated/Service/{name}/Api/{route}-Route"]
            assert "$connect route only" in reason and route in reason
    for name in set(SOCKETS) - set(AUTHORIZED):
        assert "authorizer=fn" in where[f"Gated/Service/{name}/Api"]
    suppressed_rules = {v["ruleName"].partition("[")[0] for v in nag["suppressedViolations"]}
    assert suppressed_rules == {"AwsSolutions-APIG4", "AwsSolutions-IAM5"}  # nothing about the table
    wildcards = [v for v in nag["suppressedViolations"] if "@connections/*" in v["ruleName"]]
    # every socket's stage, on each of the two socket function roles
    assert sorted(v["acknowledgedAt"] for v in wildcards) == sorted(
        f"Gated/Service/{role}/DefaultPolicy"
        for role in ("FunctionRole", "TrackingFunctionRole")
        for _ in SOCKETS
    )


# -- options and errors ----------------------------------------------------------------------------


def gated_service(**options: Any) -> Any:
    import aws_cdk as cdk

    from eventual.constructs import Service

    return Service(
        cdk.Stack(cdk.App(), "S"),
        "Svc",
        name="gated",
        entry="svc_gated.service",
        project_root=Path(__import__("svc_gated").__path__[0]).parent,
        **options,
    )


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"gated-rom": {}}, r"socket_authorizer_options names 'gated-rom', which .* does not declare"),
        ({"gated-plain": {}}, r"'gated-plain', declared without an authorizer.*authorizer=fn"),
        (
            {"gated-door": {"identity_source": ["$request.header.Authorization"]}},
            r"identity source '\$request.header.Authorization' is not one API Gateway accepts",
        ),
        ({"gated-door": {"identity_source": "route.request.header.Auth"}}, "a list of sources"),
        ({"gated-door": {"results_cache_ttl": 300}}, "caches authorizer results for REST and HTTP APIs only"),
        ({"gated-door": {"identity_sources": []}}, r"did you mean 'identity_source'"),
    ],
)
def test_authorizer_options_are_checked_at_synth(gated: Synth, options: dict[str, Any], match: str) -> None:
    from eventual.constructs import ServiceDefinitionError

    with pytest.raises(ServiceDefinitionError, match=match):
        gated_service(socket_authorizer_options=options)


def test_authorizer_options_take_the_cdk_struct(gated: Synth) -> None:
    from aws_cdk.aws_apigatewayv2_authorizers import WebSocketLambdaAuthorizerProps

    service = gated_service(
        socket_authorizer_options={
            "gated-door": WebSocketLambdaAuthorizerProps(
                authorizer_name="door", identity_source=["route.request.header.Authorization"]
            )
        }
    )
    authorizer = service.sockets["gated-door"].api.node.find_child("Authorizer").node.default_child
    assert authorizer.name == "door"
    assert authorizer.identity_source == ["route.request.header.Authorization"]


def test_an_authorizer_function_name_may_not_take_another_sockets_name(
    tmp_path: Path, socket_registry: object
) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service, ServiceDefinitionError

    entry = write_service(
        tmp_path,
        "svc_clash",
        "from eventual import socket\n"
        "chat = socket('chat', {}, authorizer=lambda request: {})\n"
        "other = socket('chat-authorizer', {})\n",
    )
    with pytest.raises(ServiceDefinitionError, match=r"'chat-authorizer' and 'chat \(authorizer\)'.*rename"):
        Service(cdk.Stack(cdk.App(), "S"), "Svc", name="svc", entry=entry, project_root=tmp_path)


def test_every_socket_tracked_shares_the_one_function_role(tmp_path: Path, socket_registry: object) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service

    entry = write_service(
        tmp_path,
        "svc_all_tracked",
        "from eventual import socket\n"
        "a = socket('all-a', {}, track_connections=True)\n"
        "b = socket('all-b', {}, track_connections=True)\n",
    )
    service = Service(cdk.Stack(cdk.App(), "S"), "Svc", name="svc", entry=entry, project_root=tmp_path)
    assert service.tracking_role is service.role  # no role left idle, none without the table
    assert service.authorizer_role is None
    assert all(e.function.role is service.role for e in service.sockets.values())
    assert service.node.try_find_child("TrackingFunctionRole") is None


def test_a_service_that_tracks_nothing_has_no_table_or_role_for_one(
    tmp_path: Path, socket_registry: object
) -> None:
    import aws_cdk as cdk
    from aws_cdk import aws_iam

    from eventual.constructs import Service, ServiceDefinitionError

    entry = write_service(tmp_path, "svc_untracked", "from eventual import socket\ns = socket('lone', {})\n")
    service = Service(cdk.Stack(cdk.App(), "S"), "Svc", name="svc", entry=entry, project_root=tmp_path)
    assert service.connections_table is None and service.tracking_role is None
    assert service.authorizer_role is None
    assert [c.node.id for c in service.node.children if "Role" in c.node.id] == ["FunctionRole"]
    with pytest.raises(ServiceDefinitionError, match="tracks no connections"):
        service.grant_connections(aws_iam.AnyPrincipal())
