"""The CDK app: deploys the service named in ``pyproject.toml`` (``[tool.eventual]``).

Here that is the example, ``my-service`` from ``examples.service``. ``python app.py``
synthesizes into ``cdk.out``; ``npx cdk synth`` and ``npx cdk deploy`` run it through cdk.json.
The stack is environment-agnostic, so synth needs no AWS credentials.
"""

from __future__ import annotations

import os
from pathlib import Path

import aws_cdk as cdk

from eventual.constructs import Service
from eventual.project import find_project

project = find_project(Path(__file__).resolve().parent)
# Under the CDK CLI, CDK_OUTDIR says where; run directly, synthesize where the CLI would.
app = cdk.App(outdir=None if os.environ.get("CDK_OUTDIR") else str(project.root / "cdk.out"))
stack = cdk.Stack(app, project.service, description=f"eventual service {project.service}")
Service(stack, "Service", name=project.service, entry=project.entry, project_root=project.root)

try:  # cdk-nag (the dev extra) checks every synth, so a change that weakens security fails here
    from cdk_nag import AwsSolutionsChecks
except ImportError:
    pass
else:
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))

app.synth()
