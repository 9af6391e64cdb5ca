"""``socket(...)``: declaring a WebSocket endpoint, and the registry of declared sockets."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from eventual.errors import ConfigurationError, ConnectionGone, DuplicateSocketError
from eventual.middleware import (
    EVENT_TYPES,
    Dispatch,
    EventType,
    Handler,
    MiddlewareSpec,
    compile_chain,
    steps_for,
)
from eventual.requests import Payload

ROUTES: dict[str, EventType] = {
    "$connect": "connect",
    "$disconnect": "disconnect",
    "$default": "message",
}
"""API Gateway's route keys and the event type each one carries."""


def _accept(request: Any, context: Any) -> None:
    """What a missing handler does: accept the connection, ignore the event."""
    return None


@dataclass(frozen=True, slots=True)
class SocketOptions:
    """Deployment options of one socket's Lambda function."""

    memory_size: int | None = None
    """MB of memory; ``None`` takes the construct's default."""
    timeout: int | None = None
    """Seconds; ``None`` takes the construct's default (API Gateway waits at most 29 s)."""
    authorizer: Callable[[Any], Any] | None = None
    """``fn(connect_request) -> identity dict``, run before ``$connect`` (``eventual.runtime.authorizer``)."""
    track_connections: bool = False
    """Record open connections, for ``connections()`` and ``broadcast()``."""

    def __post_init__(self) -> None:
        if self.memory_size is not None and not 128 <= self.memory_size <= 10240:
            raise ValueError(f"memory_size must be 128..10240 MB, got {self.memory_size}")
        if self.timeout is not None and not 1 <= self.timeout <= 900:
            raise ValueError(f"timeout must be 1..900 seconds, got {self.timeout}")
        if self.authorizer is not None and not callable(self.authorizer):
            raise TypeError(f"authorizer must be callable, got {self.authorizer!r}")


@dataclass(frozen=True, slots=True)
class Location:
    """Where a socket was declared, for error messages."""

    module: str
    filename: str
    lineno: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}"


