"""The example service's template: what `cdk deploy` would create, asserted on one real synth."""

from __future__ import annotations

import json

import examples.service
from eventual.constructs.plan import route_keys
from eventual.outputs import services_from_outputs
from eventual.routes import event_type_of
from eventual.sockets import sockets_of
from tests.constructs.synth import Synth, actions, ref, resolve, resources

SOCKETS = tuple(sockets_of(examples.service.__name__))
"""Every socket the example declares (it may gain more: counts below are per socket)."""
AUTHORIZED = tuple(name for name, s in sockets_of(examples.service.__name__).items() if s.options.authorizer)
TRACKED = tuple(
    name for name, s in sockets_of(examples.service.__name__).items() if s.options.track_connections
)
ROUTE_KEYS = {name: route_keys(s) for name, s in sockets_of(examples.service.__name__).items()}
"""Each socket's routes: the three predefined ones, or its message routes and those it needs."""
ROUTE_COUNT = sum(map(len, ROUTE_KEYS.values()))
MESSAGE_ROUTE_COUNT = sum(event_type_of(k) == "message" for keys in ROUTE_KEYS.values() for k in keys)


def test_one_function_api_stage_and_its_routes_per_socket(example: Synth) -> None:
    sockets, authorized, tracks = len(SOCKETS), len(AUTHORIZED), int(bool(TRACKED))
    counts = {
        # an authorizer has a function of its own; so do the HTTP API and the account-logging check,
        # and, where the service tracks connections, the fan-out worker
        "AWS::Lambda::Function": sockets + authorized + 2 + tracks,
        # and the HTTP API's GET /, /__eventual/service and /__eventual/asyncapi.json
        "AWS::ApiGatewayV2::Route": ROUTE_COUNT + 3,
        "AWS::ApiGatewayV2::Integration": sockets + 1,
        "AWS::ApiGatewayV2::RouteResponse": MESSAGE_ROUTE_COUNT,
        "AWS::ApiGatewayV2::Authorizer": authorized,
        # API Gateway may invoke each socket's function (one grant per API, whatever its routes),
        # each authorizer function, and the HTTP API's function from each of its three routes
        "AWS::Lambda::Permission": sockets + authorized + 3,
        "AWS::ApiGatewayV2::Stage": sockets + 1,  # one per socket, one for the HTTP API
        "AWS::ApiGatewayV2::Api": sockets + 1,
        "AWS::Events::EventBus": 1,
        "AWS::Logs::LogGroup": 3,  # execution logs, access logs, the account-logging check's logs
        "AWS::DynamoDB::Table": tracks,
        "AWS::SQS::Queue": 2 * tracks,  # the fan-out queue and its dead-letter queue
        "AWS::SQS::QueuePolicy": 2 * tracks,  # each refuses requests without TLS
        "AWS::Lambda::EventSourceMapping": tracks,  # the worker consumes the fan-out queue
        "AWS::ApiGateway::Account": 0,  # the account's setting is no stack's (see logging_role.py)
        "Custom::ApiGatewayAccountLogging": 1,
    }
    for type_, count in counts.items():
        example.assertions.resource_count_is(type_, count)
    websocket_apis = [a for a in example.resources("AWS::ApiGatewayV2::Api").values()]
    assert (
        sorted(a["Properties"]["ProtocolType"] for a in websocket_apis) == ["HTTP"] + ["WEBSOCKET"] * sockets
    )
    assert set(example.service.sockets) == set(SOCKETS)
    assert {"mySocket", "rtc-socket"} <= set(SOCKETS)  # the seed's two


def test_each_api_routes_every_route_to_its_own_function(example: Synth) -> None:
    integrations = example.resources("AWS::ApiGatewayV2::Integration")
    routes = example.resources("AWS::ApiGatewayV2::Route")
    for name in SOCKETS:
        endpoint = example.service.sockets[name]
        api_id = example.logical_id(endpoint.api)
        function_id = example.logical_id(endpoint.function)
        (integration_id,) = [k for k, v in integrations.items() if v["Properties"]["ApiId"] == ref(api_id)]
        integration = integrations[integration_id]["Properties"]
        assert integration["IntegrationType"] == "AWS_PROXY"
        assert function_id in json.dumps(integration["IntegrationUri"])
        mine = {
            v["Properties"]["RouteKey"]: v["Properties"]
            for v in routes.values()
            if v["Properties"]["ApiId"] == ref(api_id)
        }
        assert set(mine) == set(ROUTE_KEYS[name])
        for route in mine.values():
            assert resolve(route["Target"]) == f"integrations/<{integration_id}>"


