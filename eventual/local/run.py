"""``eventual local`` end to end: load the project, serve it, print what a developer needs,
reload on edits, stop cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import errno
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from eventual.errors import ConfigurationError
from eventual.local.connection import Limits
from eventual.local.reload import Reloader, describe_failure
from eventual.local.server import DevServer
from eventual.local.static import web_dir_of
from eventual.project import Project, load_sockets, local_socket_url
from eventual.sockets import Socket

Echo = Callable[[str], None]

_LOOPBACK_OR_ANY = {"127.0.0.1", "localhost", "::1", "0.0.0.0", "::", ""}


class _Stop(Exception):
    """Raised in the main thread by SIGINT/SIGTERM."""


def serve(
    project: Project,
    *,
    host: str,
    port: int,
    limits: Limits,
    reload: bool,
    echo: Echo,
    echo_error: Echo,
) -> None:
    """Serve ``project`` until SIGINT/SIGTERM. Raises :class:`ConfigurationError` when the entry
    cannot be imported or the port cannot be bound."""
    sockets = _load(project)
    web_dir = web_dir_of(getattr(sys.modules[project.entry], "__file__", None))
    server = DevServer(project.service, sockets, host=host, port=port, limits=limits, web_dir=web_dir)
    try:
        server.start()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                f"port {port} on {host} is already in use: stop the other server or pass --port"
            ) from None
        raise ConfigurationError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None

    display_host = "localhost" if host in _LOOPBACK_OR_ANY else host
    _log_handler_failures(echo_error)
    echo(f"✔ Eventual Dev Server running on http://{display_host}:{server.port}.")
    echo("Sockets are available at:")
    for name in sockets:
        echo(f"{name} - {local_socket_url(name, host=display_host, port=server.port)}")
    if web_dir is not None:
        echo(f"Web page: http://{display_host}:{server.port}/ (from {web_dir})")
    echo("Watching for code changes; Ctrl-C to stop." if reload else "Ctrl-C to stop.")

    reloader = None
    if reload:

        def reloaded(new: dict[str, Socket]) -> None:
            added = sorted(set(new) - set(server.sockets))
            server.replace_sockets(new)
            echo(f"↻ Reloaded {project.entry}: {', '.join(new)}")
            for name in added:
                echo(f"{name} - {local_socket_url(name, host=display_host, port=server.port)}")

        def failed(message: str) -> None:
            echo_error(f"✘ Reload failed: {message}")
            echo_error("  Still serving the last handlers that imported.")

        reloader = Reloader(project, reloaded, failed)
        reloader.start()

    _wait_for_stop_signal()
    echo(f"Stopping: closing {len(server.connections)} connection(s)")
    if reloader is not None:
        reloader.stop()
    server.shutdown()


def _load(project: Project) -> dict[str, Socket]:
    try:
        sockets = load_sockets(project)
    except ConfigurationError as error:
        raise ConfigurationError(describe_failure(error, project.root.resolve())) from None
    if not sockets:
        raise ConfigurationError(f"entry {project.entry!r} declares no sockets")
    return sockets


def _wait_for_stop_signal() -> None:
    def stop(signum: int, frame: FrameType | None) -> None:
        raise _Stop

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        threading.Event().wait()
    except _Stop:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _HandlerFailure(logging.Formatter):
    """The runtime logs a failed handler as one JSON line (for CloudWatch); print it readably."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        try:
            data = json.loads(message)
            return f"✘ {data['message']} (route {data['route']}, connection {data['connectionId']})\n" + str(
                data.get("traceback", "")
            ).rstrip("\n")
        except (ValueError, KeyError, TypeError):
            return message


def _log_handler_failures(echo_error: Echo) -> None:
    class Echoing(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            echo_error(self.format(record))

    handler = Echoing()
    handler.setFormatter(_HandlerFailure())
    for name in ("eventual.runtime", "eventual.local"):
        log = logging.getLogger(name)
        log.addHandler(handler)
        log.propagate = False
