"""The presence app (tests/parity/service.py) under the test client: ``admin`` lists the names of
who is online on the tracked ``presence`` socket, as it does through the Lambda entry and under
``eventual local`` (test_parity.py) and, by the template test, may in the cloud
(tests/constructs/test_socket_grants.py)."""

from __future__ import annotations

import json

import pytest

import tests.parity.service as presence_app
from eventual.testing import Rejected, SocketTestClient


def test_admin_lists_who_is_online() -> None:
    client = SocketTestClient(presence_app.__name__)
    with pytest.raises(Rejected) as refused:
        client.connect("presence")
    assert refused.value.status == 401
    with (
        client.connect("presence", query={"name": "ada"}),
        client.connect("presence", query={"name": "bob"}) as bob,
        client.connect("admin") as root,
    ):
        assert json.loads(str(root.send('{"action": "online"}'))) == ["ada", "bob"]
        bob.close()
        assert json.loads(str(root.send('{"action": "online"}'))) == ["ada"]