def test_message_routes_have_a_route_response_so_return_values_reach_the_client(example: Synth) -> None:
    routes = example.resources("AWS::ApiGatewayV2::Route")
    responses = [r["Properties"] for r in example.resources("AWS::ApiGatewayV2::RouteResponse").values()]
    for name in SOCKETS:
        api = ref(example.logical_id(example.service.sockets[name].api))
        for key in ROUTE_KEYS[name]:
            ((route_id, route),) = [
                (k, v["Properties"])
                for k, v in routes.items()
                if v["Properties"]["ApiId"] == api and v["Properties"]["RouteKey"] == key
            ]
            if event_type_of(key) == "message":
                assert route["RouteResponseSelectionExpression"] == "$default"
                assert {"ApiId": api, "RouteId": ref(route_id), "RouteResponseKey": "$default"} in responses
            else:
                assert "RouteResponseSelectionExpression" not in route


def test_message_routes_share_the_function_and_the_selection_expression(example: Synth) -> None:
    """API Gateway selects a route by the API's RouteSelectionExpression ("Create routes for
    WebSocket APIs")."""
    lobby = example.service.sockets["lobby"]
    assert set(ROUTE_KEYS["lobby"]) == {"$connect", "$disconnect", "$default", "ping", "whoami", "move"}
    api = example.resources("AWS::ApiGatewayV2::Api")[example.logical_id(lobby.api)]["Properties"]
    assert api["RouteSelectionExpression"] == "$request.body.action"


def test_api_gateway_may_invoke_each_socket_function_by_one_grant_for_its_apis_routes(
    example: Synth,
) -> None:
    """Issue 19 item 9: one ``AWS::Lambda::Permission`` per route put a statement per route in the
    function's resource policy, which passes Lambda's 20 KB at about 50 message routes ("The final
    policy size is bigger than the limit") though API Gateway allows 300. One grant covers every
    route and stage of the socket's own API, and that API only."""
    permissions = [p["Properties"] for p in example.resources("AWS::Lambda::Permission").values()]
    for name in SOCKETS:
        endpoint = example.service.sockets[name]
        target = {"Fn::GetAtt": [example.logical_id(endpoint.function), "Arn"]}
        (permission,) = [p for p in permissions if p["FunctionName"] == target]
        assert permission["Principal"] == "apigateway.amazonaws.com"
        assert permission["Action"] == "lambda:InvokeFunction"
        api = example.logical_id(endpoint.api)
        assert resolve(permission["SourceArn"]) == f"arn:aws:execute-api:us-east-1:123456789012:<{api}>/*/*"
    assert len(ROUTE_KEYS["lobby"]) == 6  # six routes, one grant


def test_stages_auto_deploy_with_json_access_logs_after_the_account_logging_role(example: Synth) -> None:
    access_logs = example.logical_id(example.service.access_log_group)
    account_ids = list(example.resources("Custom::ApiGatewayAccountLogging"))
    assert len(account_ids) == 1
    stages = example.resources("AWS::ApiGatewayV2::Stage")
    for name in SOCKETS:
        api = ref(example.logical_id(example.service.sockets[name].api))
        ((stage,),) = [[v for v in stages.values() if v["Properties"]["ApiId"] == api]]
        props = stage["Properties"]
        assert props["StageName"] == "prod" and props["AutoDeploy"] is True
        # The log group's ARN without the ":*" its Arn attribute ends in (issue 19 item 15):
        # API Gateway stores it so, and drift detection compares against what it stores.
        destination = resolve(props["AccessLogSettings"]["DestinationArn"])
        assert destination == f"arn:aws:logs:us-east-1:123456789012:log-group:<{access_logs}>"
        fields = json.loads(props["AccessLogSettings"]["Format"])
        assert (
            fields["requestId"] == "$context.requestId" and fields["connectionId"] == "$context.connectionId"
        )
        # A WebSocket stage with access logs fails to create until the account names a role.
        assert account_ids[0] in stage["DependsOn"]
    http_stage = [v for v in stages.values() if v["Properties"]["StageName"] == "$default"]
    http_destination = resolve(http_stage[0]["Properties"]["AccessLogSettings"]["DestinationArn"])
    assert http_destination == f"arn:aws:logs:us-east-1:123456789012:log-group:<{access_logs}>"


def test_functions_run_the_runtime_handler_on_the_pinned_python_for_arm64(example: Synth) -> None:
    from eventual.constructs.functions import PYTHON_RUNTIME

    pinned = PYTHON_RUNTIME.name
    execution_logs = example.logical_id(example.service.log_group)
    for name in SOCKETS:
        example.assertions.has_resource_properties(
            "AWS::Lambda::Function",
            {
                "FunctionName": f"my-service--{name}",
                "Handler": "eventual.runtime.handler.handle",
                "Runtime": pinned,
                "Architectures": ["arm64"],
                "MemorySize": 512,
                "Timeout": 10,
                "LoggingConfig": {"LogGroup": ref(execution_logs)},
            },
        )


