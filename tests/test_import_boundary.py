"""The layers of docs/architecture.md, enforced: no module imports a layer above its own, and
what ships to Lambda drags in neither the deploy-time nor the dev-time stacks."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "eventual"

LAYERS: dict[str, int] = {
    # 0: values every layer shares
    "eventual.errors": 0,
    "eventual.records": 0,
    "eventual.routes": 0,
    "eventual.requests": 0,
    "eventual.payload": 0,
    "eventual.connections": 0,
    "eventual.names": 0,
    "eventual.models": 0,
    # 1: the programming model
    "eventual": 1,
    "eventual.middleware": 1,
    "eventual.bridge": 1,
    "eventual.deployment": 1,
    "eventual.sockets": 1,
    "eventual.broadcast": 1,
    "eventual.fanout": 1,
    "eventual.socket_options": 1,
    "eventual.project": 1,
    "eventual.outputs": 1,
    "eventual.checks": 1,
    "eventual.typed": 1,
    "eventual.subprotocols": 1,
    "eventual.asyncapi": 1,
    "eventual.stages": 1,
    # 2: what runs in Lambda
    "eventual.runtime": 2,
    # 3: the dev server and the CDK constructs, side by side
    "eventual.local": 3,
    "eventual.constructs": 3,
    "eventual.testing": 3,
    # 4: the command line, and the pytest plugin (its dev_server fixture starts eventual.local)
    "eventual.cli": 4,
    "eventual.testing.plugin": 4,
}
SIBLINGS = {"eventual.local", "eventual.constructs", "eventual.testing"}
"""Same layer, but neither may import the other."""

HEAVY = ("aws_cdk", "jsii", "constructs", "click", "websockets", "boto3", "botocore")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> tuple[str, int]:
    """The longest ``LAYERS`` prefix of ``module``, and its layer."""
    while module not in LAYERS:
        if "." not in module:
            raise KeyError(module)
        module = module.rpartition(".")[0]
    return module, LAYERS[module]


def eventual_imports(path: Path) -> set[str]:
    """Every ``eventual`` module ``path`` imports, anywhere in it (function bodies included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "eventual" or name.startswith("eventual.")}


def upward_imports(path: Path, module: str | None = None) -> list[str]:
    """What ``path`` (the module ``module``, by default the one at that path) imports from above."""
    module = module or module_name(path)
    here, level = layer_of(module)
    wrong = []
    for imported in sorted(eventual_imports(path)):
        try:
            there, their_level = layer_of(imported)
        except KeyError:
            continue  # ``from eventual.x import name``: ``eventual.x.name`` is no module
        if their_level > level or (here in SIBLINGS and there in SIBLINGS and here != there):
            wrong.append(f"{module} (layer {level}) imports {imported} (layer {their_level})")
    return wrong


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_every_module_imports_only_its_own_layer_and_below(path: Path) -> None:
    layer_of(module_name(path))  # a new top-level module needs a place in LAYERS
    assert upward_imports(path) == []


def test_an_upward_import_anywhere_is_caught(tmp_path: Path) -> None:
    probe = tmp_path / "sockets.py"
    probe.write_text(
        (PACKAGE / "sockets.py").read_text()
        + "\n\ndef send():\n    from eventual.runtime.management import ManagementClient\n"
    )
    assert upward_imports(probe, "eventual.sockets") == [
        "eventual.sockets (layer 1) imports eventual.runtime.management (layer 2)",
        "eventual.sockets (layer 1) imports eventual.runtime.management.ManagementClient (layer 2)",
    ]
    sibling = tmp_path / "server.py"
    sibling.write_text("from eventual.constructs import Service\n")
    assert upward_imports(sibling, "eventual.local.server") == [
        "eventual.local.server (layer 3) imports eventual.constructs (layer 3)",
        "eventual.local.server (layer 3) imports eventual.constructs.Service (layer 3)",
    ]


def modules_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    return {name.partition(".")[0] for name in json.loads(out.stdout.splitlines()[-1])}


