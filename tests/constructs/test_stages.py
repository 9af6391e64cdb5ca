"""Two stages of the example in one app, as `cdk deploy` and `cdk deploy -c stage=dev` make them:
side by side in one account and region, no physical name in common, cfn-lint and cdk-nag clean."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from eventual.constructs.names import stable_logical_id
from eventual.outputs import services_from_outputs
from tests.constructs.synth import REPO, Synth, new_app, resolve

PHYSICAL_NAMES = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::Events::EventBus": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::ApiGatewayV2::Api": "Name",
}
"""The names AWS holds per account and region (an API's name is not unique, but it is what the
console lists). Names inside one API, such as its stage's or its authorizer's, cannot collide."""


@dataclass
class Stages:
    default: dict[str, Any]
    dev: dict[str, Any]
    services: dict[str, Any]
    outdir: Path
    report: dict[str, Any]


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory) -> Stages:
    import aws_cdk as cdk
    from cdk_nag import AwsSolutionsChecks

    from eventual.constructs import Service

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = new_app(outdir)
    services = {
        stage: Service(
            cdk.Stack(app, name),
            "Service",
            name="my-service",
            entry="examples.service",
            project_root=REPO,
            stage=stage,
        )
        for stage, name in (("default", "my-service"), ("dev", "my-service--dev"))
    }
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()  # raises if cdk-nag reports an unacknowledged finding
    report = json.loads((outdir / "validation-report.json").read_text())
    templates = [assembly.get_stack_by_name(name).template for name in ("my-service", "my-service--dev")]
    return Stages(*templates, services, outdir, report)


def named_resources(template: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(type, physical name, logical id)`` of every resource the template names."""
    return [
        (r["Type"], r["Properties"][PHYSICAL_NAMES[r["Type"]]], logical_id)
        for logical_id, r in template["Resources"].items()
        if r["Type"] in PHYSICAL_NAMES and PHYSICAL_NAMES[r["Type"]] in r["Properties"]
    ]


def physical_names(template: dict[str, Any]) -> set[str]:
    return {name for _, name, _ in named_resources(template)}


def test_the_default_stage_keeps_the_seeds_names_and_dev_carries_its_stage(stages: Stages) -> None:
    default, dev = physical_names(stages.default), physical_names(stages.dev)
    assert {
        "my-service",
        "my-service-execution-logs",
        "my-service--mySocket",
        "my-service--rtc-socket",
    } <= set(default)
    assert {"my-service--dev", "my-service--dev-execution-logs", "my-service--dev--mySocket"} <= set(dev)
    assert all(name.startswith("my-service--dev") for name in dev)
    assert set(default) == set(stages.services["default"].plan.physical_names().values())
    assert set(dev) == set(stages.services["dev"].plan.physical_names().values())


def test_two_stages_have_no_physical_name_in_common(stages: Stages) -> None:
    assert set(physical_names(stages.default)).isdisjoint(physical_names(stages.dev))
    outputs = {
        stage: [
            {"OutputValue": resolve(o["Value"]), "Description": o["Description"]}
            for o in template["Outputs"].values()
            if "Description" in o
        ]
        for stage, template in (("default", stages.default), ("dev", stages.dev))
    }
    assert list(services_from_outputs(outputs["default"])) == ["my-service"]
    (dev,) = services_from_outputs(outputs["dev"]).values()
    assert (dev.name, dev.stage) == ("my-service", "dev")
    assert all(url.endswith("/dev") for url in dev.sockets.values())


def test_named_resources_take_logical_ids_from_their_names_so_a_renamed_construct_keeps_them(
    stages: Stages,
) -> None:
    import aws_cdk as cdk

    from eventual.constructs import Service

    kinds = {"AWS::Lambda::Function": "Function", "AWS::Events::EventBus": "EventBus"}
    kinds["AWS::Logs::LogGroup"] = "ExecutionLogs"
    named = {
        logical_id: stable_logical_id(kinds[type_], name)
        for type_, name, logical_id in named_resources(stages.default)
        if type_ in kinds
    }
    assert named and all(logical_id == expected for logical_id, expected in named.items())
    # The same service under another construct id, in another stack: the same logical ids.
    stack = cdk.Stack(new_app(), "Elsewhere")
    renamed = Service(stack, "Renamed", name="my-service", entry="examples.service", project_root=REPO)
    pinned = [renamed.event_bus, renamed.log_group, *(e.function for e in renamed.sockets.values())]
    assert {stack.resolve(c.node.default_child.ref)["Ref"] for c in pinned} <= set(named)


def test_every_stage_is_cdk_nag_clean(stages: Stages) -> None:
    (nag,) = [p for p in stages.report["pluginReports"] if p["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success" and nag["violations"] == []


def test_templates_are_cfn_lint_clean(stages: Stages, gated: Synth, example: Synth, presence: Synth) -> None:
    """cfn-lint, as CI runs it: no errors (its warnings flag CDK's usual redundant DependsOn)."""
    templates = [
        *stages.outdir.glob("*.template.json"),
        *gated.outdir.glob("*.template.json"),
        *example.outdir.glob("*.template.json"),
        *presence.outdir.glob("*.template.json"),
    ]
    assert len(templates) == 5
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--non-zero-exit-code",
            "error",
            *map(str, templates),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
