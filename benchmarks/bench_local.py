"""`eventual local` figures (issue 5), each server in its own process, clients in this one.

- Echo: sequential roundtrips per second through a socket whose ``$default`` returns the
  message, against a bare ``websockets`` echo server (same client, same run, interleaved;
  permessage-deflate off on both, as the dev server, like API Gateway, does not compress).
  Budget: >= 0.5x.
- Fan-out: one ``$default`` handler ``send``s a message to each of 1,000 connections (boto3 ->
  the dev server's management API -> each client); seconds until the last one arrives.
- Broadcast: one ``$default`` handler ``broadcast``s to the 1,000 connections of a tracked
  socket (the in-memory store, then posts 16 at a time through the same management API);
  seconds until the last one arrives, and its ratio to the fan-out's ``send`` loop.
- Memory per idle open connection: the dev server's RSS growth over 1,000 idle connections,
  per connection. Budget: <= 50 KB.

This module is also the entry the dev server serves here (``--entry benchmarks.bench_local``).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time
from typing import Any

from benchmarks.harness import Figure
from eventual import ConnectRequest, Context, DisconnectRequest, MessageRequest, socket

ROUNDTRIPS = 2000
REPEAT = 5
FAN_OUT = 1000
IDLE = 1000

# -- the service under test -------------------------------------------------------------------

echo = socket("bench-local-echo", {"$default": lambda request, context: request.body})

_fan_out_ids: set[str] = set()
_fan_out_lock = threading.Lock()


def _joined(request: ConnectRequest, context: Context) -> None:
    with _fan_out_lock:
        _fan_out_ids.add(request.connection_id)


def _left(request: DisconnectRequest, context: Context) -> None:
    with _fan_out_lock:
        _fan_out_ids.discard(request.connection_id)


def _send_to_all(request: MessageRequest, context: Context) -> None:
    with _fan_out_lock:
        targets = list(_fan_out_ids)
    for connection_id in targets:
        fan_out.send(connection_id, request.body)


fan_out = socket("bench-local-fanout", {"$connect": _joined, "$disconnect": _left, "$default": _send_to_all})


def _broadcast_to_all(request: MessageRequest, context: Context) -> None:
    broadcaster.broadcast(request.body)


broadcaster = socket("bench-local-broadcast", {"$default": _broadcast_to_all}, track_connections=True)

# -- measuring --------------------------------------------------------------------------------

BARE_ECHO_SERVER = """
import asyncio
from websockets.asyncio.server import serve

async def echo(ws):
    async for message in ws:
        await ws.send(message)

async def main():
    async with serve(echo, "127.0.0.1", 0, compression=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()

asyncio.run(main())
"""


def _roundtrips_per_second(url: str) -> float:
    from websockets.sync.client import connect

    with connect(url, compression=None) as ws:
        for _ in range(200):  # warm up
            ws.send('{"hello": "world"}')
            ws.recv()
        best = 0.0
        for _ in range(REPEAT):
            start = time.perf_counter()
            for _ in range(ROUNDTRIPS):
                ws.send('{"hello": "world"}')
                ws.recv()
            best = max(best, ROUNDTRIPS / (time.perf_counter() - start))
    return best


def echo_figures() -> list[Figure]:
    from tests.local.process import eventual_local

    bare = subprocess.Popen([sys.executable, "-c", BARE_ECHO_SERVER], stdout=subprocess.PIPE, text=True)
    try:
        assert bare.stdout is not None
        bare_url = f"ws://127.0.0.1:{int(bare.stdout.readline())}/"
        with eventual_local("--entry", "benchmarks.bench_local", "--no-reload") as local:
            ours, baseline = 0.0, 0.0
            for _ in range(3):  # interleaved: both see the same machine load
                baseline = max(baseline, _roundtrips_per_second(bare_url))
                ours = max(ours, _roundtrips_per_second(local.url("bench-local-echo")))
            local.stop()
    finally:
        bare.kill()
        bare.wait()
    return [
        Figure("echo roundtrips, bare websockets server (baseline)", baseline, "roundtrips/s"),
        Figure(
            "echo roundtrips, eventual local",
            ours,
            "roundtrips/s",
            ratio=ours / baseline,
            budget=0.5,
            budget_is_max=False,
        ),
    ]


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def fan_out_and_memory_figures() -> list[Figure]:
    from eventual.local.run import raise_open_file_limit
    from tests.local.process import eventual_local, open_connections

    raise_open_file_limit()  # this process holds a thousand client sockets

    async def until_everyone_has_it(url: str, message: str) -> float:
        """Seconds from one client's message until all ``FAN_OUT`` clients (it too) received it."""
        receivers = await open_connections(url, FAN_OUT)
        start = time.perf_counter()
        await receivers[0].send(message)
        received = await asyncio.gather(*(ws.recv() for ws in receivers))
        seconds = time.perf_counter() - start
        assert received == [message] * FAN_OUT, "a receiver got something else"
        for ws in receivers:
            await ws.close()
        return seconds

    async def run(local: Any) -> tuple[float, float, float]:
        pid = local.process.pid
        warm = await open_connections(local.url("bench-local-echo"), 10)  # warm threads and allocator
        for ws in warm:
            await ws.send("warm")
            await ws.recv()
        await asyncio.sleep(0.5)
        before = _rss_kb(pid)
        idle = await open_connections(local.url("bench-local-echo"), IDLE)
        await asyncio.sleep(1.0)
        per_connection_kb = (_rss_kb(pid) - before) / IDLE
        for ws in idle + warm:
            await ws.close()

        seconds = await until_everyone_has_it(local.url("bench-local-fanout"), "fan-out")
        broadcast_seconds = await until_everyone_has_it(local.url("bench-local-broadcast"), "broadcast")
        return seconds, broadcast_seconds, per_connection_kb

    with eventual_local("--entry", "benchmarks.bench_local", "--no-reload") as local:
        seconds, broadcast_seconds, per_connection_kb = asyncio.run(run(local))
        local.stop()
    return [
        Figure(f"fan-out: send() to {FAN_OUT} connections, until the last arrives", seconds, "s"),
        Figure("fan-out: per send()", seconds / FAN_OUT * 1e3, "ms"),
        Figure(
            f"broadcast() to {FAN_OUT} tracked connections, until the last arrives",
            broadcast_seconds,
            "s",
            ratio=broadcast_seconds / seconds,  # against the fan-out's send() loop above
        ),
        Figure("memory per idle open connection", per_connection_kb, "KB", budget=50),
    ]


def run() -> list[Figure]:
    return echo_figures() + fan_out_and_memory_figures()
