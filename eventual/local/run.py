"""``eventual local`` end to end: load the project, serve it, print what a developer needs,
reload on edits, stop cleanly on Ctrl-C or SIGTERM."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

from eventual.deployment import set_process_default
from eventual.errors import ConfigurationError
from eventual.local.console import PAGE_PATH
from eventual.local.feed import EventRecord
from eventual.local.limits import Limits
from eventual.local.output import PRINTED_KINDS, event_line, whole_lines
from eventual.local.reload import Reloader, describe_failure
from eventual.local.server import DevServer
from eventual.local.static import web_dir_of
from eventual.project import Project, load_sockets
from eventual.sockets import Socket

Echo = Callable[[str], None]


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
    quiet: bool = False,
) -> None:
    """Serve ``project`` until SIGINT/SIGTERM. Raises :class:`ConfigurationError` when the entry
    cannot be imported or the port cannot be bound. Prints one line per event unless ``quiet``."""
    with _StopSignals() as stop, whole_lines():
        raise_open_file_limit()
        sockets = _load(project)
        web_dir = web_dir_of(getattr(sys.modules[project.entry], "__file__", None))
        server = DevServer(project.service, sockets, host=host, port=port, limits=limits, web_dir=web_dir)
        _start(server, host, port)
        # The one service of this process: threads a handler starts reach its connections too,
        # as they do in Lambda.
        set_process_default(server.deployment)
        _log_handler_failures(echo_error)
        if not quiet:
            _print_events(server, echo)
        display_host = server.url_host  # the one host the server gives out

        def socket_line(name: str) -> str:
            return f"{name} - {server.socket_urls(name)['wss']}"

        def reloaded(new: dict[str, Socket]) -> None:
            added = sorted(set(new) - set(server.sockets))
            server.replace_sockets(new)
            echo(f"↻ Reloaded {project.entry}: {', '.join(new)}")
            for name in added:
                echo(socket_line(name))

        def failed(message: str) -> None:
            echo_error(f"✘ Reload failed: {message}")
            echo_error("  Still serving the last handlers that imported.")

        reloader = Reloader(project, reloaded, failed) if reload else None
        if reloader is not None:
            reloader.start()  # before the banner: an edit made once it is printed is seen

        echo(f"✔ Eventual Dev Server running on http://{display_host}:{server.port}.")
        echo("Sockets are available at:")
        for name in sockets:
            echo(socket_line(name))
        if web_dir is not None:
            echo(f"Web page: http://{display_host}:{server.port}/ (from {web_dir})")
        echo(f"API docs: http://{display_host}:{server.port}/__eventual/docs")
        echo(f"Console: http://{display_host}:{server.port}{PAGE_PATH}")
        echo("Watching for code changes; Ctrl-C to stop." if reload else "Ctrl-C to stop.")

        stop.wait()
        echo(f"Stopping: closing {len(server.connections)} connection(s)")
        if reloader is not None:
            reloader.stop()
        server.shutdown()


def raise_open_file_limit() -> None:
    """Every connection is an open socket: lift the soft limit (often 1,024) to the hard one."""
    try:
        import resource
    except ImportError:  # not on POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 1 << 16 if hard == resource.RLIM_INFINITY else hard
    if soft != resource.RLIM_INFINITY and soft < wanted:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _start(server: DevServer, host: str, port: int) -> None:
    try:
        server.start()
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                f"port {port} on {host} is already in use: stop the other server or pass --port"
            ) from None
        raise ConfigurationError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def _load(project: Project) -> dict[str, Socket]:
    try:
        return load_sockets(project)
    except ConfigurationError as error:
        raise ConfigurationError(describe_failure(error, project.root.resolve())) from None


class _StopSignals:
    """SIGINT and SIGTERM, caught from the start so that one arriving during startup still
    ends in a clean shutdown; :meth:`wait` returns once one has arrived."""

    def __enter__(self) -> _StopSignals:
        self.requested = False
        self.waiting = False
        self.previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc_info: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested and signum == signal.SIGINT and not self.waiting:
            # A second Ctrl-C while shutting down: the developer does not want to wait.
            os.write(2, b"Forced exit: $disconnect handlers still running were not waited for\n")
            os._exit(130)
        self.requested = True
        if self.waiting:
            raise _Stop

    def wait(self) -> None:
        try:
            self.waiting = True
            if not self.requested:
                threading.Event().wait()
        except _Stop:
            pass
        finally:
            self.waiting = False


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


def _print_events(server: DevServer, echo: Echo) -> None:
    """One line per event on the terminal, from the server's event feed (the console's too)."""

    def print_event(event: EventRecord) -> None:
        if event.kind in PRINTED_KINDS:
            echo(event_line(event))

    server.feed.add_sink(print_event)


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
