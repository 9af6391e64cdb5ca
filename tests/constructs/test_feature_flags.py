"""cdk.json sets the feature flags a new CDK app gets, for the aws-cdk-lib this project pins.

`cdk init` writes aws-cdk-lib's recommended-feature-flags.json into a new app's cdk.json; the
library ships that file in its jsii assembly. An upgrade that recommends more flags fails this
test: take them on purpose (each may change the template), in cdk.json and `eventual init`'s.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

from tests.constructs.synth import CDK_CONTEXT, REPO

OWN_CONTEXT = {"cli-telemetry": False}
"""cdk.json's context beyond the flags: this repository's own settings."""


def recommended_flags() -> dict[str, Any]:
    import aws_cdk

    (assembly,) = (Path(aws_cdk.__file__).parent / "_jsii").glob("aws-cdk-lib@*.jsii.tgz")
    with tarfile.open(assembly) as archive:
        member = archive.extractfile("package/recommended-feature-flags.json")
        assert member is not None
        return json.load(member)  # type: ignore[no-any-return]


def test_cdk_json_sets_exactly_the_recommended_flags_of_the_pinned_aws_cdk_lib() -> None:
    flags = {k: v for k, v in CDK_CONTEXT.items() if k not in OWN_CONTEXT}
    assert flags == recommended_flags()
    assert list(flags) == sorted(flags)  # as `cdk init` writes them


def test_app_py_reads_the_stage_from_the_context() -> None:
    source = (REPO / "app.py").read_text()
    assert 'try_get_context("stage")' in source and "stage=stage" in source
