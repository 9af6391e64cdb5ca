"""`eventual local` at scale (issue 10): idle connections, mass drops, SIGTERM under load.

The figures are bounds rather than ratios (no baseline server does ``$disconnect``); each is
measured against the server in its own process, clients in this one. See bench_local_loop.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Figure
from eventual.local.limits import WORKERS

IDLE = 10_000
DROPS = 4000
CHATTY = 3000
RATE = 20.0
CHATTER_SECONDS = 3.0


def _status(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {key}")


async def _disconnects(control: Any) -> int:
    await control.send("disconnects?")
    return int(await control.recv())


async def _idle(local: Any) -> list[Figure]:
    from tests.local.process import open_connections

    pid = local.process.pid
    warm = await open_connections(local.url("bench-loop-echo"), 100)  # the pool's threads, the allocator
    for ws in warm:
        await ws.send("warm")
    for ws in warm:
        await ws.recv()
    await asyncio.sleep(0.5)
    rss = _status(pid, "VmRSS")
    idle = await open_connections(local.url("bench-loop-echo"), IDLE // 10)
    threads = _status(pid, "Threads")  # the handshakes have started every worker by now
    idle += await open_connections(local.url("bench-loop-echo"), IDLE - IDLE // 10)
    await asyncio.sleep(1.0)
    per_connection = (_status(pid, "VmRSS") - rss) / IDLE
    threads_after = _status(pid, "Threads")
    for ws in idle + warm:
        ws.transport.abort()
    return [
        Figure(f"memory per idle connection, {IDLE:,} held", per_connection, "KB", budget=20),
        Figure(f"server threads with {IDLE // 10:,} connections", threads, "threads"),
        Figure(
            f"server threads with {IDLE:,} connections (bound: main, loop and {WORKERS} workers)",
            threads_after,
            "threads",
            budget=WORKERS + 2,
        ),
    ]


async def _drops(local: Any) -> list[Figure]:
    from websockets.asyncio.client import connect

    from tests.local.process import open_connections

    async with connect(local.url("bench-loop-counted"), ping_interval=None) as control:
        await asyncio.sleep(2.0)  # the idle benchmark's aborted connections: their $disconnects
        clients = await open_connections(local.url("bench-loop-counted"), DROPS)
        before = await _disconnects(control)
        start = time.perf_counter()
        for ws in clients:
            ws.transport.abort()  # connection reset, no close frame: the network went away
        seconds = float("inf")
        while time.perf_counter() - start < 60:
            if await _disconnects(control) >= before + DROPS:
                seconds = time.perf_counter() - start
                break
            await asyncio.sleep(0.05)
    return [Figure(f"{DROPS:,} clients dropping at once: every $disconnect run", seconds, "s", budget=5)]


def idle_and_drop_figures() -> list[Figure]:
    from tests.local.process import eventual_local

    with eventual_local("--entry", "benchmarks.bench_local_loop", "--no-reload", "--quiet") as local:

        async def both() -> list[Figure]:
            return await _idle(local) + await _drops(local)

        figures = asyncio.run(both())
        local.stop()
    return figures


async def _chatter(local: Any) -> tuple[float, int, int]:
    from tests.local.process import open_connections

    clients = await open_connections(local.url("bench-loop-counted"), CHATTY)
    sent = 0

    async def chat(ws: Any) -> None:
        nonlocal sent
        try:
            while True:
                await ws.send("chatter")
                sent += 1
                await asyncio.sleep(1 / RATE)
        except Exception:  # closed by the server's shutdown
            return

    tasks = [asyncio.create_task(chat(ws)) for ws in clients]
    await asyncio.sleep(CHATTER_SECONDS)
    start = time.perf_counter()
    local.process.send_signal(signal.SIGTERM)
    while local.process.poll() is None and time.perf_counter() - start < 60:
        await asyncio.sleep(0.01)
    seconds = time.perf_counter() - start
    for task in tasks:
        task.cancel()
    for ws in clients:
        ws.transport.abort()
    return seconds, sent, local.process.wait(60)


def sigterm_figures() -> list[Figure]:
    from tests.local.process import eventual_local

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "disconnects"
        os.environ["BENCH_DISCONNECTS_FILE"] = str(report)
        try:
            with eventual_local("--entry", "benchmarks.bench_local_loop", "--no-reload", "--quiet") as local:
                seconds, sent, status = asyncio.run(_chatter(local))
        finally:
            del os.environ["BENCH_DISCONNECTS_FILE"]
        disconnects = int(report.read_text()) if report.exists() else 0
    return [
        Figure(
            f"messages/s sent by {CHATTY:,} chatty clients (asked: {RATE:g}/s each)",
            sent / (CHATTER_SECONDS + seconds),
            "messages/s",
        ),
        Figure("SIGTERM under that load: seconds to exit", seconds, "s", budget=5),
        Figure("SIGTERM under that load: exit status", status, "", budget=0),
        Figure(
            f"SIGTERM under that load: $disconnects run of {CHATTY:,}",
            disconnects,
            "",
            ratio=disconnects / CHATTY,
            budget=1.0,
            budget_is_max=False,
        ),
    ]


def scale_figures() -> list[Figure]:
    return idle_and_drop_figures() + sigterm_figures()


def run() -> list[Figure]:
    return scale_figures()
