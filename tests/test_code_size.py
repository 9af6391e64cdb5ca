"""Small functions and files: none in ``eventual/`` over 60 lines, no module over 400."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "eventual"
FUNCTION_LINES_MAX = 60
FILE_LINES_MAX = 400


def oversized() -> dict[str, str]:
    """``path`` or ``path:function`` -> what is too long and by how much."""
    found: dict[str, str] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE.parent).as_posix()
        source = path.read_text(encoding="utf-8")
        lines = len(source.splitlines())
        if lines > FILE_LINES_MAX:
            found[name] = f"{lines} lines"
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > FUNCTION_LINES_MAX:
                    found[f"{name}:{node.name}"] = f"{length} lines"
    return found


def test_no_function_over_60_lines_and_no_file_over_400() -> None:
    found = oversized()
    assert found == {}
