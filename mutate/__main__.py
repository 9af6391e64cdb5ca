"""``python -m mutate [GROUP ...]`` (``make mutate``): mutation testing with mutmut, one group of
modules at a time, each against only the tests that mirror it (docs/mutation.md).

For each group the modules are copied to ``build/mutate/<group>/`` with a ``[tool.mutmut]`` of
their own, mutmut makes its mutants there, finds which of the group's tests reach each mutated
function and, per mutant, runs just those (stopping at the first failure). Nothing in the
repository's tree is changed. The summary (``build/mutate/summary.md``) gives each group's
score and run time; ``build/mutate/<group>/survivors.txt`` shows every surviving mutant as a diff,
marked where docs/mutation.md lists it as equivalent (no behaviour a user can observe).
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build" / "mutate"
DOC = ROOT / "docs" / "mutation.md"


@dataclass(frozen=True)
class Group:
    """Modules mutated together and the tests that mirror them."""

    modules: tuple[str, ...]
    tests: tuple[str, ...]
    functions: tuple[str, ...] = ()
    """Only these functions' mutants (``Class.method`` or ``function`` globs); all where empty."""
    pytest_args: tuple[str, ...] = ()
    """Added to every pytest run of the group (e.g. ``-k`` to leave out fuzzing that only checks
    the server survives, and would run for minutes per mutant)."""


GROUPS: dict[str, Group] = {
    "apigateway": Group(("eventual/runtime/apigateway.py",), ("tests/runtime/test_apigateway.py",)),
    "dispatch": Group(("eventual/runtime/dispatch.py",), ("tests/runtime/test_dispatch.py",)),
    "middleware": Group(("eventual/middleware.py",), ("tests/test_middleware.py",)),
    "broadcast": Group(("eventual/broadcast.py",), ("tests/test_broadcast.py",)),
    "fanout_worker": Group(("eventual/runtime/fanout_worker.py",), ("tests/runtime/test_fan_out.py",)),
    "connections": Group(("eventual/runtime/connections.py",), ("tests/runtime/test_connections.py",)),
    "testing": Group(
        ("eventual/testing/*.py",),
        ("tests/testing",),
        pytest_args=("-k", "not test_plugin"),  # pytester runs of the plugin: a subprocess each
    ),
    # The dev server's limits: frame and message size, idle and maximum duration, the HTTP head
    # (URL and headers) and body, the request timeout, the unsent-bytes bound.
    "local_limits": Group(
        (
            "eventual/local/limits.py",
            "eventual/local/connection.py",
            "eventual/local/http_connection.py",
            "eventual/local/management.py",
            "eventual/local/handshake.py",
        ),
        (
            "tests/local/test_limits.py",
            "tests/local/test_server.py",
            "tests/local/test_connection.py",
            "tests/local/test_management.py",
            "tests/local/test_http_connection.py",
            "tests/local/test_server_concurrency.py",
        ),
        functions=(
            "Limits.__post_init__",
            "WebSocketConnection.__init__",
            "WebSocketConnection.data_received",
            "WebSocketConnection._frame",
            "WebSocketConnection.send",
            "WebSocketConnection._flush",
            "WebSocketConnection.check_time",
            "HttpConnection._next_cycle",
            "HttpConnection._process",
            "HttpConnection._timed_out",
            "_head_size",
            "handle",
            "_open",
        ),
        pytest_args=("-k", "not random"),
    ),
}

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 37: "mypy"}
STATUS |= dict.fromkeys((-24, 24, 152, 255, 36), "timeout")
COLUMNS = ("killed", "mypy", "timeout", "survived", "no tests", "other")


