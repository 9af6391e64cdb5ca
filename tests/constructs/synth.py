"""Helpers for construct tests, shared from here: a synthesized app, template values rendered,
throwaway services, and ``gated``, a service with a socket of each kind."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
CDK_CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text(encoding="utf-8"))["context"]
"""cdk.json's context (the feature flags): what ``cdk synth`` and app.py give every app."""

GATED_SERVICE = '''
from eventual import Forbidden, socket


def gate(request):
    """Query-string credentials, as browsers send them: ?token=..."""
    token = request.query.get("token")
    if token == "banned":
        raise Forbidden("banned")
    if token != "letmein":
        return None
    return {"principalId": "ada", "name": "Ada"}


plain = socket("gated-plain", {"$default": lambda request, context: request.body})
door = socket("gated-door", {}, authorizer=gate, memory_size=256)
tally = socket("gated-tally", {}, track_connections=True)
room = socket("gated-room", {}, authorizer=gate, track_connections=True)


def report(event, context):
    """A function of the user's own (``Reporter``) that reads a tracked socket's connections."""
    return {"gated-room": sum(1 for _ in room.connections())}
'''
PRESENCE_SERVICE = (REPO / "tests" / "parity" / "service.py").read_text(encoding="utf-8")
"""The parity suite's presence app (issue 12's note), synthesized as a throwaway package."""
GATED_IDENTITY_SOURCE = ["route.request.querystring.token"]
"""``gated-room``'s identity sources; ``gated-door`` keeps the default (none)."""
GATED_ROOM_THROTTLE = {"rate_limit": 10, "burst_limit": 20}
"""``gated-room``'s route throttling; the other stages keep the default."""
GATED_FAN_OUT_ABOVE = 250
"""``gated``'s ``fan_out_above``; the example keeps the runtime's default."""
GATED_FAN_OUT_CONCURRENCY = 16
"""``gated``'s ``fan_out_concurrency``; the example keeps the runtime's default."""
GATED_SOCKETS = ("gated-plain", "gated-door", "gated-tally", "gated-room")
OPERATED_ZONE = "example.com"
OPERATED_ZONE_ID = "Z0123456789ABCDEFGHIJ"
OPERATED_DOMAIN = "ws-live.example.com"
OPERATED_HTTP_DOMAIN = "api-live.example.com"
OPERATED_CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"
CERTIFIED_THRESHOLDS = {"integration_errors": 3, "latency_p99_ms": None, "table_throttles": None}
"""The ``Certified`` stack's alarms: another integration-error threshold, no latency or table alarm."""
GATED_AUTHORIZED = ("gated-door", "gated-room")
GATED_TRACKED = ("gated-tally", "gated-room")