class Socket:
    """A declared WebSocket endpoint: its handlers, middleware and deployment options.

    Created with :data:`eventual.socket`; ``send``/``disconnect`` reach its connections through
    API Gateway's management API (or the dev server's, under ``eventual local``).
    """

    __slots__ = ("_dispatchers", "handlers", "location", "middlewares", "name", "options")

    def __init__(
        self,
        name: str,
        handlers: Mapping[str, Handler],
        *,
        middlewares: tuple[MiddlewareSpec, ...] = (),
        options: SocketOptions = SocketOptions(),
        location: Location | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a socket needs a non-empty string name, got {name!r}")
        unknown = set(handlers) - set(ROUTES)
        if unknown:
            raise ValueError(
                f"socket {name!r}: unknown handler key(s) {', '.join(sorted(map(repr, unknown)))}; "
                f"valid keys are {', '.join(map(repr, ROUTES))}"
            )
        for key, fn in handlers.items():
            if not callable(fn):
                raise TypeError(f"socket {name!r}: handler {key!r} is not callable: {fn!r}")
        self.name = name
        self.handlers: Mapping[str, Handler] = dict(handlers)
        self.middlewares = middlewares
        self.options = options
        self.location = location
        per_event: dict[EventType, list[Callable[..., Any]]] = {t: [] for t in EVENT_TYPES}
        for spec in middlewares:
            for event_type, step in steps_for(spec).items():
                per_event[event_type].append(step)
        self._dispatchers: dict[EventType, Dispatch] = {
            event_type: compile_chain(per_event[event_type], self.handlers.get(route, _accept))
            for route, event_type in ROUTES.items()
        }

    def __repr__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        return f"<Socket {self.name!r}{where}>"

    def dispatcher(self, event_type: EventType) -> Dispatch:
        """The compiled middleware chain and handler for one event type."""
        return self._dispatchers[event_type]

    # -- reaching connections -------------------------------------------------------------

    @property
    def wss_endpoint(self) -> str:
        """The ``wss://`` (or local ``ws://``) URL clients connect to."""
        from eventual.runtime.management import socket_urls

        return socket_urls(self.name)["wss"]

    @property
    def http_endpoint(self) -> str:
        """The management API's base URL (``https://`` in the cloud)."""
        from eventual.runtime.management import socket_urls

        return socket_urls(self.name)["http"]

    def send(self, connection_id: str, data: Payload) -> None:
        """Send ``data`` to one connection; raises :class:`eventual.ConnectionGone` if closed.

        On a socket that tracks connections, a gone connection is forgotten as well.
        """
        from eventual.runtime.management import management_client

        try:
            management_client(self.name).send(connection_id, data)
        except ConnectionGone:
            self._forget_gone(connection_id)
            raise

    def disconnect(self, connection_id: str) -> None:
        """Close one connection; raises :class:`eventual.ConnectionGone` if already closed."""
        from eventual.runtime.management import management_client

        management_client(self.name).disconnect(connection_id)

    def connection_info(self, connection_id: str) -> dict[str, Any]:
        """API Gateway's record of a connection: ``connectedAt``, ``lastActiveAt``, ``identity``."""
        from eventual.runtime.management import management_client

        return management_client(self.name).info(connection_id)

    # -- tracked connections --------------------------------------------------------------

    def connections(self) -> Iterator[str]:
        """The ids of every open connection, read page by page (``track_connections=True``)."""
        from eventual.runtime.connections import connection_store

        self._require_tracking("connections()")
        return connection_store().connection_ids(self.name)

    def broadcast(
        self, data: Payload, *, exclude: str | Iterable[str] = (), concurrency: int = 16
    ) -> BroadcastResult:
        """Send ``data`` to every open connection but ``exclude``, ``concurrency`` at a time.

        Gone connections are forgotten and counted, not raised.
        """
        from eventual.runtime.broadcast import broadcast

        self._require_tracking("broadcast()")
        excluded = {exclude} if isinstance(exclude, str) else set(exclude)
        return broadcast(self, data, excluded, concurrency)

    def forget(self, connection_id: str) -> None:
        """Drop a connection from the tracked set (no-op on a socket that does not track)."""
        if self.options.track_connections:
            from eventual.runtime.connections import connection_store

            connection_store().delete(self.name, connection_id)

    def _forget_gone(self, connection_id: str) -> None:
        """Forget a gone connection without hiding ``ConnectionGone`` from the sender: a function
        that may send on this socket but not write its table still learns the connection is gone."""
        try:
            self.forget(connection_id)
        except Exception as error:
            import logging

            logging.getLogger("eventual").warning(
                "socket %r: could not forget gone connection %s: %s", self.name, connection_id, error
            )

    def _require_tracking(self, what: str) -> None:
        if not self.options.track_connections:
            raise ConfigurationError(
                f"socket {self.name!r}: {what} needs socket(..., track_connections=True)"
            )


@dataclass(frozen=True, slots=True)
class BroadcastResult:
    """What a broadcast did: messages delivered, and connections found gone (and forgotten)."""

    delivered: int
    gone: int


# -- the registry ---------------------------------------------------------------------------

_registry: dict[str, Socket] = {}


def registry() -> Mapping[str, Socket]:
    """Every socket declared in this process, by name."""
    return _registry


def forget_declarations(module_names: Collection[str]) -> None:
    """Unregister the sockets these modules declared, before they are imported again (hot reload):
    a declaration that moved to another line is then not taken for a second socket of its name."""
    for name, sock in list(_registry.items()):
        if sock.location is not None and sock.location.module in module_names:
            del _registry[name]


def sockets_of(module_name: str) -> dict[str, Socket]:
    """The sockets an entry module declares: in the module, its package, or as its attributes.

    The caller imports the module first.
    """
    module = sys.modules[module_name]
    package = module_name.rpartition(".")[0]
    found = {
        s.name: s
        for s in _registry.values()
        if s.location
        and (s.location.module == module_name or (package and s.location.module.startswith(package + ".")))
    }
    for value in vars(module).values():
        if isinstance(value, Socket):
            found.setdefault(value.name, value)
    return dict(sorted(found.items()))


def _register(sock: Socket) -> None:
    existing = _registry.get(sock.name)
    if existing is not None and existing.location != sock.location:
        raise DuplicateSocketError(
            f"two sockets are named {sock.name!r}: one declared at {existing.location}, "
            f"another at {sock.location}; socket names must be unique within a service"
        )
    # The same declaration seen again is a module reload (hot reload, tests): replace it.
    _registry[sock.name] = sock


def _caller_location() -> Location | None:
    """The first frame outside this package: where the user declared the socket."""
    package_dir = os.path.dirname(__file__)
    frame = sys._getframe(1)
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == package_dir:
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return None
    return Location(
        module=str(frame.f_globals.get("__name__", "")),
        filename=frame.f_code.co_filename,
        lineno=frame.f_lineno,
    )


@dataclass(frozen=True)
class SocketChain:
    """A middleware chain that declares sockets; :data:`eventual.socket` is the empty one.

    ``socket(name, handlers)`` and ``chain.socket(name, handlers)`` declare a socket whose
    events first pass through the chain's middleware; ``chain.use(spec)`` returns a longer
    chain and leaves this one unchanged.
    """

    middlewares: tuple[MiddlewareSpec, ...] = field(default=())

    def use(self, middleware: MiddlewareSpec) -> SocketChain:
        """A new chain with ``middleware`` appended.

        ``middleware`` is one callable (runs for connect, disconnect and message) or a mapping
        with keys ``"connect"``, ``"disconnect"``, ``"message"``.
        """
        steps_for(middleware)  # validate now, where the mistake is
        return SocketChain((*self.middlewares, middleware))

    def socket(
        self,
        name: str,
        handlers: Mapping[str, Handler] | None = None,
        *,
        memory_size: int | None = None,
        timeout: int | None = None,
        authorizer: Callable[[Any], Any] | None = None,
        track_connections: bool = False,
    ) -> Socket:
        """Declare a socket named ``name`` with ``$connect``/``$disconnect``/``$default`` handlers."""
        sock = Socket(
            name,
            handlers or {},
            middlewares=self.middlewares,
            options=SocketOptions(
                memory_size=memory_size,
                timeout=timeout,
                authorizer=authorizer,
                track_connections=track_connections,
            ),
            location=_caller_location(),
        )
        _register(sock)
        return sock

    __call__ = socket


socket = SocketChain()
"""Declare a socket: ``socket("name", {"$connect": ..., "$default": ...})``; chain with ``use``."""