def test_function_environment_names_the_socket_and_every_socket_url(example: Synth) -> None:
    functions = example.resources("AWS::Lambda::Function")
    apis = {name: example.logical_id(example.service.sockets[name].api) for name in SOCKETS}
    for name in SOCKETS:
        function = functions[example.logical_id(example.service.sockets[name].function)]
        env = function["Properties"]["Environment"]["Variables"]
        assert env["EVENTUAL_SERVICE_NAME"] == "my-service"
        assert env["EVENTUAL_SOCKET_NAME"] == name
        assert env["EVENTUAL_ENTRY"] == "examples.service"
        urls = json.loads(resolve(env["EVENTUAL_SOCKET_URLS"]))
        assert urls == {
            other: {
                "wss": f"wss://<{apis[other]}>.execute-api.us-east-1.amazonaws.com/prod",
                "http": f"https://<{apis[other]}>.execute-api.us-east-1.amazonaws.com/prod",
            }
            for other in SOCKETS
        }


def test_function_role_has_no_managed_policy_and_only_the_services_own_grants(example: Synth) -> None:
    role_id = example.logical_id(example.service.role)
    for role in example.resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
    role = example.template["Resources"][role_id]["Properties"]
    assert role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"
    }
    functions = example.resources("AWS::Lambda::Function")
    sockets = [example.logical_id(example.service.sockets[s].function) for s in SOCKETS]
    # tracked or not, every socket function runs under the one role
    assert all(functions[f]["Properties"]["Role"] == {"Fn::GetAtt": [role_id, "Arn"]} for f in sockets)
    (policy,) = [
        p["Properties"]
        for p in example.resources("AWS::IAM::Policy").values()
        if ref(role_id) in p["Properties"]["Roles"]
    ]
    statements = policy["PolicyDocument"]["Statement"]
    manage = sorted(
        resolve(resource)
        for s in statements
        if s["Action"] == "execute-api:ManageConnections"
        for resource in resources(s)
    )
    apis = sorted(example.logical_id(e.api) for e in example.service.sockets.values())
    assert manage == [f"arn:aws:execute-api:us-east-1:123456789012:<{a}>/prod/*/@connections/*" for a in apis]
    others = [s for s in statements if s["Action"] != "execute-api:ManageConnections"]
    assert len(others) == 3
    (logs,) = [s for s in others if actions(s)[0].startswith("logs:")]
    (table,) = [s for s in others if actions(s)[0].startswith("dynamodb:")]
    (queue,) = [s for s in others if actions(s)[0].startswith("sqs:")]
    # what queue.grant_send_messages grants: SendMessage, and what SQS's SendMessageBatch checks
    assert sorted(queue["Action"]) == ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]
    assert queue["Resource"] == {"Fn::GetAtt": [example.logical_id(example.service.fan_out_queue), "Arn"]}
    assert sorted(logs["Action"]) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert logs["Resource"] == {"Fn::GetAtt": [example.logical_id(example.service.log_group), "Arn"]}
    assert sorted(table["Action"]) == ["dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query"]
    table_arn = {"Fn::GetAtt": [example.logical_id(example.service.connections_table), "Arn"]}
    assert resources(table) == [table_arn]
    every_resource = json.dumps([s["Resource"] for s in statements])
    assert '"*"' not in every_resource


def test_bus_and_log_groups_named_after_the_service_with_retention(example: Synth) -> None:
    example.assertions.has_resource_properties("AWS::Events::EventBus", {"Name": "my-service"})
    example.assertions.has_resource_properties(
        "AWS::Logs::LogGroup", {"LogGroupName": "my-service-execution-logs", "RetentionInDays": 30}
    )
    groups = example.resources("AWS::Logs::LogGroup").values()
    assert all(isinstance(g["Properties"].get("RetentionInDays"), int) for g in groups)


def test_outputs_round_trip_through_the_cli_reader(example: Synth) -> None:
    outputs = [
        {"OutputKey": key, "OutputValue": resolve(o["Value"]), "Description": o.get("Description", "")}
        for key, o in example.template["Outputs"].items()
    ]
    (service,) = services_from_outputs(outputs).values()
    assert service.name == "my-service"
    apis = {name: example.logical_id(example.service.sockets[name].api) for name in SOCKETS}
    assert service.sockets == {
        n: f"wss://<{apis[n]}>.execute-api.us-east-1.amazonaws.com/prod" for n in SOCKETS
    }
    http_api = example.logical_id(example.service.http_api)
    assert service.api == f"https://<{http_api}>.execute-api.us-east-1.amazonaws.com/"
    assert service.event_bus_arn == f"<{example.logical_id(example.service.event_bus)}.Arn>"
    assert service.log_group == f"<{example.logical_id(example.service.log_group)}>"


def test_resources_are_exposed_for_users_to_extend(example: Synth) -> None:
    from aws_cdk import aws_apigatewayv2, aws_lambda

    endpoint = example.service.sockets["rtc-socket"]
    assert isinstance(endpoint.api, aws_apigatewayv2.WebSocketApi)
    assert isinstance(endpoint.stage, aws_apigatewayv2.WebSocketStage)
    assert isinstance(endpoint.function, aws_lambda.Function)
    assert set(endpoint.routes) == {"$connect", "$disconnect", "$default"}
    assert endpoint.socket.name == "rtc-socket"
