"""Ids of the dev server's connections and requests (eventual/local/events.py)."""

from __future__ import annotations

import http.client
import random
import re
import threading

from websockets.sync.client import connect

from eventual.local import DevServer
from eventual.local.events import new_id
from tests.local.conftest import url, whoami

_API_GATEWAY_ID = re.compile(r"^[A-Za-z0-9_-]{15}=$")
"""API Gateway's shape (``L0SM9cOFvHcCIhw=``), URL-safe: no ``+`` or ``/`` to percent-encode."""


def test_ids_are_url_safe_and_do_not_follow_random_seeds() -> None:
    """Issue 10: ids came from ``random.Random()`` and held ``/`` and ``+``."""
    ids = {new_id() for _ in range(2000)}
    assert len(ids) == 2000 and all(_API_GATEWAY_ID.match(i) for i in ids)
    random.seed(7)
    first = new_id()
    random.seed(7)
    assert new_id() != first  # a handler seeding random cannot make ids repeat


def test_ids_drawn_from_many_threads_never_repeat() -> None:
    """Ids come from batches handed out without a lock; threads racing through a batch's end
    must still never share one."""
    drawn: list[list[str]] = [[] for _ in range(8)]

    def draw(into: list[str]) -> None:
        into.extend(new_id() for _ in range(3000))

    threads = [threading.Thread(target=draw, args=(into,)) for into in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for into in drawn for i in into]
    assert len(set(every)) == len(every) == 24000
    assert all(_API_GATEWAY_ID.match(i) for i in every)


def test_a_connection_id_pasted_into_a_url_as_is_reaches_it(server: DevServer) -> None:
    """``curl .../@connections/<id>`` with the id as printed, no percent-encoding."""
    with connect(url(server, "local-lab")) as ws:
        me = whoami(ws)
        client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        client.request("GET", f"/__ws/local-lab/@connections/{me}")
        assert client.getresponse().status == 200
        client.close()
