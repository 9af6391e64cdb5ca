"""Testing a service in-process: :class:`SocketTestClient` drives its sockets the way clients do.

Like Starlette's ``TestClient`` or Chalice's ``chalice.test.Client``: no network and no server,
yet every event goes through the one path Lambda and ``eventual local`` share
(:func:`eventual.runtime.dispatch.dispatch`), authorizers and middleware included, and
``send``/``broadcast``/``connections``/``connection_info`` reach the client's connections in memory
with API Gateway's rules. Nothing here calls AWS, so a handler's own boto3 calls meet whatever the
test sets up (``moto.mock_aws()``). See docs/architecture.md, "The test client".

With the library installed, pytest gets two fixtures (:mod:`eventual.testing.plugin`):
``socket_client`` (this client for the project's ``[tool.eventual]`` entry) and ``dev_server``.
"""

from eventual.testing.client import SocketTestClient
from eventual.testing.connection import Connection, Rejected

__all__ = ["Connection", "Rejected", "SocketTestClient"]
