"""One real synth of the example service (cdk-nag's AwsSolutions pack on), shared by the session."""

from __future__ import annotations

import json
import os

import pytest

from tests.constructs.synth import REPO, Synth

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """``my-service`` from ``examples.service``, as app.py deploys it, with cdk-nag checking."""
    import aws_cdk as cdk
    from aws_cdk.assertions import Template
    from cdk_nag import AwsSolutionsChecks

    from eventual.constructs import Service

    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "MyService")
    service = Service(stack, "Service", name="my-service", entry="examples.service", project_root=REPO)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()  # raises if cdk-nag reports an unacknowledged finding
    template = assembly.get_stack_by_name("MyService").template
    report = json.loads((outdir / "validation-report.json").read_text())
    return Synth(service, template, Template.from_json(template), outdir, report)
