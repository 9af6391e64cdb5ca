"""`eventual local` on an event loop (issue 10): each figure a ratio or a bound measured in this run.

- Echo, sequential: roundtrips/s of one client through a ``def`` and an ``async def``
  ``$default``, against a bare ``websockets`` asyncio echo server (same client, interleaved in
  five rounds; each ratio is the median of the rounds' ratios). Budget: >= 0.8x each.
- Echo, 32 concurrent clients: total roundtrips/s, same two handlers, same baseline. >= 0.8x.

- Echo with the console open (issue 23): the ``def`` handler's two figures again while a console
  reads the live feed (``/__eventual/console/events``, from a process of its own, as a browser
  tab would), interleaved with the same figures with no console. Budget: open >= 0.9x closed
  (an open console costs the echo at most 10%). Beside it, the share of the events handled
  meanwhile that reached the console (1.0: none dropped).

- The feed's own work on the loop per event, in this process: recording it (what every event
  costs with no console open: one record into the ring), and recording it with a console open
  (the record, then its encoding and write to the stream), each as a share of the ``def``
  handler's server CPU per message in the sequential echo.

- The floor under both: one hand-off from a thread to another and back (``SimpleQueue``, as the
  loop hands an event to a worker and the worker its answer back), in microseconds, and as a
  share of the baseline's sequential roundtrip. A bounded worker pool pays it on every event, so
  ``baseline / (baseline + hand-off)`` bounds what a ``def`` handler's sequential echo can reach.

The scale figures (idle connections, mass drops, SIGTERM under load) are bench_local_scale.py's,
served by this module's sockets too.

Servers run in their own processes, clients in this one (one asyncio loop).
``python -m benchmarks bench_local_loop``; this module is also the entry the dev server serves.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from statistics import median
from typing import Any

from benchmarks.bench_local import BARE_ECHO_SERVER  # the baseline both echo figures use
from benchmarks.harness import Figure
from eventual import Context, DisconnectRequest, MessageRequest, socket

SEQUENTIAL = 2000
ROUNDS = 5
CONCURRENT = 32
PER_CLIENT = 300

# -- the service under test -------------------------------------------------------------------


async def _async_echo(request: MessageRequest, context: Context) -> Any:
    return request.body


sync_echo = socket("bench-loop-echo", {"$default": lambda request, context: request.body})
async_echo = socket("bench-loop-async", {"$default": _async_echo})

_disconnects = 0
_lock = threading.Lock()


def _left(request: DisconnectRequest, context: Context) -> None:
    global _disconnects
    with _lock:
        _disconnects += 1


def _count(request: MessageRequest, context: Context) -> Any:
    if request.body == "disconnects?":
        return str(_disconnects)
    return None


counted = socket("bench-loop-counted", {"$disconnect": _left, "$default": _count})


def _report_disconnects() -> None:
    path = os.environ.get("BENCH_DISCONNECTS_FILE")
    if path:
        with open(path, "w") as out:
            out.write(str(_disconnects))


atexit.register(_report_disconnects)

# -- echo -------------------------------------------------------------------------------------


async def _sequential(url: str) -> float:
    from websockets.asyncio.client import connect

    async with connect(url, compression=None) as ws:
        for _ in range(200):
            await ws.send('{"hello": "world"}')
            await ws.recv()
        start = time.perf_counter()
        for _ in range(SEQUENTIAL):
            await ws.send('{"hello": "world"}')
            await ws.recv()
        return SEQUENTIAL / (time.perf_counter() - start)


async def _concurrent(url: str) -> float:
    from websockets.asyncio.client import connect

    clients = [await connect(url, compression=None) for _ in range(CONCURRENT)]

    async def converse(ws: Any) -> None:
        for _ in range(PER_CLIENT):
            await ws.send('{"hello": "world"}')
            await ws.recv()

    await asyncio.gather(*(converse(ws) for ws in clients[:4]))  # warm up
    start = time.perf_counter()
    await asyncio.gather(*(converse(ws) for ws in clients))
    seconds = time.perf_counter() - start
    for ws in clients:
        await ws.close()
    return CONCURRENT * PER_CLIENT / seconds


def hand_off_us(count: int = 20_000) -> float:
    """Microseconds for one thread to hand a value to another and get it back (median of 5)."""
    from queue import SimpleQueue

    there: SimpleQueue[int | None] = SimpleQueue()
    back: SimpleQueue[int] = SimpleQueue()

    def echo() -> None:
        while (value := there.get()) is not None:
            back.put(value)

    worker = threading.Thread(target=echo)
    worker.start()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for n in range(count):
            there.put(n)
            back.get()
        times.append((time.perf_counter() - start) / count * 1e6)
    there.put(None)
    worker.join()
    return median(times)


def feed_cost_us(count: int = 20_000) -> tuple[float, float]:
    """CPU microseconds of the loop per echo event spent on the feed: with no console, and with
    one (median of 5). The record is the one ``Hub.record`` makes of a real message event; CPU
    time, as the server's CPU per message it is compared with."""
    import h11

    from eventual.local.console.live import LiveStream
    from eventual.local.events import EventFactory, new_caller
    from eventual.local.feed import Feed
    from eventual.local.hub import Hub
    from eventual.local.limits import Limits

    class Discard(asyncio.Transport):
        def write(self, data: Any) -> None:
            pass

        def is_closing(self) -> bool:
            return False

        def set_protocol(self, protocol: Any) -> None:
            pass

    events = EventFactory("127.0.0.1:3111", server_port=3111)
    event = events.message(new_caller("127.0.0.1", "bench"), '{"hello": "world"}')
    answer = {"statusCode": 200, "body": '{"hello": "world"}'}

    async def per_event(with_console: bool) -> float:
        hub = Hub(events, None, Limits(), dict, Feed())  # type: ignore[arg-type]
        if with_console:
            request = h11.Connection(h11.SERVER)
            request.receive_data(b"GET /__eventual/console/events HTTP/1.1\r\nHost: bench\r\n\r\n")
            request.next_event(), request.next_event()
            stream = LiveStream(hub.feed, "bench", lambda stream: None)
            stream.start(Discard(), request, 0)
        start = time.thread_time()
        for n in range(count):
            hub.record("bench-loop-echo", event, answer, 0.2)  # type: ignore[arg-type]
            if with_console and n % 500 == 499:
                stream._flush()  # as its timer does every 50 ms, at 10,000 events a second
        if with_console:
            stream._flush()
        return (time.thread_time() - start) / count * 1e6

    closed = median(asyncio.run(per_event(False)) for _ in range(5))
    opened = median(asyncio.run(per_event(True)) for _ in range(5))
    return closed, opened


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


