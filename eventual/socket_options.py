"""A socket's deployment options (``socket(..., memory_size=, timeout=, ...)``): what the
constructs read at synth and the runtime reads at run time. Re-exported by :mod:`eventual.sockets`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventual.records import Record, init_fields
from eventual.routes import DEFAULT_ROUTE_SELECTION


class SocketOptions(Record):
    """Deployment options of one socket's Lambda function."""

    __slots__ = (
        "authorizer",
        "fan_out_above",
        "memory_size",
        "route_selection",
        "subprotocols",
        "timeout",
        "track_connections",
    )
    _compared = (
        "memory_size",
        "timeout",
        "authorizer",
        "track_connections",
        "route_selection",
        "fan_out_above",
        "subprotocols",
    )

    memory_size: int | None
    """MB of memory; ``None`` takes the construct's default."""
    timeout: int | None
    """Seconds; ``None`` takes the construct's default (API Gateway waits at most 29 s)."""
    authorizer: Callable[[Any], Any] | None
    """``fn(connect_request) -> identity dict``, run before ``$connect`` (``eventual.runtime.authorizer``)."""
    track_connections: bool
    """Record open connections, for ``connections()`` and ``broadcast()``."""
    route_selection: str
    """The API's route selection expression: which property of a JSON message names its route."""
    fan_out_above: int | None
    """A ``broadcast()`` to more connections than this goes to the service's fan-out queue;
    ``None`` takes the service's (``Deployment.fan_out_above``, by default 1,000)."""
    subprotocols: tuple[str, ...]
    """The WebSocket subprotocols the socket speaks, preferred first: a connect must offer one, and
    the handshake answers the first offered (:mod:`eventual.subprotocols`); ``()`` for any."""

    def __init__(
        self,
        memory_size: int | None = None,
        timeout: int | None = None,
        authorizer: Callable[[Any], Any] | None = None,
        track_connections: bool = False,
        route_selection: str = DEFAULT_ROUTE_SELECTION,
        fan_out_above: int | None = None,
        subprotocols: tuple[str, ...] = (),
    ) -> None:
        if memory_size is not None and not 128 <= memory_size <= 10240:
            raise ValueError(f"memory_size must be 128..10240 MB, got {memory_size}")
        if timeout is not None and not 1 <= timeout <= 900:
            raise ValueError(f"timeout must be 1..900 seconds, got {timeout}")
        if authorizer is not None and not callable(authorizer):
            raise TypeError(f"authorizer must be callable, got {authorizer!r}")
        if fan_out_above is not None and fan_out_above < 0:
            raise ValueError(f"fan_out_above must be at least 0, got {fan_out_above}")
        if isinstance(subprotocols, str) or not all(
            isinstance(p, str) and p and p.isascii() and p.isprintable() and " " not in p and "," not in p
            for p in subprotocols
        ):
            raise ValueError(
                f"subprotocols must be a sequence of tokens such as 'chat.v1', got {subprotocols!r}"
            )
        init_fields(
            self,
            memory_size=memory_size,
            timeout=timeout,
            authorizer=authorizer,
            track_connections=track_connections,
            route_selection=route_selection,
            fan_out_above=fan_out_above,
            subprotocols=tuple(subprotocols),
        )
