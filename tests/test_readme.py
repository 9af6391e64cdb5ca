"""Every code block of the README runs, and does what the README says.

Python blocks run as written (each claimed by one test below, by a line only it has); the TOML
block is the project table; every ``eventual ...`` command shown exists with the options shown;
and the README still opens with ``make local`` and ``make test``.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import sys
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from click.testing import CliRunner

from eventual import socket
from eventual.testing import Rejected, SocketTestClient

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
CLAIMED = (
    "def on_connect",
    "logged = socket.use(timed)",
    'game = socket("game"',
    "board = socket(",
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
def myapp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
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


def test_middleware_chains_compose(capsys: pytest.CaptureFixture[str]) -> None:
    room = run(block("logged = socket.use(timed)"))["room"]
    with SocketTestClient(room).connect("room") as ada:
        assert json.loads(ada.send("[1]")) == {"got": [1]}
    assert [line.split(" took ")[0] for line in capsys.readouterr().out.splitlines()] == [
        "connect",
        "message",
        "disconnect",
    ]


def test_typed_messages_validate_reply_and_push_as_described() -> None:
    board = run(block("board = socket("))["board"]
    [documented] = [json.loads(b) for b in blocks("json") if "Invalid message" in b]
    with SocketTestClient(board) as client, client.connect("board") as ada, client.connect("board") as bob:
        assert json.loads(str(ada.send('{"action": "move", "x": 1, "y": 2}'))) == {
            "by": ada.connection_id,
            "x": 1,
            "y": 2,
        }
        assert bob.json() == [{"by": ada.connection_id, "x": 1, "y": 2}] and ada.received == []
        error = json.loads(str(ada.send('{"action": "move", "x": 8}')))
        assert error == {**documented, "connectionId": ada.connection_id, "requestId": error["requestId"]}
        assert ada.open and json.loads(str(ada.send('{"action": "move", "x": 0, "y": 0}')))["x"] == 0
    assert [t.name for t in board.pushes] == ["Moved"] and board.types["move"].reply is not None


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


def test_reaching_connections_greets_closes_and_meets_gone() -> None:
    client = SocketTestClient(run(block('lobby = socket("lobby"'))["lobby"])
    with client.connect("lobby") as ada, client.connect("lobby") as bob:
        assert ada.send(bob.connection_id) == "done"
        assert bob.json() == [{"hello": ada.connection_id}] and not bob.open
        assert ada.send(bob.connection_id) == "gone"


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


def test_the_construct_example_synthesizes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # the entry is imported from the working directory
    example = run(block("from eventual.constructs import Service"))  # into a temporary cdk.out
    assert "mySocket" in example["service"].sockets
    assert (Path(example["app"].outdir) / "my-service.template.json").is_file()


def test_the_construct_example_takes_its_stage_from_the_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same block, run as `cdk synth -c stage=dev` runs it."""
    import aws_cdk

    monkeypatch.chdir(REPO)
    # The CLI passes -c through the environment, which the jsii kernel reads once, when it starts.
    app = aws_cdk.App
    monkeypatch.setattr(aws_cdk, "App", lambda: app(context={"stage": "dev"}))
    example = run(block("from eventual.constructs import Service"))
    assert example["stack"].stack_name == "my-service--dev"
    assert example["service"].plan.event_bus_name == "my-service--dev"
    assert example["service"].plan.log_group_name == "my-service--dev-execution-logs"


async def napping_echo(request: Any, context: Any) -> Any:
    await asyncio.sleep(0.2)
    return {"got": context["message"]}


def blocking_echo(request: Any, context: Any) -> Any:
    time.sleep(0.2)
    return {"got": context["message"]}


