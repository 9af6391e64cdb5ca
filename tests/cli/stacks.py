"""CloudFormation stacks as the Service construct writes them, made creatable in moto.

moto's CloudFormation skips every ``AWS::ApiGatewayV2::*`` resource, so references to them
(``Ref``, ``Fn::GetAtt``, ``DependsOn``) are replaced with fixed ids, the way CloudFormation
would resolve them; everything else in the template is kept as synthesized.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from eventual.outputs import output_description

APIGW_PREFIX = "AWS::ApiGatewayV2::"
SERVICE = "my-service"
SOCKETS = ("mySocket", "rtc-socket")


def example_service_template() -> dict[str, Any]:
    """The example service's stack template, ready for moto."""
    return moto_ready(standin_template())


def standin_template(service: str = SERVICE, sockets: tuple[str, ...] = SOCKETS) -> dict[str, Any]:
    """What a Service writes, built with output_description until eventual.constructs lands."""
    resources: dict[str, Any] = {
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": service}},
        "Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": f"{service}-execution-logs"}},
        "HttpApi": {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {"Name": service, "ProtocolType": "HTTP"},
        },
    }
    outputs: dict[str, Any] = {
        "Api": {
            "Value": {"Fn::GetAtt": ["HttpApi", "ApiEndpoint"]},
            "Description": output_description(service, "api"),
        },
        "BusArn": {
            "Value": {"Fn::GetAtt": ["Bus", "Arn"]},
            "Description": output_description(service, "event-bus-arn"),
        },
        "LogGroup": {"Value": {"Ref": "Logs"}, "Description": output_description(service, "log-group")},
    }
    for index, name in enumerate(sockets):
        api, stage = f"Socket{index}Api", f"Socket{index}Stage"
        resources[api] = {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {"Name": name, "ProtocolType": "WEBSOCKET", "RouteSelectionExpression": "$default"},
        }
        resources[stage] = {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": {"Ref": api}, "StageName": "prod", "AutoDeploy": True},
        }
        outputs[f"Socket{index}Url"] = {
            "Value": {
                "Fn::Join": [
                    "",
                    [
                        "wss://",
                        {"Ref": api},
                        ".execute-api.",
                        {"Ref": "AWS::Region"},
                        ".",
                        {"Ref": "AWS::URLSuffix"},
                        "/",
                        {"Ref": stage},
                    ],
                ]
            },
            "Description": output_description(service, "socket", name),
        }
    return {"Resources": resources, "Outputs": outputs}


def fixed_id(logical_id: str) -> str:
    """A stable 10-character id, shaped like an API Gateway id, for a skipped resource."""
    return hashlib.sha256(logical_id.encode()).hexdigest()[:10]


def moto_ready(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` with its API Gateway v2 resources resolved to fixed ids (see module doc)."""
    template = copy.deepcopy(template)
    resources: dict[str, Any] = template.get("Resources", {})
    skipped = {name: res for name, res in resources.items() if res.get("Type", "").startswith(APIGW_PREFIX)}
    for name in skipped:
        del resources[name]

    def ref(name: str) -> Any:
        props = skipped[name].get("Properties", {})
        if skipped[name]["Type"] == APIGW_PREFIX + "Stage" and isinstance(props.get("StageName"), str):
            return props["StageName"]  # a Stage's Ref is its name
        return fixed_id(name)

    def get_att(name: str, attribute: str) -> Any:
        if attribute == "ApiEndpoint":
            websocket = skipped[name].get("Properties", {}).get("ProtocolType") == "WEBSOCKET"
            scheme = "wss" if websocket else "https"
            return {
                "Fn::Sub": f"{scheme}://{fixed_id(name)}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
            }
        return fixed_id(name)

    def resolve(node: Any) -> Any:
        if isinstance(node, list):
            return [resolve(item) for item in node]
        if not isinstance(node, dict):
            return node
        if len(node) == 1:
            ((key, value),) = node.items()
            if key == "Ref" and value in skipped:
                return ref(value)
            if key == "Fn::GetAtt":
                name, attribute = value.split(".", 1) if isinstance(value, str) else value
                if name in skipped:
                    return get_att(name, attribute)
        return {key: resolve(value) for key, value in node.items()}

    for resource in resources.values():
        depends = resource.get("DependsOn")
        if isinstance(depends, str):
            depends = [depends]
        if depends is not None:
            kept = [name for name in depends if name not in skipped]
            if kept:
                resource["DependsOn"] = kept
            else:
                del resource["DependsOn"]
    resolved: dict[str, Any] = resolve(template)
    return resolved


def renamed(template: dict[str, Any], service: str) -> dict[str, Any]:
    """The template of the same service deployed under another name (every mention replaced)."""
    loaded: dict[str, Any] = json.loads(json.dumps(template).replace(SERVICE, service))
    return loaded


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """The stack's output values keyed by their Description (the construct's contract)."""
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    return {o["Description"]: o["OutputValue"] for o in outputs}


def expected_listing(outputs: dict[str, str], service: str = SERVICE) -> list[str]:
    return [
        f"API Gateway: {outputs[output_description(service, 'api')]}",
        f"Event Bus Arn: {outputs[output_description(service, 'event-bus-arn')]}",
        f"Service Log Group: {outputs[output_description(service, 'log-group')]}",
        "Socket Endpoints:",
        *(f"\t{name} - {outputs[output_description(service, 'socket', name)]}" for name in sorted(SOCKETS)),
    ]
