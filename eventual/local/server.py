"""The dev server: one port for the sockets, their management API and the service's web page.

Each TCP connection gets a thread of its own. A WebSocket's thread reads its frames and runs its
handlers (through :func:`eventual.runtime.dispatch.dispatch`, the path Lambda takes), so events
of one connection arrive in order and a slow handler stalls no other connection. A handler's
``send`` is an HTTP request from boto3 back into this server, served by another thread: it
cannot deadlock.

Chosen by measurement (benchmarks/bench_local.py): on a 2-core machine this design echoes at
about the speed of a bare ``websockets`` server, where handing each message from an asyncio
loop to a thread pool and back was slower.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from websockets.frames import CloseCode, Frame
from websockets.http11 import Request
from websockets.server import ServerProtocol

from eventual.deployment import Deployment, SocketUrls
from eventual.local import management
from eventual.local.authorizer import Refused, authorizer_context
from eventual.local.connection import GOING_AWAY, Limits, WebSocketConnection
from eventual.local.events import EventFactory, new_caller, with_identity
from eventual.local.http import HttpError, HttpReader, HttpRequest, response
from eventual.local.static import static_response
from eventual.payload import MAX_PAYLOAD_BYTES
from eventual.runtime.apigateway import reply_of
from eventual.runtime.connections import InMemoryConnectionStore
from eventual.runtime.dispatch import dispatch
from eventual.runtime.management import ManagementClient
from eventual.sockets import Socket

logger = logging.getLogger("eventual.local")

WS_PREFIX = "__ws"
REQUEST_TIMEOUT = 30.0
"""Seconds a client may take to send a request head (or stay idle between keep-alive requests)."""
DISCONNECT_GRACE = 10.0
"""Seconds shutdown waits for ``$disconnect`` handlers still running."""


class DevServer:
    """Serves a service's sockets like API Gateway: ``ws://HOST:PORT/__ws/<socket>``.

    ``start()`` binds and serves in background threads; ``shutdown()`` closes every connection
    with 1001 (running ``$disconnect`` for each) and stops. Also a context manager.
    """

    def __init__(
        self,
        service: str,
        sockets: Mapping[str, Socket],
        *,
        host: str = "127.0.0.1",
        port: int = 3111,
        limits: Limits | None = None,
        web_dir: Path | None = None,
    ) -> None:
        self.service = service
        self.host = host
        self.limits = limits or Limits()
        self.web_dir = web_dir.resolve() if web_dir else None
        self._sockets: dict[str, Socket] = dict(sockets)
        self._requested_port = port
        self._listener: socket.socket | None = None
        self._events: EventFactory | None = None
        self._connections: dict[str, WebSocketConnection] = {}
        self._clients: dict[socket.socket, threading.Thread] = {}
        self._websocket_threads: set[threading.Thread] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._urls: dict[str, SocketUrls] = {}
        self.deployment = Deployment(
            service,
            self._urls,
            # Handlers' send() goes through boto3 back into this server, as it goes to API
            # Gateway's management API in the cloud.
            management=ManagementClient,
            # connections()/broadcast() read this, as they read the service's table in the cloud.
            connections=InMemoryConnectionStore(),
        )
        """What this server's handlers run in (``dispatch`` makes it current)."""

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Bind (``OSError`` if the port is taken) and serve in the background."""
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._listener = socket.create_server((self.host, self._requested_port), family=family, backlog=4096)
        self._listener.setblocking(False)
        self._events = EventFactory(f"{self.url_host}:{self.port}", server_port=self.port)
        self._publish_urls()
        self._wake_r, self._wake_w = socket.socketpair()
        self._accept_thread = threading.Thread(target=self._accept_loop, name="eventual-accept", daemon=True)
        self._accept_thread.start()

    def shutdown(self) -> None:
        """Close every connection with 1001 "Going away", run their ``$disconnect``, stop."""
        if self._stopping.is_set() or self._listener is None:
            return
        self._stopping.set()
        for conn in list(self._connections.values()):
            conn.close(CloseCode.GOING_AWAY, GOING_AWAY)
        self._join(self._websocket_threads, self.limits.close_timeout)
        for conn in list(self._connections.values()):
            conn.abort()  # clients that never answered the close frame
        self._join(self._websocket_threads, DISCONNECT_GRACE)
        assert self._wake_r is not None and self._wake_w is not None
        self._wake_w.send(b"x")
        if self._accept_thread is not None:
            self._accept_thread.join()
        self._listener.close()
        for sock in list(self._clients):
            _shutdown_socket(sock)  # idle keep-alive connections of management API clients
        self._join(set(self._clients.values()), 1.0)
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> DevServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- what it serves -------------------------------------------------------------------

    @property
    def port(self) -> int:
        assert self._listener is not None, "start() the server first"
        return int(self._listener.getsockname()[1])

    @property
    def url_host(self) -> str:
        """The host in URLs that reach this server from this machine."""
        assert self._listener is not None, "start() the server first"
        bound = str(self._listener.getsockname()[0])
        if bound in ("0.0.0.0", ""):
            return "127.0.0.1"
        if ":" in bound:
            return "[::1]" if bound == "::" else f"[{bound}]"
        return bound

    @property
    def sockets(self) -> Mapping[str, Socket]:
        return self._sockets

    @property
    def connections(self) -> Mapping[str, WebSocketConnection]:
        """Open connections by id."""
        return self._connections

    def socket_urls(self, name: str) -> dict[str, str]:
        """``{"wss": ws://..., "http": http://...}``: where clients connect, and its management API."""
        path = f"{self.url_host}:{self.port}/{WS_PREFIX}/{quote(name, safe='')}"
        return {"wss": f"ws://{path}", "http": f"http://{path}"}

    def replace_sockets(self, sockets: Mapping[str, Socket]) -> None:
        """Serve new handlers (hot reload); open connections keep going with them."""
        self._sockets = dict(sockets)
        self._publish_urls()

    def _publish_urls(self) -> None:
        # In place: the deployment reads this mapping on every look-up.
        self._urls.clear()
        self._urls.update({name: SocketUrls(**self.socket_urls(name)) for name in self._sockets})

    # -- accepting ------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None and self._wake_r is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r:
                        return
                    self._accept()

    def _accept(self) -> None:
        assert self._listener is not None
        try:
            sock, address = self._listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        except OSError as error:  # out of file descriptors: let clients wait in the backlog
            logger.error("cannot accept a connection: %s", error)
            time.sleep(0.1)
            return
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        thread = threading.Thread(target=self._serve_client, args=(sock, address), daemon=True)
        with self._lock:
            self._clients[sock] = thread
        thread.start()

    # -- one client -----------------------------------------------------------------------

    def _serve_client(self, sock: socket.socket, address: Any) -> None:
        reader = HttpReader(sock)
        try:
            sock.settimeout(REQUEST_TIMEOUT)
            while True:
                request = reader.read_request()
                if request is None or not self._serve_request(sock, reader, request, str(address[0])):
                    return
        except HttpError as error:
            _send_quietly(sock, response(error.status, f"{error.message}\n".encode(), keep_alive=False))
        except OSError:
            pass  # the client went away
        except Exception:  # the server outlives any bug in serving one client
            logger.exception("error serving a client")
        finally:
            with self._lock:
                self._clients.pop(sock, None)
            sock.close()

    def _serve_request(self, sock: socket.socket, reader: HttpReader, request: HttpRequest, ip: str) -> bool:
        """Answer one request; ``True`` to read another from the same connection."""
        parts = request.path.split("/")
        if len(parts) > 2 and parts[1] == WS_PREFIX:
            name = unquote(parts[2])
            if len(parts) == 3:
                if not request.is_websocket_upgrade:
                    sock.sendall(response(426, b"Upgrade Required: this is a WebSocket endpoint\n"))
                    return request.keep_alive
                self._serve_websocket(sock, reader, request, name, ip)
                return False
            if len(parts) == 5 and parts[3] == "@connections":
                body = reader.read_body(request)
                if name not in self._sockets:
                    sock.sendall(management.not_found(name, list(self._sockets)))
                else:
                    sock.sendall(
                        management.handle(self._connections, name, request.method, unquote(parts[4]), body)
                    )
                return request.keep_alive
            sock.sendall(response(404, b"Not found\n"))
            return request.keep_alive
        reader.read_body(request)
        sock.sendall(static_response(self.web_dir, request.path, request.method, self._index_text()))
        return request.keep_alive

    def _index_text(self) -> str:
        lines = [f"Eventual Dev Server: service {self.service}", "Sockets are available at:"]
        lines += [f"{name} - {self.socket_urls(name)['wss']}" for name in self._sockets]
        return "\n".join(lines) + "\n"

    # -- one WebSocket --------------------------------------------------------------------

    def _serve_websocket(
        self, sock: socket.socket, reader: HttpReader, request: HttpRequest, name: str, ip: str
    ) -> None:
        declared = self._sockets.get(name)
        if declared is None:
            sock.sendall(response(404, f"No socket named {name!r}\n".encode(), keep_alive=False))
            return
        if self._stopping.is_set():
            sock.sendall(response(503, b"The dev server is shutting down\n", keep_alive=False))
            return
        thread = threading.current_thread()
        self._websocket_threads.add(thread)
        try:
            self._run_websocket(sock, reader, request, name, declared, ip)
        finally:
            self._websocket_threads.discard(thread)

    def _run_websocket(
        self,
        sock: socket.socket,
        reader: HttpReader,
        request: HttpRequest,
        name: str,
        declared: Socket,
        ip: str,
    ) -> None:
        conn = self._handshake(sock, reader.take_buffer(), request, name, declared, ip)
        if conn is None:
            return
        assert self._events is not None
        events, peer = self._events, conn.peer
        self._connections[peer.connection_id] = conn
        try:
            if self._stopping.is_set():
                conn.close(CloseCode.GOING_AWAY, GOING_AWAY)
            for body in conn.messages():
                current = self._sockets.get(name, declared)
                reply = _reply_bytes(dispatch(current, events.message(peer, body), self.deployment))
                if reply:  # $default's return value is the route response
                    conn.send_text(reply)
        finally:
            # In the cloud the connection is gone for the management API before $disconnect runs.
            self._connections.pop(peer.connection_id, None)
            sock.close()
            code, reason = conn.close_status()
            dispatch(
                self._sockets.get(name, declared), events.disconnect(peer, code, reason), self.deployment
            )

    def _handshake(
        self,
        sock: socket.socket,
        early_data: bytes,
        request: HttpRequest,
        name: str,
        declared: Socket,
        ip: str,
    ) -> WebSocketConnection | None:
        """The opening handshake, ``$connect`` included; ``None`` if it did not open.

        Its own function so that what only the handshake needs is freed once it is done: an
        idle connection should cost little memory.
        """
        assert self._events is not None
        protocol = ServerProtocol(max_size=MAX_PAYLOAD_BYTES)
        protocol.receive_data(request.head + early_data)
        received = protocol.events_received()
        if not received or not isinstance(received[0], Request):
            _send_all(sock, protocol.data_to_send())  # websockets' own answer to a bad request
            return None
        handshake = protocol.accept(received[0])
        if handshake.status_code != 101:
            protocol.send_response(handshake)
            _send_all(sock, protocol.data_to_send())
            return None

        # The authorizer, then $connect, run before the upgrade: a refusal is the handshake's answer.
        headers = received[0].headers
        peer = new_caller(ip, headers.get("User-Agent", ""))
        current = self._sockets.get(name, declared)
        if current.options.authorizer is not None:
            asking = self._events.authorizer(peer, headers.raw_items(), request.query)
            try:
                with self.deployment.activate():
                    peer = with_identity(peer, authorizer_context(current, asking))
            except Refused as refused:
                sock.sendall(refused.answer)
                return None
        connect = self._events.connect(peer, headers.raw_items(), request.query)
        result = dispatch(current, connect, self.deployment)
        status = int(result.get("statusCode", 200))
        if not 200 <= status < 300:
            sock.sendall(response(status, _reply_bytes(result), keep_alive=False))
            return None

        protocol.send_response(handshake)
        try:
            _send_all(sock, protocol.data_to_send())
        except OSError:
            # Gone before the upgrade completed; $connect accepted it, so $disconnect follows
            # (a tracked socket forgets it there).
            gone = self._events.disconnect(peer, CloseCode.ABNORMAL_CLOSURE, "")
            dispatch(self._sockets.get(name, declared), gone, self.deployment)
            return None
        early_frames = [event for event in received[1:] if isinstance(event, Frame)]
        return WebSocketConnection(sock, protocol, peer, self.limits, name, early_frames)

    @staticmethod
    def _join(threads: set[threading.Thread], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in list(threads):
            thread.join(max(0.0, deadline - time.monotonic()))


def _reply_bytes(result: Mapping[str, Any]) -> bytes:
    reply = reply_of(result)
    if reply is None:
        return b""
    return reply.encode() if isinstance(reply, str) else reply


def _send_all(sock: socket.socket, chunks: list[bytes]) -> None:
    for data in chunks:
        if data:
            sock.sendall(data)


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):
        sock.sendall(data)


def _shutdown_socket(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