@pytest.mark.parametrize("side", ["test client", "dev server"])
@pytest.mark.parametrize("handler", [blocking_echo, napping_echo], ids=["def", "async def"])
@pytest.mark.parametrize("marker", ["def on_connect", "logged = socket.use(timed)"])
def test_the_readme_middleware_works_in_front_of_every_handler_kind(
    marker: str, handler: Any, side: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 19, item 4: the README's def middleware (``parse_json``; ``timed`` then
    ``parse_json``) in front of a def and an async def handler, on the test client and the dev
    server: the reply is the handler's, and ``timed`` measures the handler's 0.2 s."""
    example = run(block(marker))
    chain = example["parsed"] if "parsed" in example else socket.use({"message": example["parse_json"]})
    sock = chain.socket("readme-mw", {"$default": handler})
    capsys.readouterr()
    if side == "test client":
        with SocketTestClient(sock).connect("readme-mw") as ada:
            reply = ada.send('{"n": 1}')
    else:
        from websockets.sync.client import connect

        from eventual.local import DevServer

        with (
            DevServer("readme", {"readme-mw": sock}, port=0) as server,
            connect(server.socket_urls("readme-mw")["wss"]) as ws,
        ):
            ws.send('{"n": 1}')
            reply = ws.recv(timeout=5)
    assert json.loads(str(reply)) == {"got": {"n": 1}}
    took = [line for line in capsys.readouterr().out.splitlines() if line.startswith("message took")]
    if "timed" in example:
        [line] = took
        assert float(line.split()[2]) >= 0.19  # the handler's 0.2 s, printed to the millisecond


def test_the_readme_says_what_next_returns_in_each_kind_of_middleware() -> None:
    text = " ".join(README.read_text().split())
    assert "In a chain with any `async def` step, `next` returns an awaitable" not in text
    assert (
        "In a `def` middleware, `next(ctx)` returns the rest of the chain's result, whatever kind "
        "of handler is behind it; in an `async def` middleware it returns an awaitable: "
        "`return await next(ctx)`."
    ) in text


def sentences() -> list[str]:
    return re.split(r"(?<=\.)\s+(?=[A-Z`])", " ".join(README.read_text().split()))


def test_the_readme_says_once_that_binary_frames_close_with_1003() -> None:
    """Issue 19, item 7: the routes section sent binary messages to ``$default``, yet a binary
    frame closes the connection with 1003 on every side, as API Gateway's WebSocket APIs take text
    frames only ("Binary media types for WebSocket APIs in API Gateway")."""
    [binary] = [sentence for sentence in sentences() if "binary" in sentence.lower()]
    assert binary.startswith("A binary frame reaches no route: API Gateway's WebSocket APIs take text")
    assert "close the connection with 1003" in binary


def test_the_readme_states_the_socket_name_rule_the_code_applies() -> None:
    """The characters the README allows are exactly those ``socket(...)`` accepts besides letters
    and digits (eventual/names.py)."""
    import string

    from eventual.names import socket_name_problem

    [rule] = [sentence for sentence in sentences() if "So it takes letters, digits and" in sentence]
    listed = set(re.findall(r"`(.)`", rule.split(" only ")[0]))
    assert listed == {"-", "_", ".", "~"}
    accepted = {c for c in string.punctuation + " " if socket_name_problem(f"a{c}b") is None}
    assert accepted == listed
    assert socket_name_problem(".") is not None and socket_name_problem("..") is not None
    assert "with the message synth would give" in rule


def deploy_blocks(text: str) -> list[list[str]]:
    """The commands (comments dropped) of every bash block of ``text`` that runs ``cdk deploy``."""
    found = []
    for block_text in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        commands = [line.split("#")[0].strip() for line in block_text.splitlines()]
        if any("cdk deploy" in command for command in commands):
            found.append(commands)
    return found


def bootstraps_before_deploying(commands: list[str]) -> bool:
    first_deploy = next(i for i, c in enumerate(commands) if "cdk deploy" in c)
    return "npx cdk bootstrap" in commands[:first_deploy]


def test_every_deploy_shown_bootstraps_the_account_first() -> None:
    """Issue 19 item 11: the first ``cdk deploy`` into an account and region fails until
    ``cdk bootstrap`` has made the CDK's staging resources there (the template checks the
    bootstrap version), and neither README said so."""
    from eventual.cli.scaffold import project_files

    readmes = {
        "README.md": README.read_text(),
        "the README eventual init writes": project_files("my-app", "my_app")[PurePosixPath("README.md")],
    }
    for name, text in readmes.items():
        blocks_found = deploy_blocks(text)
        assert blocks_found, name
        assert all(bootstraps_before_deploying(commands) for commands in blocks_found), name
        assert "once per account and region" in text, name


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
