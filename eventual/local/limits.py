"""API Gateway's limits, as the dev server applies them (each cites the quota it follows). The
handshake's, which the test client applies too, are in :mod:`eventual.runtime.quotas` (the URL)
and :mod:`eventual.runtime.authorizer` (the authorizer's result).

The integration timeout is :mod:`eventual.runtime.integration`'s, which the test client applies too.

The quotas: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_FRAME_BYTES = 32 * 1024
"""API Gateway's WebSocket frame size quota (32 KB): a larger frame closes the connection with 1009."""
MAX_UNSENT_BYTES = 1024 * 1024
"""Bytes the server holds for a client that does not read (beyond what the OS buffers) before it
drops the connection. AWS documents no such bound; API Gateway must have one, and a dev server
holding unbounded data for a stalled browser tab would be the worse lie."""
WORKERS = 32
"""Threads that run handlers (the dev server's "Lambda concurrency"); the event loop never waits
for them."""


@dataclass(frozen=True, slots=True)
class Limits:
    """API Gateway's connection limits; shorter ones make the behaviour testable."""

    idle_timeout: float = 600.0
    """Seconds without a frame from the client before the connection closes (1001; quota: 10 minutes)."""
    max_duration: float = 7200.0
    """Seconds a connection may stay open at most (1001; quota: 2 hours)."""
    close_timeout: float = 2.0
    """Seconds to wait for the client's side of a closing handshake."""
    request_timeout: float = 30.0
    """Seconds a client may take to send a whole HTTP request (head and body), or stay idle
    between keep-alive requests."""

    def __post_init__(self) -> None:
        for name in ("idle_timeout", "max_duration", "close_timeout", "request_timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
