"""The pytest plugin of eventual (entry point ``pytest11``, active wherever eventual is installed).

Fixtures, for the project whose ``pyproject.toml`` (``[tool.eventual]``) is at or above pytest's
root directory:

- ``socket_client``: a :class:`eventual.testing.SocketTestClient` of the project's entry; the
  connections a test leaves open are closed after it.
- ``dev_server``: the project's sockets on ``eventual local``'s server, in this process, on a free
  port, for end-to-end tests with a real WebSocket client
  (``dev_server.socket_urls("chat")["wss"]``).

This module imports only pytest at load time: it loads in every pytest run of the environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from eventual.local import DevServer
    from eventual.project import Project
    from eventual.testing import SocketTestClient


@pytest.fixture
def eventual_project(pytestconfig: pytest.Config) -> Project:
    """The project's ``[tool.eventual]`` table, found from pytest's root directory up."""
    from eventual.project import find_project

    return find_project(pytestconfig.rootpath)


@pytest.fixture
def socket_client(eventual_project: Project) -> Iterator[SocketTestClient]:
    """A test client of the project's sockets (its ``entry``), fresh for each test."""
    from eventual.project import load_sockets
    from eventual.testing import SocketTestClient

    with SocketTestClient(load_sockets(eventual_project), service=eventual_project.service) as client:
        yield client


@pytest.fixture
def dev_server(eventual_project: Project) -> Iterator[DevServer]:
    """``eventual local``'s server with the project's sockets, started on a free port of 127.0.0.1."""
    from eventual.local import DevServer
    from eventual.project import load_sockets

    sockets = load_sockets(eventual_project)
    with DevServer(eventual_project.service, sockets, host="127.0.0.1", port=0) as server:
        yield server
