"""The local side of the parity suite: ``eventual local``'s server (in this process) and a real
``websockets`` client per connection, seeing what a client of the deployed API would see.

A message route's failure reaches a client only as its body, so the status of a reply is read
from it: API Gateway's ``{"message": "Internal server error", ...}`` is a 500, anything else 200.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from eventual.local import DevServer, Limits
from eventual.sockets import sockets_of
from tests.parity.lambda_side import ENTRY, Logged, Outcome, declare_entry


class LocalSide:
    name = "local"

    def __init__(self) -> None:
        importlib.import_module(ENTRY)
        self.server = DevServer("parity", sockets_of(ENTRY), port=0, limits=Limits(close_timeout=1.0))
        self.server.start()
        self._clients: dict[str, ClientConnection] = {}
        self._open = ExitStack()
        self.log = Logged()
        logging.getLogger("eventual.runtime").addHandler(self.log)

    def close(self) -> None:
        self._open.close()
        self.server.shutdown()
        logging.getLogger("eventual.runtime").removeHandler(self.log)

    def connect(self, socket: str, query: dict[str, str] | None = None) -> Outcome:
        url = self.server.socket_urls(socket)["wss"] + (f"?{urlencode(query)}" if query else "")
        before = set(self.server.connections)
        try:
            client = self._open.enter_context(connect(url))
        except InvalidStatus as refused:
            return Outcome(refused.response.status_code)
        _until(lambda: set(self.server.connections) - before)
        (connection_id,) = set(self.server.connections) - before
        self._clients[connection_id] = client
        return Outcome(200, None, connection_id)

    def send(self, socket: str, connection_id: str, body: str) -> Outcome:
        client = self._clients[connection_id]
        client.send(body)
        reply = client.recv(timeout=10)
        failed = reply.startswith('{"message":"Internal server error"') if isinstance(reply, str) else False
        return Outcome(500 if failed else 200, reply, connection_id)

    def disconnect(self, socket: str, connection_id: str) -> None:
        self._clients.pop(connection_id).close()
        store = self.server.deployment.connections
        _until(lambda: connection_id not in set(store.connection_ids(socket)))

    def expire(self, socket: str, connection_id: str) -> None:
        """The record outlives its TTL, as a lost ``$disconnect`` leaves it: set its expiry in the
        past, in the server's in-memory store (the cloud's side edits the table's item)."""
        records = self.server.deployment.connections._connections[socket]  # type: ignore[attr-defined]
        record, _ = records[connection_id]
        records[connection_id] = (record, time.time() - 1)

    def declare(self, directory: Path, source: str) -> str | None:
        """``eventual local`` imports the entry with the declaration checks on, as synth does."""
        return declare_entry(directory, source)

    def failures(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log.lines]


def _until(condition: Callable[[], object], timeout: float = 5.0) -> None:
    """Wait, bounded, for what the server does after the client's side is done."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not so within {timeout} s")
        time.sleep(0.01)
