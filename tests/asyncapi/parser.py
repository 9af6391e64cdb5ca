"""The official AsyncAPI parser (``@asyncapi/parser``, pinned in package.json), run through node:
CI validates every document eventual generates with it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "validate.mjs"
REPO = HERE.parents[1]


def parse(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each document's result: ``{"parsed": bool, "diagnostics": [errors and warnings]}``."""
    node = shutil.which("node")
    assert node, "node is needed to run @asyncapi/parser (make setup installs it)"
    assert (REPO / "node_modules" / "@asyncapi" / "parser").is_dir(), "run `make setup` (npm ci)"
    done = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(documents),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results