@dataclass
class Synth:
    """A synthesized app: the service construct, its stack's template and the cdk-nag report."""

    service: Any
    template: dict[str, Any]
    assertions: Any
    """``aws_cdk.assertions.Template`` of the stack."""
    outdir: Path
    report: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    """Other constructs the fixture made, by name."""

    def resources(self, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.template["Resources"].items() if v["Type"] == type_}

    def logical_id(self, construct: Any) -> str:
        """The template's id of an L2 construct's resource."""
        from aws_cdk import Stack

        return str(Stack.of(construct).resolve(construct.node.default_child.ref)["Ref"])

    def properties(self, construct: Any) -> dict[str, Any]:
        """The template's properties of an L2 construct's resource."""
        return self.template["Resources"][self.logical_id(construct)]["Properties"]  # type: ignore[no-any-return]

    def statements_of(self, role: Any) -> list[dict[str, Any]]:
        """Every policy statement attached to ``role``."""
        role_ref = ref(self.logical_id(role))
        return [
            s
            for p in self.resources("AWS::IAM::Policy").values()
            if role_ref in p["Properties"]["Roles"]
            for s in p["Properties"]["PolicyDocument"]["Statement"]
        ]

    def routes_of(self, socket: str) -> dict[str, dict[str, Any]]:
        """A socket's routes' properties, by route key."""
        api = ref(self.logical_id(self.service.sockets[socket].api))
        return {
            r["Properties"]["RouteKey"]: r["Properties"]
            for r in self.resources("AWS::ApiGatewayV2::Route").values()
            if r["Properties"]["ApiId"] == api
        }

    def nag(self) -> dict[str, Any]:
        """cdk-nag's AwsSolutions report."""
        (report,) = [p for p in self.report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
        return report  # type: ignore[no-any-return]


def new_app(outdir: Path | None = None) -> Any:
    """An ``aws_cdk.App`` with this repository's feature flags, as ``cdk synth`` makes it."""
    import aws_cdk as cdk

    return cdk.App(outdir=str(outdir) if outdir else None, context=CDK_CONTEXT)


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def actions(statement: dict[str, Any]) -> list[str]:
    """A policy statement's actions, as a list whether one or many."""
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def resources(statement: dict[str, Any]) -> list[Any]:
    """A policy statement's resources, as a list whether one or many (the minimizePolicies flag
    merges statements that differ only in their resources)."""
    resource = statement["Resource"]
    return resource if isinstance(resource, list) else [resource]


def declare(*names: str) -> str:
    """An entry module's source declaring plain sockets named ``names``."""
    return "from eventual import socket\n" + "".join(
        f"s{i} = socket({n!r}, {{}})\n" for i, n in enumerate(names)
    )


def resolve(value: Any, refs: Callable[[str], str] | None = None) -> Any:
    """Render a template value the way CloudFormation would, with ``Ref X`` as ``<X>``.

    Enough intrinsics for URLs and ARNs: ``Ref``, ``Fn::Join``, ``Fn::GetAtt``.
    """
    pseudo = {"AWS::Region": "us-east-1", "AWS::URLSuffix": "amazonaws.com", "AWS::Partition": "aws"}
    pseudo["AWS::AccountId"] = "123456789012"
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return pseudo.get(arg) or (refs(arg) if refs else f"<{arg}>")
        if key == "Fn::Join":
            return arg[0].join(str(resolve(part, refs)) for part in arg[1])
        if key == "Fn::GetAtt":
            return f"<{arg[0]}.{arg[1]}>"
    if isinstance(value, dict):
        return {k: resolve(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    return value


def write_service(root: Path, package: str, body: str, files: dict[str, str] | None = None) -> str:
    """A service package ``root/package`` whose ``service.py`` is ``body``, imported from ``root``.

    Returns the entry name. Each test uses its own package name: modules stay imported.
    """
    folder = root / package
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text("")
    (folder / "service.py").write_text(body)
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    entry = f"{package}.service"
    sys.path.insert(0, str(root))
    try:
        importlib.import_module(entry)
    finally:
        sys.path.remove(str(root))
    return entry


BOTO3_DISTRIBUTIONS = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")
"""What Lambda's Python runtime provides besides the asset: boto3 and what it needs."""
PYDANTIC_DISTRIBUTIONS = (
    "pydantic",
    "pydantic_core",
    "annotated_types",
    "typing_inspection",
    "typing_extensions.py",
)
"""What a typed service's asset ships (for Lambda's CPU); run here, this machine's own install."""


def run_in_asset(asset_zip: Path, tmp_path: Path, env: dict[str, str], call: str, events: list[Any]) -> Any:
    """``call`` (``module.function``) on each event in a fresh interpreter whose ``sys.path`` holds
    only the extracted asset and boto3; returns its results (an exception as ``{"raised": ...}``)."""
    import boto3

    asset = tmp_path / "asset"
    with zipfile.ZipFile(asset_zip) as archive:
        archive.extractall(asset)
    boto = tmp_path / "boto"
    boto.mkdir()
    site = Path(boto3.__file__).parents[1]
    for name in BOTO3_DISTRIBUTIONS:
        (boto / name).symlink_to(site / name)
    # The asset's compiled wheels are built for Lambda (aarch64, its Python): this machine's
    # install of the same distributions stands in for them, ahead of the asset on sys.path.
    native = tmp_path / "native"
    native.mkdir()
    if (asset / "pydantic_core").is_dir():
        for name in PYDANTIC_DISTRIBUTIONS:
            (native / name).symlink_to(site / name)
    module, _, function = call.rpartition(".")
    probe = f"""
import importlib, importlib.util, json, sys
sys.path[:0] = [{str(native)!r}, {str(asset)!r}, {str(boto)!r}]
for heavy in ("aws_cdk", "jsii", "constructs", "click", "websockets", "cdk_nag", "moto", "pytest"):
    assert importlib.util.find_spec(heavy) is None, heavy
import boto3
entry = getattr(importlib.import_module({module!r}), {function!r})
results = []
for event in json.load(sys.stdin):
    try:
        results.append(entry(event, None))
    except Exception as error:
        results.append({{"raised": f"{{type(error).__name__}}: {{error}}"}})
print(json.dumps(results))
"""
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe],
        input=json.dumps(events),
        env={"PATH": os.environ["PATH"], **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])
