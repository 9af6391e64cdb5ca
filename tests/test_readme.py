"""Every code block of the README runs, and does what the README says.

Python blocks run as written (each claimed by one test below, by a line only it has); the TOML
block is the project table; every ``eventual ...`` command shown exists with the options shown;
and the README still opens with ``make local`` and ``make test``.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from eventual.testing import Rejected, SocketTestClient

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
CLAIMED = (
    "def on_connect",
    "logged = socket.use(timed)",
    'game = socket("game"',
    'lobby = socket("lobby"',
    "authorizer=check_key",
    "def test_chat_echoes_and_refuses_strangers",
    "def test_end_to_end(dev_server)",
    "from eventual.constructs import Service",
    "alarms=Alarms(topic=alerts",
)
"""One line of each Python block, in order: a new block needs a test, and a line here."""


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def block(marker: str) -> str:
    [found] = [b for b in blocks("python") if marker in b]
    return found


def run(code: str, name: str = "readme_example") -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": name}
    exec(compile(code, str(README), "exec"), namespace)
    return namespace


def test_every_python_block_has_its_test() -> None:
    found = [[m for m in CLAIMED if m in b] for b in blocks("python")]
    assert found == [[m] for m in CLAIMED]


def test_the_readme_opens_with_this_repositorys_two_commands() -> None:
    first = [line.split("#")[0].strip() for line in blocks("bash")[0].splitlines()]
    assert first == ["make local", "make test"]
    makefile = (REPO / "Makefile").read_text()
    assert re.search(r"^local:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def eventual_commands() -> list[list[str]]:
    commands = []
    for text in blocks("bash") + blocks("console"):
        for line in text.splitlines():
            line = line.removeprefix("$ ").split("#")[0].strip()
            if line.startswith("eventual "):
                commands.append(shlex.split(line)[1:])
    return commands


@pytest.mark.parametrize("args", eventual_commands(), ids=" ".join)
def test_every_eventual_command_shown_exists(args: list[str]) -> None:
    from eventual.cli import main

    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0, result.output


def test_the_project_table() -> None:
    [text] = blocks("toml")
    table = tomllib.loads(text)["tool"]["eventual"]
    assert table == tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["eventual"]


@pytest.fixture
def myapp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, socket_registry: object) -> Iterator[str]:
    """``myapp/service.py`` holding the README's first socket, importable as ``myapp.service``."""
    package = tmp_path / "myapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "service.py").write_text(block("def on_connect"))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "myapp.service"
    for name in ("myapp.service", "myapp"):
        sys.modules.pop(name, None)


def test_the_first_socket_checks_its_token_and_echoes(myapp: str) -> None:
    client = SocketTestClient(myapp)
    assert client.sockets["chat"].options.memory_size == 256
    with client.connect("chat", query={"token": "let-me-in"}) as ada:
        assert json.loads(ada.send('{"x": 1}')) == {"echo": {"x": 1}}
    with pytest.raises(Rejected) as refused:
        client.connect("chat", query={"token": "guess"})
    assert (refused.value.status, refused.value.body) == (401, "unauthorized")


@pytest.mark.usefixtures("socket_registry")
def test_middleware_chains_compose(capsys: pytest.CaptureFixture[str]) -> None:
    room = run(block("logged = socket.use(timed)"))["room"]
    with SocketTestClient(room).connect("room") as ada:
        assert json.loads(ada.send("[1]")) == {"got": [1]}
    assert [line.split(" took ")[0] for line in capsys.readouterr().out.splitlines()] == [
        "connect",
        "message",
        "disconnect",
    ]


@pytest.mark.usefixtures("socket_registry")
def test_message_routes_and_the_subprotocol_work_as_described() -> None:
    example = run(block('game = socket("game"'))
    client = SocketTestClient(example["game"])
    with client.connect("game", headers={"Sec-WebSocket-Protocol": "chat, game.v1"}) as player:
        assert player.subprotocol == "game.v1"
        assert json.loads(str(player.send('{"action": "move"}'))) == {"moved": "move"}
        assert json.loads(str(player.send("hello"))) == {"error": "send an action: move"}
    with pytest.raises(Rejected) as refused:
        client.connect("game", headers={"Sec-WebSocket-Protocol": "chat"})
    assert refused.value.status == 400
    with SocketTestClient(example["feed"]).connect("feed") as reader:
        assert json.loads(str(reader.send('{"type": "subscribe"}'))) == {"moved": "subscribe"}
        assert json.loads(str(reader.send('{"type": "other"}')))["message"] == "Forbidden"


