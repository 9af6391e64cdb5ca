"""``socket(...)``: declaring a WebSocket endpoint, and which sockets make a service."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from eventual.deployment import Deployment, current_deployment
from eventual.errors import ConfigurationError, ConnectionGone, DuplicateSocketError
from eventual.middleware import Dispatch, Handler, MiddlewareSpec, compile_chain, steps_for
from eventual.payload import checked_payload
from eventual.records import Record, init_fields
from eventual.requests import Payload
from eventual.routes import (
    DEFAULT_ROUTE_SELECTION,
    EVENT_TYPES,
    ROUTES,
    EventType,
    check_route_key,
    event_type_of,
    select_route,
    selection_path,
)
from eventual.socket_options import SocketOptions as SocketOptions  # re-exported: its old home

if TYPE_CHECKING:
    from eventual.broadcast import BroadcastResult
    from eventual.connections import Connection, ConnectionInfo
    from eventual.models import MessageType
    from eventual.typed import Route


def _accept(request: Any, context: Any) -> None:
    """What a missing handler does: accept the connection, ignore the event."""
    return None


class Location(Record):
    """Where a socket was declared, for error messages."""

    __slots__ = ("filename", "lineno", "module")
    _compared = ("module", "filename", "lineno")

    module: str
    filename: str
    lineno: int

    def __init__(self, module: str, filename: str, lineno: int) -> None:
        init_fields(self, module=module, filename=filename, lineno=lineno)

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}"


class Socket:
    """A declared WebSocket endpoint: its handlers, middleware and deployment options.

    Created with :data:`eventual.socket`; ``send``/``disconnect`` reach its connections through
    API Gateway's management API (or the dev server's, under ``eventual local``).
    """

    __slots__ = (
        "_dispatchers",
        "_selection_path",
        "handlers",
        "location",
        "message_routes",
        "middlewares",
        "name",
        "options",
        "pushes",
        "types",
    )

    def __init__(
        self,
        name: str,
        handlers: Mapping[str, Handler | Route],
        *,
        middlewares: tuple[MiddlewareSpec, ...] = (),
        options: SocketOptions | None = None,
        location: Location | None = None,
        message: Any = None,
        pushes: Iterable[Any] = (),
    ) -> None:
        if not isinstance(name, str) or not name:
            raise ValueError(f"a socket needs a non-empty string name, got {name!r}")
        for key in handlers:
            check_route_key(name, key)
        pushed, plain = tuple(pushes), dict[str, Any](handlers)
        self.types: Mapping[str, Route] = {}  # typed routes (``route(...)``, the socket's ``message=``)
        self.pushes: tuple[MessageType, ...] = ()  # what it sends its clients, for its AsyncAPI document
        if message is not None or pushed or not all(map(callable, plain.values())):
            from eventual.typed import typed_handlers  # only typed sockets load it (cold start)

            plain, self.types, self.pushes = typed_handlers(name, handlers, message, pushed)
        self.name = name
        self.handlers: Mapping[str, Handler] = plain
        self.middlewares = middlewares
        self.options = options or SocketOptions()
        self.location = location
        self.message_routes: tuple[str, ...] = tuple(key for key in self.handlers if key not in ROUTES)
        """The socket's own routes, selected by the message (``route_selection``)."""
        self._selection_path = selection_path(name, self.options.route_selection)
        self._dispatchers = self._compile()

    def _compile(self) -> dict[str, Dispatch]:
        """One chain per route: the middleware of its event type, then its handler (behind its
        messages' validation, if typed). Without message routes, a missing handler accepts."""
        per_event: dict[EventType, list[Callable[..., Any]]] = {t: [] for t in EVENT_TYPES}
        for spec in self.middlewares:
            for event_type, step in steps_for(spec).items():
                per_event[event_type].append(step)
        handlers = self.handlers
        if self.types or self.options.subprotocols:
            from eventual.typed import declared_handlers

            handlers = declared_handlers(self)
        return {
            route: compile_chain(per_event[event_type_of(route)], handlers.get(route, _accept))
            for route in (*ROUTES, *self.message_routes)
        }

    @property
    def typed(self) -> bool:
        """Whether the socket declares any type (its function then needs pydantic)."""
        return bool(self.types or self.pushes)

    def __repr__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        return f"<Socket {self.name!r}{where}>"

    def dispatcher(self, route_key: str) -> Dispatch:
        """The compiled middleware chain and handler of a route (``$default`` for a route key the
        socket does not declare)."""
        return self._dispatchers.get(route_key) or self._dispatchers["$default"]

    @property
    def has_default_route(self) -> bool:
        """Whether the API has a ``$default`` route: declared, or implied by having no message
        routes (then every message is the socket's ``$default``, handled or ignored)."""
        return "$default" in self.handlers or not self.message_routes

    def select_route(self, body: str | bytes) -> str | None:
        """The route API Gateway runs for a message: a message route the body selects, else
        ``$default``; ``None`` where there is neither (API Gateway then answers the client with
        an error, :func:`eventual.runtime.apigateway.no_route_message`)."""
        selected = select_route(self._selection_path, self.message_routes, body)
        if selected is not None:
            return selected
        return "$default" if self.has_default_route else None

    # -- reaching connections, through the current deployment ------------------------------

    @property
    def wss_endpoint(self) -> str:
        """The ``wss://`` (or local ``ws://``) URL clients connect to."""
        return current_deployment().urls(self.name).wss

    @property
    def http_endpoint(self) -> str:
        """The management API's base URL (``https://`` in the cloud)."""
        return current_deployment().urls(self.name).http

    def send(self, connection_id: str, data: Payload) -> None:
        """Send ``data`` to one connection; raises :class:`eventual.ConnectionGone` if closed.

        On a socket that tracks connections, a gone connection is forgotten as well.
        """
        deployment = current_deployment()
        try:
            deployment.management(self.name).post(connection_id, checked_payload(data))
        except ConnectionGone:
            self._forget_gone(deployment, connection_id)
            raise

    def disconnect(self, connection_id: str) -> None:
        """Close one connection; raises :class:`eventual.ConnectionGone` if already closed."""
        current_deployment().management(self.name).disconnect(connection_id)

    def connection_info(self, connection_id: str) -> ConnectionInfo:
        """API Gateway's record of an open connection, JSON-ready (a handler may return it):
        ``{"connectionId", "connectedAt", "lastActiveAt", "sourceIp", "userAgent"}``, times in
        epoch milliseconds. Raises :class:`eventual.ConnectionGone` if it is closed."""
        return current_deployment().management(self.name).info(connection_id)

    # -- tracked connections --------------------------------------------------------------

    def connections(self) -> Iterator[Connection]:
        """Every open connection, read page by page (``track_connections=True``), as JSON-ready
        records: ``{"connectionId", "identity", "connectedAt"}``, the identity as the socket's
        authorizer returned it (``None`` without one), ``connectedAt`` in epoch milliseconds."""
        self._require_tracking("connections()")
        return current_deployment().connections.connections(self.name)

    def broadcast(
        self,
        data: Payload,
        *,
        exclude: str | Iterable[str] = (),
        concurrency: int = 16,
        fan_out_above: int | None = None,
    ) -> BroadcastResult:
        """Send ``data`` to every open connection but ``exclude``, ``concurrency`` at a time.

        Gone connections are forgotten and counted, not raised. Where the service has a fan-out
        queue, a room of more than ``fan_out_above`` connections (default: the socket's, then the
        service's, 1,000) is queued in batches for its workers instead, and so is the rest of a
        smaller room when the invocation's time runs low; the result says how many were
        ``delivered`` here and how many ``queued``, under which ``broadcast_id``.
        """
        from eventual.broadcast import broadcast  # its thread pool is for those who broadcast

        self._require_tracking("broadcast()")
        excluded = {exclude} if isinstance(exclude, str) else set(exclude)
        return broadcast(self, current_deployment(), data, excluded, concurrency, fan_out_above)

    def forget(self, connection_id: str, deployment: Deployment | None = None) -> None:
        """Drop a connection from the tracked set (no-op on a socket that does not track)."""
        if self.options.track_connections:
            (deployment or current_deployment()).connections.delete(self.name, connection_id)

    def _forget_gone(self, deployment: Deployment, connection_id: str) -> None:
        """Forget a gone connection without hiding ``ConnectionGone`` from the sender: a function
        that may send on this socket but not write its table still learns the connection is gone."""
        try:
            self.forget(connection_id, deployment)
        except Exception as error:
            import logging  # only on this rare path: logging costs every cold start otherwise

            logging.getLogger("eventual").warning(
                "socket %r: could not forget gone connection %s: %s", self.name, connection_id, error
            )

    def _require_tracking(self, what: str) -> None:
        if not self.options.track_connections:
            raise ConfigurationError(
                f"socket {self.name!r}: {what} needs socket(..., track_connections=True)"
            )


