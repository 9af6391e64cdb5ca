"""``eventual connect``: an interactive WebSocket client for a socket, deployed or local (wscat's job).

The socket's URL comes from the stack's outputs (as ``eventual get service`` finds them), from the
dev server's address with ``--local``, or is given as a ``ws://``/``wss://`` URL. Lines read from
stdin are sent as text messages; messages received are printed. The protocol is the ``websockets``
library's (its threading client), imported inside the command.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import click

from eventual.cli.get_service import find_deployed
from eventual.cli.options import PROFILE_OPTION, REGION_OPTION, SERVICE_OPTION, STAGE_OPTION
from eventual.cli.readiness import url_problem

if TYPE_CHECKING:
    import queue

    from websockets.sync.client import ClientConnection

OPEN_TIMEOUT_SECONDS = 10.0
NORMAL_CLOSURES = frozenset({1000, 1001})
"""A close by the server with these codes ends the session without an error (API Gateway closes
an idle or too-old connection with 1001, "Going away")."""
_END = "end of input"


@click.command("connect", short_help="Talk to a socket from the terminal.")
@click.argument("target", metavar="SOCKET|URL")
@click.option("--local", is_flag=True, help="Connect to the dev server (`eventual local`), not the cloud.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=None, help="With --local: its port. [default: 3111]"
)
@click.option("-q", "--query", "queries", multiple=True, metavar="KEY=VALUE", help="Add to the query string.")
@click.option(
    "-H", "--header", "headers", multiple=True, metavar="NAME:VALUE", help="Add a handshake header."
)
@click.option("--subprotocol", "subprotocols", multiple=True, metavar="NAME", help="Offer a subprotocol.")
@click.option(
    "--wait",
    type=click.FloatRange(min=0),
    default=None,
    metavar="SECONDS",
    help="Once the input ends, wait this long for messages, then close. [default: until the server "
    "closes or Ctrl-C]",
)
@SERVICE_OPTION
@STAGE_OPTION
@REGION_OPTION
@PROFILE_OPTION
def connect(
    target: str,
    local: bool,
    port: int | None,
    queries: Sequence[str],
    headers: Sequence[str],
    subprotocols: Sequence[str],
    wait: float | None,
    service_name: str | None,
    stage: str | None,
    region: str | None,
    profile: str | None,
) -> None:
    """Connect to SOCKET of the deployed service (its URL from the stack's outputs, the service
    chosen as by `eventual get service`), of the dev server with --local, or to a ws:// or wss://
    URL. Each line typed or piped in is sent as a text message; each message received is printed
    (JSON pretty-printed on a terminal, as received when piped). A refused handshake prints its
    status and body and exits 1.

    \b
    Examples:
      eventual connect chat -q name=Ada -q key=let-me-in
      eventual connect lobby --local --subprotocol lobby.v1
      echo '{"action":"ping"}' | eventual connect lobby --local --wait 1
    """
    url = _with_query(_url(target, local, port, service_name, stage, region, profile), queries)
    extra_headers = [_header(h) for h in headers]
    connection = _open(url, extra_headers, list(subprotocols), local)
    chosen = f" (subprotocol {connection.subprotocol})" if connection.subprotocol else ""
    _status(f"connected to {url}{chosen}")
    code = _session(connection, wait)
    raise click.exceptions.Exit(code)


def _url(
    target: str,
    local: bool,
    port: int | None,
    service_name: str | None,
    stage: str | None,
    region: str | None,
    profile: str | None,
) -> str:
    if target.startswith(("ws://", "wss://")):
        if local or port is not None:
            raise click.UsageError(
                "--local and --port pick the dev server's socket by name; a URL needs neither"
            )
        return target
    if port is not None and not local:
        raise click.UsageError("--port only applies with --local")
    if local:
        from eventual.project import DEFAULT_LOCAL_PORT, local_socket_url

        return local_socket_url(target, port=port or DEFAULT_LOCAL_PORT)
    service = find_deployed(service_name, stage, region, profile)
    url = service.endpoints.sockets.get(target)
    if url is None:
        sockets = ", ".join(sorted(service.endpoints.sockets)) or "(none)"
        raise click.ClickException(
            f"service {service.name} (stage {service.stage}) has no socket {target!r}; its sockets: {sockets}"
        )
    problem = url_problem(url, "wss")
    if problem:
        raise click.ClickException(f"socket {target}'s URL {url} is not ready: {problem}")
    return url


def _with_query(url: str, queries: Sequence[str]) -> str:
    """``url`` with each ``key=value`` added to its query string."""
    if not queries:
        return url
    pairs = []
    for item in queries:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="-q/--query")
        pairs.append((key, value))
    parts = urlsplit(url)
    query = urlencode([*parse_qsl(parts.query, keep_blank_values=True), *pairs])
    return urlunsplit(parts._replace(query=query))


def _header(item: str) -> tuple[str, str]:
    name, sep, value = item.partition(":")
    if not sep or not name.strip():
        raise click.BadParameter(f"{item!r} is not NAME:VALUE", param_hint="-H/--header")
    return name.strip(), value.strip()


def _open(url: str, headers: list[tuple[str, str]], subprotocols: list[str], local: bool) -> ClientConnection:
    """The open connection; a refused handshake prints its status and body and exits 1."""
    from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI
    from websockets.sync.client import connect as ws_connect

    try:
        return ws_connect(
            url,
            additional_headers=headers or None,
            subprotocols=subprotocols or None,  # type: ignore[arg-type]
            open_timeout=OPEN_TIMEOUT_SECONDS,
        )
    except InvalidStatus as refused:
        response = refused.response
        _status(f"handshake refused: {response.status_code} {response.reason_phrase}")
        body = (response.body or b"").decode("utf-8", "replace").strip()
        if body:
            click.echo(body, err=True)
        raise click.exceptions.Exit(1) from None
    except InvalidURI as error:
        raise click.ClickException(f"{url} is not a WebSocket URL: {error}") from None
    except InvalidHandshake as error:
        raise click.ClickException(f"handshake with {url} failed: {error}") from None
    except TimeoutError:
        raise click.ClickException(f"no handshake from {url} within {OPEN_TIMEOUT_SECONDS:g} s") from None
    except OSError as error:
        hint = " (is `eventual local` running?)" if local else ""
        raise click.ClickException(f"cannot connect to {url}: {error.strerror or error}{hint}") from None


def _session(connection: ClientConnection, wait: float | None) -> int:
    """Send stdin's lines and print what arrives, until the server closes, Ctrl-C, or the input ends
    and ``wait`` passes. Returns the exit code."""
    import queue
    import threading

    events: queue.Queue[str] = queue.Queue()
    pretty = sys.stdout.isatty()
    receiver = threading.Thread(target=_receive, args=(connection, pretty, events), daemon=True)
    receiver.start()
    threading.Thread(target=_send_input, args=(connection, events), daemon=True).start()
    try:
        first = events.get()
        if first == _END:
            with contextlib.suppress(queue.Empty):
                events.get(timeout=wait)
    except KeyboardInterrupt:
        pass
    connection.close()
    receiver.join(timeout=OPEN_TIMEOUT_SECONDS)
    return _closed(connection)


def _receive(connection: ClientConnection, pretty: bool, events: queue.Queue[str]) -> None:
    from websockets.exceptions import ConnectionClosed

    try:
        for message in connection:
            _print_message(message, pretty)
    except ConnectionClosed:
        pass
    finally:
        events.put("closed")


def _send_input(connection: ClientConnection, events: queue.Queue[str]) -> None:
    from websockets.exceptions import ConnectionClosed

    try:
        for line in sys.stdin:
            text = line.rstrip("\r\n")
            if text:
                connection.send(text)
    except ConnectionClosed:
        return
    events.put(_END)


def _print_message(message: str | bytes, pretty: bool) -> None:
    if isinstance(message, bytes):
        if pretty:
            more = "..." if len(message) > 32 else ""
            click.echo(f"(binary message, {len(message)} bytes: {message[:32].hex()}{more})")
        else:
            sys.stdout.buffer.write(message + b"\n")
            sys.stdout.flush()
        return
    if pretty:
        with contextlib.suppress(ValueError):
            message = json.dumps(json.loads(message), indent=2, ensure_ascii=False)
    click.echo(message)


def _closed(connection: ClientConnection) -> int:
    """Say how the connection ended: 0 when we closed it or the server did normally, else 1."""
    protocol = connection.protocol
    received = protocol.close_rcvd
    if protocol.close_rcvd_then_sent and received is not None:
        return _by_server(received.code, received.reason)
    if received is None and protocol.close_sent is None:
        _status("connection lost (no closing handshake)")
        return 1
    return 0


def _by_server(code: int, reason: str) -> int:
    _status(f"closed by the server: {code}{f' {reason}' if reason else ''}")
    return 0 if code in NORMAL_CLOSURES else 1


def _status(text: str) -> None:
    """What the session does, on stderr: stdout holds only the messages received."""
    click.echo(text, err=True)
