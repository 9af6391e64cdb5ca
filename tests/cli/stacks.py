"""CloudFormation stacks as the Service construct writes them, made creatable in moto.

moto's CloudFormation skips every ``AWS::ApiGatewayV2::*`` resource, and can run no custom
resource (its Lambda needs Docker), so those are left out and references to them (``Ref``,
``Fn::GetAtt``, ``DependsOn``) replaced with fixed ids, the way CloudFormation would resolve
them; everything else in the template is kept as synthesized.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eventual.outputs import DEFAULT_STAGE, OutputKind, output_description
from eventual.project import find_project, load_sockets

APIGW_PREFIX = "AWS::ApiGatewayV2::"
SKIPPED_PREFIXES = (APIGW_PREFIX, "Custom::")
SERVICE = "my-service"
SOCKETS = tuple(load_sockets(find_project(Path(__file__).parent)))
"""The example service's sockets, as the synthesized stack has them."""


REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP_VERSION_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
DEFAULT_ACCOUNT = "123456789012"
"""moto's account."""
CDK_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


@dataclass(frozen=True)
class Synthesized:
    """The example app's one stack: its template and the file assets ``cdk deploy`` would publish."""

    template: dict[str, Any]
    assets: dict[str, bytes]
    """Object key in the bootstrap bucket -> content."""


@functools.cache
def synthesized(stage: str = DEFAULT_STAGE, domains: str | None = None) -> Synthesized:
    """What ``cdk synth -c stage=STAGE [-c domains=DOMAINS]`` has ``python app.py`` (the project's
    CDK app, cdk-nag included) write for its stack.

    Run in a subprocess with the context the CLI passes (cdk.json's, and the stage): this process
    never imports aws_cdk.
    """
    context = json.loads((REPO / "cdk.json").read_text(encoding="utf-8"))["context"] | {"stage": stage}
    if domains is not None:
        context["domains"] = domains  # a string, as `-c domains='{...}'` passes it
    with tempfile.TemporaryDirectory(prefix="eventual-synth-") as name:
        outdir = Path(name)
        env = {
            **os.environ,
            "CDK_OUTDIR": name,
            "CDK_CONTEXT_JSON": json.dumps(context),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
        done = subprocess.run(
            [sys.executable, "app.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            raise RuntimeError(f"python app.py failed ({done.returncode}):\n{done.stderr[-4000:]}")
        artifacts = json.loads((outdir / "manifest.json").read_text())["artifacts"].values()
        templates = [
            a["properties"]["templateFile"] for a in artifacts if a["type"] == "aws:cloudformation:stack"
        ]
        if len(templates) != 1:
            raise RuntimeError(f"app.py synthesized {len(templates)} stacks, expected one")
        assets: dict[str, bytes] = {}
        for artifact in artifacts:
            if artifact["type"] != "cdk:asset-manifest":
                continue
            files = json.loads((outdir / artifact["properties"]["file"]).read_text())["files"]
            for asset in files.values():
                source = outdir / asset["source"]["path"]
                if asset["source"].get("packaging") == "zip" and source.is_dir():
                    source = Path(shutil.make_archive(str(source), "zip", source))
                for destination in asset["destinations"].values():
                    assets[destination["objectKey"]] = source.read_bytes()
        return Synthesized(json.loads((outdir / templates[0]).read_text()), assets)


def example_service_template(
    service: str = SERVICE, stage: str = DEFAULT_STAGE, domains: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The example service's stack template (of ``stage``, with the context's ``domains``) as
    synthesized, ready for moto.

    Another ``service`` name stands for the same code deployed under that name: every mention
    of the example's name is replaced (event bus, log group, functions, output descriptions).
    """
    template = synthesized(stage, json.dumps(domains, sort_keys=True) if domains else None).template
    if service != SERVICE:
        template = json.loads(json.dumps(template).replace(SERVICE, service))
    return moto_ready(template)


def bootstrap(region: str, **client_options: Any) -> None:
    """What ``cdk bootstrap`` and the asset publishing of ``cdk deploy`` leave in a region.

    The template checks the bootstrap version parameter; moto's Lambda reads its code from the
    asset bucket.
    """
    import boto3

    client_options = {"region_name": region, **client_options}
    boto3.client("ssm", **client_options).put_parameter(
        Name=BOOTSTRAP_VERSION_PARAMETER, Value="30", Type="String", Overwrite=True
    )
    s3 = boto3.client("s3", **client_options)
    bucket = f"cdk-hnb659fds-assets-{DEFAULT_ACCOUNT}-{region}"
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket, **location)
    for key, body in synthesized().assets.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)


def create_stack(
    name: str, template: dict[str, Any], region: str = "us-east-1", **client_options: Any
) -> str:
    """Create a stack the way ``cdk deploy`` would, in a bootstrapped region; returns its id.

    ``client_options`` go to ``boto3.client`` (``endpoint_url``, credentials).
    """
    import boto3

    bootstrap(region, **client_options)
    stack_id: str = boto3.client("cloudformation", region_name=region, **client_options).create_stack(
        StackName=name, TemplateBody=json.dumps(template), Capabilities=CDK_CAPABILITIES
    )["StackId"]
    return stack_id


def fixed_id(logical_id: str, template: str = "") -> str:
    """A stable 10-character id, shaped like an API Gateway id, for a skipped resource.

    ``template`` (its JSON) keeps the ids of two different stacks apart, as AWS would.
    """
    return hashlib.sha256(f"{template}/{logical_id}".encode()).hexdigest()[:10]


def moto_ready(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` with its API Gateway v2 and custom resources resolved to fixed ids (see module doc)."""
    salt = json.dumps(template, sort_keys=True)
    template = copy.deepcopy(template)
    resources: dict[str, Any] = template.get("Resources", {})
    skipped = {
        name: res for name, res in resources.items() if res.get("Type", "").startswith(SKIPPED_PREFIXES)
    }
    for name in skipped:
        del resources[name]

    def ref(name: str) -> Any:
        props = skipped[name].get("Properties", {})
        if skipped[name]["Type"] == APIGW_PREFIX + "Stage" and isinstance(props.get("StageName"), str):
            return props["StageName"]  # a Stage's Ref is its name
        return fixed_id(name, salt)

    def get_att(name: str, attribute: str) -> Any:
        if attribute == "ApiEndpoint":
            websocket = skipped[name].get("Properties", {}).get("ProtocolType") == "WEBSOCKET"
            scheme = "wss" if websocket else "https"
            host = f"{fixed_id(name, salt)}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
            return {"Fn::Sub": f"{scheme}://{host}"}
        return fixed_id(name, salt)

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


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    """The stack's output values keyed by their Description (the construct's contract)."""
    outputs = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["Outputs"]
    return {o["Description"]: o["OutputValue"] for o in outputs}


def expected_listing(
    outputs: dict[str, str], service: str = SERVICE, stage: str = DEFAULT_STAGE
) -> list[str]:
    """What ``eventual get service`` prints for ``stage`` of ``service``, from its stack's outputs."""

    def output(kind: OutputKind, socket: str | None = None) -> str:
        return outputs[output_description(service, kind, socket, stage=stage)]

    return [
        f"Stage: {stage}",
        f"API Gateway: {output('api')}",
        f"Event Bus Arn: {output('event-bus-arn')}",
        f"Service Log Group: {output('log-group')}",
        "Socket Endpoints:",
        *(f"\t{name} - {output('socket', name)}" for name in sorted(SOCKETS)),
    ]