@dataclass
class Mutant:
    key: str
    """mutmut's name: ``eventual.local.connection.xǁWebSocketConnectionǁcheck_time__mutmut_3``."""
    status: str
    function: str = ""
    """``eventual.local.connection.WebSocketConnection.check_time``"""
    removed: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)

    def signature(self) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        return self.function, tuple(self.removed), tuple(self.added)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutate", description=__doc__.split("\n\n")[0])
    parser.add_argument("groups", nargs="*", metavar="GROUP", help=f"of {', '.join(GROUPS)} (default: all)")
    parser.add_argument("--children", type=int, default=2, help="mutants tested at once (default: 2)")
    args = parser.parse_args(argv)
    unknown = [g for g in args.groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; groups: {', '.join(GROUPS)}")
    equivalent = equivalent_mutants(DOC.read_text(encoding="utf-8"))
    rows = []
    for name in args.groups or list(GROUPS):
        print(f"== {name}", flush=True)
        started = time.monotonic()
        mutants = run_group(name, GROUPS[name], args.children)
        seconds = time.monotonic() - started
        listed = write_survivors(BUILD / name / "survivors.txt", mutants, equivalent)
        rows.append(summary_row(name, mutants, listed, seconds))
        print(rows[-1], flush=True)
    table = table_of(rows)
    (BUILD / "summary.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print(f"survivors: build/mutate/<group>/survivors.txt; equivalent mutants: {DOC.relative_to(ROOT)}")
    return 0


HEADER = "| group | mutants | killed | mypy | timeout | survived | no tests | equivalent | score | time |"


def table_of(rows: list[str]) -> str:
    return "\n".join([HEADER, "|" + " --- |" * (HEADER.count("|") - 1), *rows])


def summary_row(name: str, mutants: list[Mutant], listed: int, seconds: float) -> str:
    counts = Counter(m.status if m.status in COLUMNS else "other" for m in mutants)
    caught = counts["killed"] + counts["mypy"] + counts["timeout"]
    score = f"{100 * (caught + listed) / len(mutants):.1f}%" if mutants else "n/a"
    return (
        f"| {name} | {len(mutants)} | {counts['killed']} | {counts['mypy']} | {counts['timeout']} | "
        f"{counts['survived']} | {counts['no tests']} | {listed} | {score} | {seconds:.0f} s |"
    )


def run_group(name: str, group: Group, children: int) -> list[Mutant]:
    work = BUILD / name
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
    for tree in ("eventual", "tests", "examples"):
        shutil.copytree(ROOT / tree, work / tree, ignore=ignore)
    (work / "pyproject.toml").write_text(pyproject(group), encoding="utf-8")
    mutmut = Path(sys.executable).with_name("mutmut")
    env = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    command = [str(mutmut), "run", "--max-children", str(children), *selected(group)]
    with (work / "mutmut.log").open("w", encoding="utf-8") as log:
        done = subprocess.run(command, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        raise SystemExit(f"mutmut failed on group {name} ({done.returncode}); see {work / 'mutmut.log'}")
    return list(read_results(work, group))


def pyproject(group: Group) -> str:
    """The repository's pyproject.toml (pytest's settings) with this group's ``[tool.mutmut]``."""

    def toml_list(items: tuple[str, ...] | list[str]) -> str:
        return json.dumps(list(items))

    only = [m if m.endswith(".py") else m + "/*" for m in group.modules]
    return (ROOT / "pyproject.toml").read_text(encoding="utf-8") + (
        "\n[tool.mutmut]\n"
        'source_paths = ["eventual"]\n'
        f"only_mutate = {toml_list(only)}\n"
        'also_copy = ["examples"]\n'
        f"pytest_add_cli_args_test_selection = {toml_list(group.tests)}\n"
        f"pytest_add_cli_args = {toml_list(['-p', 'no:cacheprovider', *group.pytest_args])}\n"
        # Fork each mutant's tests from a server that only collected them: the stats run leaves
        # threads (the async handler loop, dev servers) that a plain fork would not carry over.
        'process_isolation = "forkserver"\n'
        # Mutants mypy (strict, as CI runs it) refuses are counted as caught without a test run;
        # mutmut's trampolines carry ignores that only some variants need.
        f"type_check_command = {toml_list(type_check(group))}\n"
    )


def type_check(group: Group) -> list[str]:
    """mypy on the group's modules alone, its cache shared by every group's run."""
    modules = [m.removesuffix("/*.py").removesuffix("*.py") for m in group.modules]
    options = ["--output", "json", "--no-warn-unused-ignores", "--cache-dir", str(BUILD / "mypy_cache")]
    return ["mypy", *options, *modules]


def selected(group: Group) -> list[str]:
    """mutmut's name globs for the group's functions (none: every mutant of its modules)."""
    globs = []
    for module in group.modules:
        dotted = module.removesuffix(".py").replace("/", ".")
        for function in group.functions:
            cls, _, method = function.rpartition(".")
            globs.append(f"{dotted}.x{'ǁ' + cls + 'ǁ' if cls else '_'}{method}__mutmut_*")
    return globs


_MANGLED = re.compile(r"^x(?:ǁ(?P<cls>[^ǁ]+)ǁ|_)(?P<name>.+)__mutmut_(?P<n>orig|\d+)$")


def read_results(work: Path, group: Group) -> Iterator[Mutant]:
    globs = selected(group)
    for meta in sorted((work / "mutants" / "eventual").rglob("*.py.meta")):
        source = meta.with_suffix("")
        module = source.relative_to(work / "mutants").with_suffix("").as_posix().replace("/", ".")
        variants = function_variants(source.read_text(encoding="utf-8"))
        codes: dict[str, int | None] = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        for key, code in codes.items():
            if globs and not any(fnmatch(key, g) for g in globs):
                continue
            mangled = key.removeprefix(module + ".")
            found = _MANGLED.match(mangled)
            status = "not checked" if code is None else STATUS.get(code, "other")
            mutant = Mutant(key, status)
            if found:
                cls, name = found["cls"], found["name"]
                mutant.function = f"{module}.{cls + '.' if cls else ''}{name}"
                original = variants.get(mangled.rsplit("__mutmut_", 1)[0] + "__mutmut_orig", "")
                mutant.removed, mutant.added = changed_lines(original, variants.get(mangled, ""))
            yield mutant


def function_variants(source: str) -> dict[str, str]:
    """Every ``x…__mutmut_N`` and ``…__mutmut_orig`` function of a mutated module, by name, its
    source from the line after its ``def`` (the name differs in every variant)."""
    found = {}
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _MANGLED.match(node.name):
            found[node.name] = "\n".join(lines[node.lineno : node.end_lineno])
    return found


def changed_lines(original: str, mutated: str) -> tuple[list[str], list[str]]:
    removed: list[str] = []
    added: list[str] = []
    for line in difflib.unified_diff(original.splitlines(), mutated.splitlines(), n=0, lineterm=""):
        if line.startswith(("---", "+++", "@@")):
            continue
        (removed if line.startswith("-") else added).append(line[1:].strip())
    return removed, added


def equivalent_mutants(doc: str) -> set[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """The mutants docs/mutation.md judges equivalent: its ```` ```mutants ```` blocks, each entry
    a function's dotted name, then the ``-`` lines it loses and the ``+`` lines it gains."""
    listed = set()
    for block in re.findall(r"^```mutants\n(.*?)^```", doc, flags=re.M | re.S):
        for entry in re.split(r"\n\s*\n", block.strip()):
            lines = entry.strip().splitlines()
            if not lines:
                continue
            removed = tuple(line[1:].strip() for line in lines[1:] if line.startswith("-"))
            added = tuple(line[1:].strip() for line in lines[1:] if line.startswith("+"))
            listed.add((lines[0].strip(), removed, added))
    return listed


def write_survivors(
    path: Path, mutants: list[Mutant], equivalent: set[tuple[str, tuple[str, ...], tuple[str, ...]]]
) -> int:
    """Write the mutants no test killed (survived, or reached by no test), in docs/mutation.md's
    entry format; return how many of them it lists as equivalent."""
    lines, listed = [], 0
    for mutant in mutants:
        if mutant.status not in ("survived", "no tests"):
            continue
        known = mutant.signature() in equivalent
        listed += known
        lines.append(f"# {mutant.key}: {mutant.status}{' (equivalent: docs/mutation.md)' if known else ''}")
        lines.append(mutant.function)
        lines += [f"- {line}" for line in mutant.removed] + [f"+ {line}" for line in mutant.added]
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return listed


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
