"""`eventual local` as a real process: start it, read its banner, talk to it, stop it."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[2]
EVENTUAL = str(Path(sys.executable).with_name("eventual"))
_RUNNING = re.compile(r"^✔ Eventual Dev Server running on http://localhost:(\d+)\.$")
_END_OF_BANNER = ("Watching for code changes; Ctrl-C to stop.", "Ctrl-C to stop.")


@dataclass
class LocalProcess:
    process: subprocess.Popen[str]
    port: int = 0
    banner: list[str] = field(default_factory=list)
    output: queue.Queue[str] = field(default_factory=queue.Queue)
    """Every line printed (stdout and stderr), banner included."""
    seen: list[str] = field(default_factory=list)

    def url(self, socket: str, query: str = "") -> str:
        return f"ws://127.0.0.1:{self.port}/__ws/{socket}" + (f"?{query}" if query else "")

    def wait_line(self, predicate: Callable[[str], bool], timeout: float = 15.0) -> str:
        """The next printed line matching ``predicate`` (lines seen earlier count too)."""
        for line in self.seen:
            if predicate(line):
                self.seen.remove(line)
                return line
        while True:
            try:
                line = self.output.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(
                    f"no matching line within {timeout} s; last: {self.seen[-10:]}"
                ) from None
            if predicate(line):
                return line
            self.seen.append(line)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError("eventual local did not stop") from None


def run_eventual(*args: str, cwd: Path = ROOT, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run ``eventual`` to completion (for the commands that fail at once)."""
    return subprocess.run(
        [EVENTUAL, *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=_env()
    )


@contextmanager
def eventual_local(*args: str, cwd: Path = ROOT) -> Iterator[LocalProcess]:
    """``eventual local --port 0 ARGS`` in ``cwd``, its banner read; stopped (or killed) after."""
    process = subprocess.Popen(
        [EVENTUAL, "local", "--port", "0", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
    )
    local = LocalProcess(process)
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(
        target=lambda: [local.output.put(line.rstrip("\n")) for line in stdout], daemon=True
    ).start()
    try:
        first = local.wait_line(lambda line: True, timeout=30)
        match = _RUNNING.match(first)
        if match is None:
            process.wait(10)
            rest = [first, *local.seen]
            while not local.output.empty():
                rest.append(local.output.get())
            raise AssertionError(f"eventual local did not start: {rest}")
        local.port = int(match.group(1))
        local.banner.append(first)
        while local.banner[-1] not in _END_OF_BANNER:
            local.banner.append(local.wait_line(lambda line: True))
        yield local
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _env() -> dict[str, str]:
    # This checkout's eventual, not whichever one the `eventual` script was installed from.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": path}


async def open_connections(url: str, count: int) -> list[ClientConnection]:
    """``count`` asyncio clients on ``url``, opened in waves of 200 (one process, one loop)."""
    clients: list[ClientConnection] = []
    for start in range(0, count, 200):
        wave = [connect(url, compression=None, ping_interval=None) for _ in range(min(200, count - start))]
        clients += await asyncio.gather(*wave)
    return clients
