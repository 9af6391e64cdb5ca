"""Where a service's sockets run: the one runtime context a socket reads to reach its connections.

A :class:`Deployment` holds what a socket needs at run time: the service's name, every socket's
URLs, the factory of management-API clients and the store of tracked connections. Lambda builds
one per cold start from its environment (``eventual.runtime.handler``); the dev server and the
test client each own one. ``dispatch`` makes a deployment *current* for the duration of one event
(a :class:`contextvars.ContextVar`, as Click's ``Context.scope()`` does), and
:meth:`eventual.Socket.send`, ``broadcast`` and ``connections`` read the current one. So two dev
servers, or a dev server and a test, share a process without sharing anything.

This module is core: it knows the shapes (protocols) and nothing of boto3, DynamoDB or the dev
server, which implement them. See docs/architecture.md, "The runtime context".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any, Protocol

from eventual.errors import ConfigurationError, SocketNotDeployed
from eventual.records import Record, init_fields

if TYPE_CHECKING:
    from eventual.connections import Connection, ConnectionInfo
    from eventual.fanout import FanOutQueue

    RemainingMs = Callable[[], int]
    """Milliseconds left in the current invocation (Lambda's ``context.get_remaining_time_in_millis``)."""

DEFAULT_FAN_OUT_ABOVE = 1000
"""A broadcast to a room larger than this goes to the fan-out queue, where there is one: ~1,000
posts take one invocation 1-2 s at 16 in flight and 10-30 ms a post."""


class SocketUrls(Record):
    """A socket's two URLs: clients connect to ``wss``; ``http`` is its management API."""

    __slots__ = ("http", "wss")
    _compared = ("wss", "http")

    wss: str
    http: str

    def __init__(self, wss: str, http: str) -> None:
        init_fields(self, wss=wss, http=http)


class ManagementApi(Protocol):
    """API Gateway's ``@connections`` API of one socket (boto3 in the cloud and under
    ``eventual local``; in memory in the test client)."""

    def post(self, connection_id: str, body: bytes) -> None:
        """Send bytes already checked by :func:`eventual.payload.checked_payload`;
        raises :class:`eventual.ConnectionGone`."""
        ...

    def disconnect(self, connection_id: str) -> None: ...

    def info(self, connection_id: str) -> ConnectionInfo:
        """API Gateway's record of the connection (``GetConnection``), in eventual's shape;
        raises :class:`eventual.ConnectionGone`."""
        ...


class ConnectionStore(Protocol):
    """Who is connected to which socket (sockets with ``track_connections=True``)."""

    def put(
        self,
        socket: str,
        connection_id: str,
        identity: Mapping[str, Any] | None,
        connected_at: int | None = None,
    ) -> None:
        """Record a connection: its identity and when it connected (epoch ms; ``None``: now)."""
        ...

    def delete(self, socket: str, connection_id: str) -> None: ...

    def connections(self, socket: str) -> Iterator[Connection]:
        """Every tracked connection of ``socket``, read one page at a time, expired ones left out."""
        ...


class Deployment:
    """One service's sockets at run time: their URLs, management API and tracked connections.

    ``socket_urls`` is read on every look-up, so an owner may update it in place (the dev server
    does on hot reload). ``management`` makes the client of one management URL; each URL's
    client is made once and reused. ``connections`` is ``None`` where the service tracks no
    connections (or this function was not granted its table). ``fan_out`` makes the fan-out
    queue on first use (``None``: broadcasts stay in process); ``fan_out_above`` is the service's
    threshold, which a socket's ``fan_out_above`` and a ``broadcast(..., fan_out_above=)`` override.
    """

    __slots__ = (
        "_clients",
        "_connections",
        "_fan_out",
        "_make_fan_out",
        "_make_management",
        "fan_out_above",
        "service",
        "socket_urls",
    )

    def __init__(
        self,
        service: str,
        socket_urls: Mapping[str, SocketUrls],
        *,
        management: Callable[[str], ManagementApi],
        connections: ConnectionStore | None = None,
        fan_out: Callable[[], FanOutQueue] | None = None,
        fan_out_above: int = DEFAULT_FAN_OUT_ABOVE,
    ) -> None:
        if fan_out_above < 0:
            raise ValueError(f"fan_out_above must be at least 0, got {fan_out_above}")
        self.service = service
        self.socket_urls = socket_urls
        self._make_management = management
        self._connections = connections
        self._clients: dict[str, ManagementApi] = {}
        self._make_fan_out = fan_out
        self._fan_out: FanOutQueue | None = None
        self.fan_out_above = fan_out_above

    def __repr__(self) -> str:
        return f"<Deployment of {self.service!r}: {', '.join(self.socket_urls) or 'no sockets'}>"

    def urls(self, socket_name: str) -> SocketUrls:
        """The socket's URLs; :class:`eventual.SocketNotDeployed` if this deployment lacks it."""
        urls = self.socket_urls.get(socket_name)
        if urls is None:
            known = ", ".join(self.socket_urls) or "none"
            raise SocketNotDeployed(
                f"socket {socket_name!r} is not part of service {self.service!r} as deployed here "
                f"(its sockets: {known})"
            )
        return urls

    def management(self, socket_name: str) -> ManagementApi:
        """The management-API client of the socket's current URL, made on first use."""
        url = self.urls(socket_name).http
        client = self._clients.get(url)
        if client is None:
            # Two threads may both make one; setdefault keeps the first, so all share it.
            client = self._clients.setdefault(url, self._make_management(url))
        return client

    @property
    def connections(self) -> ConnectionStore:
        """The store of tracked connections; :class:`eventual.ConfigurationError` if there is none."""
        if self._connections is None:
            raise ConfigurationError(
                f"service {self.service!r} has no connections table here: sockets with "
                "track_connections=True need one (the Service construct creates it and gives it to "
                "the service's socket functions; grant others with service.grant_connections(fn))"
            )
        return self._connections

    @property
    def fan_out(self) -> FanOutQueue | None:
        """The fan-out queue, made on first use (its client costs a cold start otherwise); ``None``
        where there is none."""
        if self._fan_out is None and self._make_fan_out is not None:
            self._fan_out = self._make_fan_out()
        return self._fan_out

    def activate(self, remaining_ms: RemainingMs | None = None) -> Activation:
        """Make this deployment current: ``with deployment.activate(): ...``; ``remaining_ms``
        tells ``broadcast`` how long the invocation has left (``dispatch`` passes Lambda's)."""
        return Activation(self, remaining_ms)


class Activation:
    """The scope in which a deployment is current; restores the previous one on exit."""

    __slots__ = ("_deployment", "_remaining_ms", "_tokens")

    def __init__(self, deployment: Deployment, remaining_ms: RemainingMs | None = None) -> None:
        self._deployment = deployment
        self._remaining_ms = remaining_ms
        self._tokens: tuple[Token[Deployment | None], Token[RemainingMs | None]] | None = None

    def __enter__(self) -> Deployment:
        self._tokens = _current.set(self._deployment), _remaining.set(self._remaining_ms)
        return self._deployment

    def __exit__(self, *exc_info: object) -> None:
        assert self._tokens is not None, "exit before enter"
        _current.reset(self._tokens[0])
        _remaining.reset(self._tokens[1])
        self._tokens = None


_current: ContextVar[Deployment | None] = ContextVar("eventual_deployment", default=None)
_remaining: ContextVar[RemainingMs | None] = ContextVar("eventual_remaining_ms", default=None)
_process_default: Deployment | None = None


def current_deployment() -> Deployment:
    """The deployment of the event being handled; outside one, the process's default (set by
    the Lambda entry and by ``eventual local``, so that threads a handler starts reach it too)."""
    deployment = _current.get() or _process_default
    if deployment is None:
        raise SocketNotDeployed(NOT_DEPLOYED)
    return deployment


NOT_DEPLOYED = (
    "no service is running in this process: a socket reaches its connections only from its "
    "service's own code (a handler, or a thread it starts) in Lambda or under `eventual local`, "
    "and from a test through SocketTestClient (`with client.deployment.activate(): ...`). A "
    "separate process, such as a script run beside `eventual local`, cannot send, broadcast or "
    "list connections: the dev server keeps its connections in its own process. Instead, send the "
    "service a message whose handler does it, or post to one connection through the management "
    "API, as any AWS client can: boto3.client('apigatewaymanagementapi', endpoint_url="
    "'http://localhost:3111/__ws/<socket>').post_to_connection(ConnectionId=..., Data=...) "
    "(in the cloud, the socket's endpoint that `eventual get service` lists, as https://)"
)
"""Why :func:`current_deployment` found none: what is possible, and what to do instead."""


def remaining_ms() -> RemainingMs | None:
    """How long the current invocation has left, where the caller said (``dispatch`` in Lambda);
    ``None`` elsewhere, and in threads a handler starts (they do not inherit the context)."""
    return _remaining.get()


def set_process_default(deployment: Deployment | None) -> Deployment | None:
    """Make ``deployment`` the one current outside any event; returns the previous default."""
    global _process_default
    previous, _process_default = _process_default, deployment
    return previous