_declaration_checks = True


def set_declaration_checks(enabled: bool) -> bool:
    """Whether ``socket(...)``/``use(...)`` run :mod:`eventual.checks`; returns the previous value.
    Off while the Lambda entry imports the entry: synth checked it, and ``inspect`` costs ~3 ms."""
    global _declaration_checks
    previous, _declaration_checks = _declaration_checks, enabled
    return previous


# -- a service's sockets --------------------------------------------------------------------


def sockets_of(entry: str) -> dict[str, Socket]:
    """The sockets of the service whose entry module is ``entry`` (imported by the caller), by name:
    every :class:`Socket` bound to a top-level name of the module, declared there
    (``chat = socket("chat", ...)``) or imported into it (``from myapp.chat import chat``).

    The one rule for ``Service``, the Lambda entry, the test client, its fixtures and ``eventual
    local`` (docs/architecture.md, "A service's sockets"): what other modules declare, even in the
    entry's package, belongs to the service only through the entry. Raises
    :class:`ConfigurationError` when there is none, :class:`DuplicateSocketError` when two differ
    in all but their name.
    """
    found = named_sockets(vars(sys.modules[entry]).items(), f"entry {entry!r}")
    if not found:
        raise ConfigurationError(
            f"entry {entry!r} declares no socket: bind each socket to a name in it "
            '(chat = socket("chat", ...)) or import it there (from myapp.chat import chat)'
        )
    return found


