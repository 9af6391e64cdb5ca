"""The repository's CDK app (``app.py``), as ``cdk synth -c stage=...`` runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_a_stage_no_stack_may_be_named_after_is_refused_with_the_rule() -> None:
    """Issue 19 item 14: ``-c stage=pr_1`` failed on CloudFormation's stack-name rule, which the
    README did not state (it allowed '_'). Now the app refuses it first, saying what a stage takes."""
    context = json.loads((REPO / "cdk.json").read_text(encoding="utf-8"))["context"] | {"stage": "pr_1"}
    with tempfile.TemporaryDirectory(prefix="eventual-synth-") as outdir:
        env = {
            **os.environ,
            "CDK_OUTDIR": outdir,
            "CDK_CONTEXT_JSON": json.dumps(context),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
        done = subprocess.run(
            [sys.executable, "app.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300
        )
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("eventual.errors.ConfigurationError: stage 'pr_1' is not valid: use letters")
    assert "'pr-123'" in last and "no '_' or '--'" in last
