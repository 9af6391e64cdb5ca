"""Load and faults against `eventual local` in its own process (bounded: about ten seconds)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from websockets.asyncio.client import ClientConnection, connect

from eventual.local.run import raise_open_file_limit
from tests.local.process import LocalProcess, eventual_local, open_connections

CONNECTIONS = 1000
MESSAGES = 20
DROPPED = 200


@pytest.fixture(scope="module")
def local() -> Iterator[LocalProcess]:
    raise_open_file_limit()  # this process holds a thousand client sockets
    with eventual_local("--entry", "tests.local.services", "--no-reload") as running:
        yield running
        assert running.stop() == 0


def test_1000_connections_20_messages_each_all_replies_in_order(local: LocalProcess) -> None:
    async def run() -> list[list[str]]:
        clients = await open_connections(local.url("local-echo"), CONNECTIONS)

        async def converse(index: int, ws: ClientConnection) -> list[str]:
            for n in range(MESSAGES):  # all sent before any reply is read
                await ws.send(f"{index}:{n}")
            replies = [str(await ws.recv()) for _ in range(MESSAGES)]
            await ws.close()
            return replies

        return await asyncio.gather(*(converse(i, ws) for i, ws in enumerate(clients)))

    replies = asyncio.run(asyncio.wait_for(run(), 120))
    assert len(replies) == CONNECTIONS
    for index, received in enumerate(replies):
        assert received == [f"{index}:{n}" for n in range(MESSAGES)]  # none lost, doubled or reordered


def test_200_abrupt_drops_mid_stream_each_get_disconnect(local: LocalProcess) -> None:
    async def stats(ws: ClientConnection) -> dict[str, object]:
        await ws.send("stats")
        result: dict[str, object] = json.loads(await ws.recv())
        return result

    async def run() -> tuple[dict[str, object], dict[str, object], str]:
        async with connect(local.url("local-lab"), ping_interval=None) as control:
            before = await stats(control)
            clients = await open_connections(local.url("local-lab"), DROPPED)
            for index, ws in enumerate(clients):
                for n in range(5):  # in flight when the network goes
                    await ws.send(f"{index}:{n}")
                ws.transport.abort()  # no close frame, connection reset
            after = before
            for _ in range(200):  # bounded wait for the server to notice every drop
                after = await stats(control)
                if after["disconnects"] == before["disconnects"] + DROPPED:  # type: ignore[operator]
                    break
                await asyncio.sleep(0.05)
            await control.send("still serving?")
            return before, after, str(await control.recv())

    before, after, answer = asyncio.run(asyncio.wait_for(run(), 60))
    assert after["disconnects"] == before["disconnects"] + DROPPED  # type: ignore[operator]
    codes_before: dict[str, int] = before["codes"]  # type: ignore[assignment]
    codes_after: dict[str, int] = after["codes"]  # type: ignore[assignment]
    assert codes_after.get("1006", 0) - codes_before.get("1006", 0) == DROPPED
    assert answer == "lab:still serving?"