@pytest.mark.parametrize("module", ["eventual", "eventual.runtime.handler", "examples.service"])
def test_lambda_code_imports_nothing_heavy(module: str) -> None:
    loaded = modules_after(f"import {module}")
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def test_boto3_loads_on_first_send_only() -> None:
    code = """
import json
from eventual import socket
from eventual.runtime.environment import deployment_from
import eventual.runtime.handler
s = socket("s", {})
deployment = deployment_from({"EVENTUAL_SOCKET_URLS": json.dumps({"s": {"wss": "ws://x", "http": "http://127.0.0.1:9/s"}})})
assert "boto3" not in sys.modules
deployment.management("s")
"""
    assert "boto3" in modules_after(code)


def test_cli_group_imports_neither_boto3_nor_cdk() -> None:
    loaded = modules_after("import eventual.cli")
    assert loaded.isdisjoint({"aws_cdk", "jsii", "boto3", "botocore", "websockets"})


def test_the_pytest_plugin_loads_nothing_heavy() -> None:
    """pytest loads it in every run of an environment that has eventual installed."""
    loaded = modules_after("import eventual.testing.plugin")
    assert loaded.isdisjoint(HEAVY), loaded & set(HEAVY)


def module_level_imports(path: Path) -> set[str]:
    """What ``path`` imports when it is imported: its top-level statements, ``if TYPE_CHECKING:``
    blocks and function bodies left out."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(), str(path)).body:
        if isinstance(node, ast.Import):
            found.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.partition(".")[0])
    return found


LAMBDA_MODULES = [p for p in MODULES if layer_of(module_name(p))[1] <= 2]


@pytest.mark.parametrize("path", LAMBDA_MODULES, ids=lambda p: module_name(p))
def test_the_core_and_runtime_never_import_pydantic_at_module_level(path: Path) -> None:
    """Only sockets that declare a type load pydantic, when first needed (docs/architecture.md)."""
    assert module_level_imports(path).isdisjoint({"pydantic", "pydantic_core"})


def test_a_module_level_pydantic_import_is_caught(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("from typing import TYPE_CHECKING\nimport pydantic_core.core_schema\n")
    assert "pydantic_core" in module_level_imports(probe)


def loaded_after(code: str) -> set[str]:
    """Every module (full dotted names) loaded after running ``code`` in a fresh interpreter."""
    probe = f"import sys\n{textwrap.dedent(code)}\nimport json\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, cwd=PACKAGE.parent
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


TYPED_MODULES = {"pydantic", "pydantic_core", "eventual.models", "eventual.typed"}
FIRST_MESSAGE = """
from eventual.runtime.dispatch import dispatch
from tests.apigw_events import message_event
from tests.deployments import bare_deployment
{declare}
typed = ("pydantic", "eventual.models", "eventual.typed")
before = {{m for m in sys.modules if m in typed or m.startswith("pydantic.")}}
print(dispatch(s, message_event('{{"text": "hi"}}'), bare_deployment())["body"])
print(sorted(before))
"""


def test_an_untyped_socket_loads_nothing_of_typed_messages() -> None:
    code = FIRST_MESSAGE.format(
        declare="from eventual import Socket\ns = Socket('s', {'$default': lambda r, c: r.body})"
    )
    assert loaded_after(code).isdisjoint(TYPED_MODULES)


def test_a_typed_socket_loads_pydantic_at_its_first_message_only() -> None:
    """Declared with a dataclass, as Lambda imports the entry (declaration checks off)."""
    declare = """
import dataclasses
from eventual import Socket
@dataclasses.dataclass
class Chat:
    text: str
s = Socket("s", {"$default": lambda r, c: {"got": c["message"].text}}, message=Chat)
"""
    probe = FIRST_MESSAGE.format(declare=textwrap.dedent(declare))
    out = subprocess.run(
        [sys.executable, "-c", f"import sys\n{probe}"],
        check=True,
        capture_output=True,
        text=True,
        cwd=PACKAGE.parent,
    )
    reply, before = out.stdout.splitlines()[-2:]
    assert json.loads(reply) == {"got": "hi"}
    assert before == "['eventual.models', 'eventual.typed']"  # the declaration's modules; no pydantic yet
    assert loaded_after(probe) >= TYPED_MODULES