CONSOLE_READER = r"""
import re, socket, sys, threading

sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
sock.sendall(b"GET /__eventual/console/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
seqs = []
hello = threading.Event()

def read():
    rest = b""
    while chunk := sock.recv(65536):
        *lines, rest = (rest + chunk).split(b"\n")
        for line in lines:
            if line.startswith(b"event: hello"):
                hello.set()
            elif line.startswith(b"id: "):
                seqs.append(int(line.rpartition(b"-")[2]))

threading.Thread(target=read, daemon=True).start()
hello.wait(10)
print("ready", flush=True)
sys.stdin.read()  # until the benchmark is done with this console
print(len(seqs), min(seqs, default=0), max(seqs, default=0), flush=True)
"""
"""A console as the server sees one: it reads the live feed and keeps each event's seq."""


@contextmanager
def console_open(port: int) -> Iterator[list[float]]:
    """A console reading the feed while inside; then the share of the events recorded meanwhile
    that reached it (after the ring's backlog), appended to the yielded list."""
    reader = subprocess.Popen(
        [sys.executable, "-c", CONSOLE_READER, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None
    assert reader.stdout.readline().strip() == "ready"
    share: list[float] = []
    try:
        yield share
    finally:
        time.sleep(0.2)  # the last flush
        out, _ = reader.communicate(timeout=30)
    count, first, last = (int(n) for n in out.split())
    share.append(count / (last - first + 1) if count else 0.0)


KINDS = (("sequential", "sequential echo"), ("concurrent", f"{CONCURRENT} clients' echo"))
"""Each measurement, and how its figures are named."""
MESSAGES = {"sequential": SEQUENTIAL + 200, "concurrent": (CONCURRENT + 4) * PER_CLIENT}
"""Messages each measurement sends, warm-up included (what its server's CPU time is spent on)."""


def echo_figures() -> list[Figure]:
    from tests.local.process import eventual_local

    bare = subprocess.Popen([sys.executable, "-c", BARE_ECHO_SERVER], stdout=subprocess.PIPE, text=True)
    rounds: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    delivered: list[float] = []
    try:
        assert bare.stdout is not None
        bare_url = f"ws://127.0.0.1:{int(bare.stdout.readline())}/"
        with eventual_local("--entry", "benchmarks.bench_local_loop", "--no-reload", "--quiet") as local:
            servers = {
                "bare": (bare_url, bare.pid),
                "def": (local.url("bench-loop-echo"), local.process.pid),
                # Right after the same without a console: the pair sees the same machine load.
                "def, console open": (local.url("bench-loop-echo"), local.process.pid),
                "async": (local.url("bench-loop-async"), local.process.pid),
            }
            for _ in range(ROUNDS):  # interleaved: each round's four see the same machine load
                for kind, measure in (("sequential", _sequential), ("concurrent", _concurrent)):
                    for name, (url, pid) in servers.items():
                        console = console_open(local.port) if "console" in name else nullcontext([])
                        with console as share:
                            before = _cpu_seconds(pid)
                            rounds.setdefault(f"{kind} {name}", []).append(asyncio.run(measure(url)))
                            used = _cpu_seconds(pid) - before
                        cpu.setdefault(f"{kind} {name}", []).append(used / MESSAGES[kind] * 1e6)
                        delivered.extend(share)
            local.stop()
        hand_off = hand_off_us()
        feed_closed, feed_open = feed_cost_us()
    finally:
        bare.kill()
        bare.wait()
    baseline_us = 1e6 / median(rounds["sequential bare"])
    return [
        *_figures(rounds),
        *_cpu_figures(cpu),
        *_console_figures(rounds, cpu, delivered),
        *(
            Figure(label, us, "us", ratio=us / median(cpu["sequential def"]))
            for label, us in (
                (
                    "the feed's work per event, no console (as a share of the def handler's CPU per message)",
                    feed_closed,
                ),
                ("the feed's work per event, a console open (same share)", feed_open),
            )
        ),
        Figure(
            "a thread hand-off and back, as a share of the baseline's sequential roundtrip",
            hand_off,
            "us",
            ratio=hand_off / baseline_us,
        ),
        Figure(
            "so the most a def handler's sequential echo can reach, baseline / (baseline + hand-off)",
            baseline_us / (baseline_us + hand_off),
            "x",
        ),
    ]


def _figures(rounds: dict[str, list[float]]) -> list[Figure]:
    """Per kind: the baseline's median, and each handler's median and median ratio to the
    baseline of its own round (robust to other load on a shared machine)."""
    figures = []
    for kind, label in KINDS:
        baseline = rounds[f"{kind} bare"]
        figures.append(
            Figure(f"{label}, bare websockets server (baseline)", median(baseline), "roundtrips/s")
        )
        for name in ("def", "async"):
            values = rounds[f"{kind} {name}"]
            figures.append(
                Figure(
                    f"{label}, eventual local, {name} handler",
                    median(values),
                    "roundtrips/s",
                    ratio=median(v / b for v, b in zip(values, baseline, strict=True)),
                    budget=0.8,
                    budget_is_max=False,
                )
            )
    return figures


def _cpu_figures(cpu: dict[str, list[float]]) -> list[Figure]:
    """The server process's CPU time per message (steadier than throughput on a shared machine;
    the ratio is to the bare server's)."""
    figures = []
    for kind, label in KINDS:
        baseline = median(cpu[f"{kind} bare"])
        figures.append(Figure(f"{label}, server CPU per message, bare websockets server", baseline, "us"))
        for name in ("def", "async"):
            used = median(cpu[f"{kind} {name}"])
            figures.append(
                Figure(f"{label}, server CPU per message, {name} handler", used, "us", ratio=used / baseline)
            )
    return figures


def _console_figures(
    rounds: dict[str, list[float]], cpu: dict[str, list[float]], delivered: list[float]
) -> list[Figure]:
    """The def handler's echo with a console open, against the same with none (same rounds)."""
    figures = []
    for kind, label in KINDS:
        closed, opened = rounds[f"{kind} def"], rounds[f"{kind} def, console open"]
        figures.append(
            Figure(
                f"{label}, def handler, console open, against console closed",
                median(opened),
                "roundtrips/s",
                ratio=median(o / c for o, c in zip(opened, closed, strict=True)),
                budget=0.9,
                budget_is_max=False,
            )
        )
        used = median(cpu[f"{kind} def, console open"])
        figures.append(
            Figure(
                f"{label}, server CPU per message, def handler, console open",
                used,
                "us",
                ratio=used / median(cpu[f"{kind} def"]),
            )
        )
    figures.append(Figure("events handled with the console open that reached it", min(delivered), "share"))
    return figures


def run() -> list[Figure]:
    return echo_figures()