@pytest.mark.usefixtures("socket_registry")
def test_reaching_connections_greets_closes_and_meets_gone() -> None:
    client = SocketTestClient(run(block('lobby = socket("lobby"'))["lobby"])
    with client.connect("lobby") as ada, client.connect("lobby") as bob:
        assert ada.send(bob.connection_id) == "done"
        assert bob.json() == [{"hello": ada.connection_id}] and not bob.open
        assert ada.send(bob.connection_id) == "gone"


@pytest.mark.usefixtures("socket_registry")
def test_the_authorizer_decides_like_it_says() -> None:
    room = run(block("authorizer=check_key"))["room"]
    client = SocketTestClient(room)
    assert [refusal(client, {}), refusal(client, {"name": "Ada", "key": "guess"})] == [401, 403]
    with client.connect("room", query={"name": "Ada", "key": "demo"}) as ada:
        with client.connect("room", query={"name": "Bob", "key": "demo"}) as bob:
            assert sorted(client.connections("room")) == sorted([ada.connection_id, bob.connection_id])
            ada.send("hi")
        assert ada.json() == bob.json() == [{"from": "Ada", "text": "hi"}]
        assert ada.identity is not None and ada.identity["principalId"] == "Ada"


def refusal(client: SocketTestClient, query: dict[str, str]) -> int:
    with pytest.raises(Rejected) as refused:
        client.connect("room", query=query)
    return refused.value.status


def test_the_testing_example_passes(myapp: str) -> None:
    run(block("def test_chat_echoes_and_refuses_strangers"))["test_chat_echoes_and_refuses_strangers"]()


def test_the_fixture_examples_pass(myapp: str) -> None:
    from eventual.local import DevServer

    tests = run(block("def test_end_to_end(dev_server)"))
    client = SocketTestClient(myapp)
    tests["test_echo"](client)
    with DevServer("readme", client.sockets, port=0) as server:
        tests["test_end_to_end"](server)


@pytest.mark.usefixtures("socket_registry")
def test_the_construct_example_synthesizes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the entry is imported from the working directory
    example = run(block("from eventual.constructs import Service"))  # into a temporary cdk.out
    assert "mySocket" in example["service"].sockets
    assert (Path(example["app"].outdir) / "my-service.template.json").is_file()


@pytest.mark.usefixtures("socket_registry")
def test_the_construct_example_takes_its_stage_from_the_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same block, run as `cdk synth -c stage=dev` runs it."""
    import aws_cdk

    monkeypatch.chdir(REPO)
    # The CLI passes -c through the environment, which the jsii kernel reads once, when it starts.
    app = aws_cdk.App
    monkeypatch.setattr(aws_cdk, "App", lambda: app(context={"stage": "dev"}))
    example = run(block("from eventual.constructs import Service"))
    assert example["stack"].stack_name == "my-service-dev"
    assert example["service"].plan.event_bus_name == "my-service-dev"
    assert example["service"].plan.log_group_name == "my-service-dev-execution-logs"


def test_the_operating_example_maps_the_sockets_under_the_domain_with_alarms(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(REPO)  # the entry is imported from the working directory
    example = run(block("alarms=Alarms(topic=alerts"))
    service = example["service"]
    assert service.plan.operating.domain.url("chat") == "wss://ws.example.com/chat"
    assert service.plan.operating.http_domain.https_url == "https://api.example.com/"
    assert sorted(service.domain.mappings) == sorted(service.sockets)
    assert service.alarms["chat/latency"].node.default_child is not None
    assert service.plan.operating.alarms.thresholds.latency_p99_ms == 2000
    assert example["connects"].metric_name == "ConnectCount"
    assert service.dashboard is not None


def test_the_domains_context_reads_as_the_readme_says() -> None:
    import aws_cdk

    from eventual.constructs import domains_from_context

    [text] = [b for b in blocks("json") if '"domains"' in b]
    context = json.loads(text)
    stack = aws_cdk.Stack(aws_cdk.App(context=context), "S")
    domain, http_domain = domains_from_context(stack, "default")
    assert domain is not None and http_domain is not None
    assert (domain.name, http_domain.name) == ("ws.example.com", "api.example.com")
    assert domain.hosted_zone is not None and domain.hosted_zone is http_domain.hosted_zone
    dev, dev_http = domains_from_context(stack, "dev")
    assert dev is not None and dev_http is None
    assert isinstance(dev.certificate, str) and dev.certificate.startswith("arn:aws:acm:us-east-1:")
