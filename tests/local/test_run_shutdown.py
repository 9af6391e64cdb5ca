"""`eventual local` stopping, and what it prints per event (eventual/local/run.py)."""

from __future__ import annotations

import asyncio
import re
import signal

from websockets.asyncio.client import connect

from tests.local.process import eventual_local

_EVENT_LINE = re.compile(
    r"^\d\d:\d\d:\d\d local-lab (\$connect|\$default|\$disconnect) ([\w=-]{16}) (\d+) \d+ ms$"
)


def test_one_line_per_event_and_sigterm_runs_the_disconnect_of_a_busy_connection() -> None:
    """Issue 10: a handler in flight at shutdown lost its connection's ``$disconnect``; SIGTERM
    now runs it (the handler keeps its thread, as a Lambda keeps running) and exits 0."""
    with eventual_local("--entry", "tests.local.services", "--no-reload") as local:

        async def talk() -> str:
            ws = await connect(local.url("local-lab"))
            await ws.send("whoami")
            me = str(await ws.recv())
            await ws.send("block")  # waits 10 s for a release that never comes
            return me

        me = asyncio.run(talk())
        lines = [local.wait_line(lambda line: bool(_EVENT_LINE.match(line))) for _ in range(2)]
        assert [_EVENT_LINE.match(line).groups() for line in lines] == [  # type: ignore[union-attr]
            ("$connect", me, "200"),
            ("$default", me, "200"),
        ]
        assert local.stop(signal.SIGTERM) == 0
        assert local.wait_line(lambda line: "$disconnect" in line and me in line).endswith(" ms")


def test_an_authorizer_prints_its_line_and_a_handler_s_send_prints_none() -> None:
    """The terminal prints the feed's records of the service's code (the authorizer too), not
    the management API requests a ``send`` makes (the console shows those)."""
    with eventual_local("--entry", "tests.local.services", "--no-reload") as local:

        async def talk() -> str:
            async with connect(local.url("local-room", "user=ada")) as ws:
                await ws.send("whoami")
                me = str(await ws.recv())
            async with connect(local.url("local-lab")) as lab:
                await lab.send("push:x")
                assert [await lab.recv(), await lab.recv()] == ["x", "reply"]
            return me

        me = asyncio.run(talk())
        authorizer = re.compile(rf"^\d\d:\d\d:\d\d local-room authorizer {re.escape(me)} 200 \d+ ms$")
        local.wait_line(lambda line: bool(authorizer.match(line)))
        local.wait_line(lambda line: " local-lab $disconnect " in line)
        assert local.stop(signal.SIGTERM) == 0
        printed = [*local.seen]
        while not local.output.empty():
            printed.append(local.output.get())
    assert [line for line in printed if " local-lab $default " in line]
    assert not [line for line in printed if " POST " in line or "@connections" in line]


def test_quiet_prints_no_event_lines() -> None:
    with eventual_local("--entry", "tests.local.services", "--no-reload", "--quiet") as local:

        async def talk() -> None:
            async with connect(local.url("local-echo")) as ws:
                await ws.send("hi")
                assert await ws.recv() == "hi"

        asyncio.run(talk())
        assert local.stop(signal.SIGTERM) == 0
        remaining = [*local.seen]
        while not local.output.empty():
            remaining.append(local.output.get())
    assert not [line for line in remaining if "local-echo $" in line]


def test_a_second_ctrl_c_forces_the_exit() -> None:
    with eventual_local("--entry", "tests.local.services", "--no-reload", "--quiet") as local:

        async def talk() -> None:
            ws = await connect(local.url("local-lab"))
            await ws.send("hangup:30")  # its $disconnect will take 30 s
            assert await ws.recv() == "ok"

        asyncio.run(talk())
        local.process.send_signal(signal.SIGINT)
        local.wait_line(lambda line: line.startswith("Stopping"))
        assert local.stop(signal.SIGINT, timeout=10) == 130
        local.wait_line(lambda line: line.startswith("Forced exit"))