def named_sockets(bindings: Iterable[tuple[str, object]], where: str) -> dict[str, Socket]:
    """The sockets among ``bindings`` (name, value), by socket name, in name order; one socket
    bound to two names counts once, two sockets of one name raise :class:`DuplicateSocketError`."""
    found: dict[str, tuple[str, Socket]] = {}
    for binding, value in bindings:
        if not isinstance(value, Socket):
            continue
        seen = found.get(value.name)
        if seen is None:
            found[value.name] = (binding, value)
        elif seen[1] is not value:
            raise DuplicateSocketError(
                f"{where} has two sockets named {value.name!r}: {_declared(*seen)} and "
                f"{_declared(binding, value)}; socket names must be unique within a service"
            )
    return {name: sock for name, (_, sock) in sorted(found.items())}


def _declared(binding: str, sock: Socket) -> str:
    return f"`{binding}` declared at {sock.location or 'an unknown place'}"


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


class SocketChain(Record):
    """A middleware chain that declares sockets; :data:`eventual.socket` is the empty one.

    ``socket(name, handlers)`` and ``chain.socket(name, handlers)`` declare a socket whose
    events first pass through the chain's middleware; ``chain.use(spec)`` returns a longer
    chain and leaves this one unchanged.
    """

    __slots__ = ("middlewares",)

    middlewares: tuple[MiddlewareSpec, ...]

    def __init__(self, middlewares: tuple[MiddlewareSpec, ...] = ()) -> None:
        init_fields(self, middlewares=middlewares)

    def use(self, middleware: MiddlewareSpec) -> SocketChain:
        """A new chain with ``middleware`` appended.

        ``middleware`` is one callable (runs for connect, disconnect and message) or a mapping
        with keys ``"connect"``, ``"disconnect"``, ``"message"``.
        """
        steps_for(middleware)  # validate now, where the mistake is
        if _declaration_checks:
            from eventual.checks import check_middleware  # inspect: see set_declaration_checks

            check_middleware(middleware)
        return SocketChain((*self.middlewares, middleware))

    def socket(
        self,
        name: str,
        handlers: Mapping[str, Handler | Route] | None = None,
        *,
        memory_size: int | None = None,
        timeout: int | None = None,
        authorizer: Callable[[Any], Any] | None = None,
        track_connections: bool = False,
        route_selection: str = DEFAULT_ROUTE_SELECTION,
        fan_out_above: int | None = None,
        message: Any = None,
        pushes: Iterable[Any] = (),
        subprotocols: Iterable[str] = (),
    ) -> Socket:
        """Declare a socket named ``name`` with handlers for ``$connect``, ``$disconnect``,
        ``$default`` and message routes of its own (any other key), the latter selected by
        ``route_selection`` (``$request.body.action``: a JSON message's ``action``).
        ``fan_out_above``: see :meth:`Socket.broadcast`. ``message``, ``pushes``: the type of every
        message route's messages (in ``context["message"]``), the types it sends (:mod:`eventual.typed`);
        ``subprotocols``: those it speaks (:mod:`eventual.subprotocols`)."""
        sock = Socket(
            name,
            handlers or {},
            middlewares=self.middlewares,
            options=SocketOptions(
                memory_size=memory_size,
                timeout=timeout,
                authorizer=authorizer,
                track_connections=track_connections,
                route_selection=route_selection,
                fan_out_above=fan_out_above,
                subprotocols=tuple(subprotocols),
            ),
            location=_caller_location(),
            message=message,
            pushes=pushes,
        )
        if _declaration_checks:
            from eventual.checks import check_socket

            check_socket(sock)
        return sock

    __call__ = socket


socket = SocketChain()
"""Declare a socket: ``socket("name", {"$connect": ..., "$default": ...})``; chain with ``use``."""
