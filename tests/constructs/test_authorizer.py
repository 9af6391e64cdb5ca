"""$connect authorizers in the template of service ``gated`` (see ``tests.constructs.synth``): one synth."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.constructs.synth import (
    GATED_AUTHORIZED,
    GATED_IDENTITY_SOURCE,
    GATED_SOCKETS,
    Synth,
    actions,
    ref,
    resolve,
)


def authorizer_id(synth: Synth, socket: str) -> str:
    """The ``AWS::ApiGatewayV2::Authorizer`` aws-cdk-lib creates under the socket's API."""
    return synth.logical_id(synth.service.sockets[socket].api.node.find_child("Authorizer"))


def test_an_authorizer_guards_connect_and_only_connect_of_sockets_that_declare_one(gated: Synth) -> None:
    authorizers = gated.resources("AWS::ApiGatewayV2::Authorizer")
    assert len(authorizers) == len(GATED_AUTHORIZED)
    for name in GATED_SOCKETS:
        endpoint = gated.service.sockets[name]
        routes = gated.routes_of(name)
        assert set(routes) == {"$connect", "$disconnect", "$default"}
        for key in ("$disconnect", "$default"):
            assert routes[key].get("AuthorizationType", "NONE") == "NONE"
            assert "AuthorizerId" not in routes[key]
        api = ref(gated.logical_id(endpoint.api))
        mine = {k: a["Properties"] for k, a in authorizers.items() if a["Properties"]["ApiId"] == api}
        if name not in GATED_AUTHORIZED:
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


def test_identity_sources_default_to_the_host_header_and_take_what_the_user_sets(gated: Synth) -> None:
    """Issue 19 item 13: the default was ``IdentitySource: []``, which no AWS document says a
    WebSocket authorizer accepts (the API's model requires the field). ``Host`` is in every
    handshake, so API Gateway still invokes the authorizer on every $connect, query-string
    credentials included."""
    by_api = {
        a["Properties"]["ApiId"]["Ref"]: a["Properties"]
        for a in gated.resources("AWS::ApiGatewayV2::Authorizer").values()
    }
    door = by_api[gated.logical_id(gated.service.sockets["gated-door"].api)]
    room = by_api[gated.logical_id(gated.service.sockets["gated-room"].api)]
    assert door["IdentitySource"] == ["route.request.header.Host"]
    assert room["IdentitySource"] == GATED_IDENTITY_SOURCE


def test_the_authorizer_function_runs_authorize_from_the_same_asset_with_the_sockets_settings(
    gated: Synth,
) -> None:
    for name in GATED_AUTHORIZED:
        endpoint = gated.service.sockets[name]
        socket_function = gated.properties(endpoint.function)
        authorizer = gated.properties(endpoint.authorizer_function)
        assert authorizer["Handler"] == "eventual.runtime.handler.authorize"
        assert authorizer["FunctionName"] == f"gated--{name}-authorizer"
        for same in ("Code", "Runtime", "Architectures", "MemorySize", "Timeout", "LoggingConfig"):
            assert authorizer[same] == socket_function[same], same
        env = authorizer["Environment"]["Variables"]
        assert env == {
            "EVENTUAL_SERVICE_NAME": "gated",
            "EVENTUAL_SOCKET_NAME": name,
            "EVENTUAL_ENTRY": "svc_gated.service",
        }
        assert authorizer["Role"] == {"Fn::GetAtt": [gated.logical_id(gated.service.authorizer_role), "Arn"]}
    door = gated.properties(gated.service.sockets["gated-door"].authorizer_function)
    assert door["MemorySize"] == 256  # socket("gated-door", ..., memory_size=256)


def test_only_api_gateway_may_invoke_an_authorizer_and_only_as_that_apis_authorizer(gated: Synth) -> None:
    permissions = [p["Properties"] for p in gated.resources("AWS::Lambda::Permission").values()]
    for name in GATED_AUTHORIZED:
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
    statements = gated.statements_of(gated.service.authorizer_role)
    assert [sorted(actions(s)) for s in statements] == [["logs:CreateLogStream", "logs:PutLogEvents"]]
    assert statements[0]["Resource"] == {"Fn::GetAtt": [gated.logical_id(gated.service.log_group), "Arn"]}
    role = gated.template["Resources"][gated.logical_id(gated.service.authorizer_role)]["Properties"]
    assert "ManagedPolicyArns" not in role


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
        # read from the CDK struct's fields (the plan checks the values: tests/constructs/test_plan.py)
        ({"gated-door": {"results_cache_ttl": 300}}, "caches authorizer results for REST and HTTP APIs only"),
        (
            {"gated-door": {"identity_sources": []}},
            r"socket 'gated-door': authorizer options: .*did you mean 'identity_source'",
        ),
        # and the plan's checks surface at synth
        ({"gated-rom": {}}, r"socket_authorizer_options names 'gated-rom', which .* does not declare"),
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
