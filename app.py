"""The CDK app: deploys the service named in ``pyproject.toml`` (``[tool.eventual]``).

Here that is the example, ``my-service`` from ``examples.service``. ``python app.py``
synthesizes into ``cdk.out``; ``npx cdk synth`` and ``npx cdk deploy`` run it through cdk.json.
``-c stage=dev`` deploys the stage ``dev`` beside the default one (stack ``my-service--dev``,
resources named ``my-service--dev...``; :mod:`eventual.stages` says which stage names work). The
stack is environment-agnostic, so synth needs no AWS credentials. A stage named in the context's
``domains`` (cdk.json, or ``-c 'domains={"dev": {...}}'``) serves its sockets on that custom
domain (``eventual.constructs.domains_from_context``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import aws_cdk as cdk

from eventual.constructs import Service, domains_from_context
from eventual.outputs import DEFAULT_STAGE
from eventual.project import find_project
from eventual.stages import stack_name

project = find_project(Path(__file__).resolve().parent)
if os.environ.get("CDK_OUTDIR"):  # under the CDK CLI: it passes cdk.json's context and the outdir
    app = cdk.App()
else:  # run directly: synthesize what the CLI would, feature flags included
    context = json.loads((project.root / "cdk.json").read_text(encoding="utf-8"))["context"]
    app = cdk.App(outdir=str(project.root / "cdk.out"), context=context)
stage = app.node.try_get_context("stage") or DEFAULT_STAGE
stack = cdk.Stack(
    app, stack_name(project.service, stage), description=f"eventual service {project.service}, stage {stage}"
)
domain, http_domain = domains_from_context(stack, stage)
Service(
    stack,
    "Service",
    name=project.service,
    entry=project.entry,
    project_root=project.root,
    stage=stage,
    domain=domain,
    http_domain=http_domain,
)

try:  # cdk-nag (the dev extra) checks every synth, so a change that weakens security fails here
    from cdk_nag import AwsSolutionsChecks
except ImportError:
    pass
else:
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))

app.synth()
