"""API Gateway's quotas on the opening handshake, applied alike by the dev server and the test
client. API Gateway checks them before any authorizer or integration runs, so Lambda code never
meets them, and the Lambda entry never imports this module.

The quotas: https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
"""

from __future__ import annotations

from typing import Any

URL_MAX_CHARS = 4096
""""Length, in characters, of the URL for a WebSocket API": 4096, which cannot be raised."""
URL_TOO_LONG = 414
"""AWS documents no answer for a longer URL. An HTTP front end refuses a target it will not read
with RFC 9110's "414 URI Too Long" (15.5.15) before any route runs, and API Gateway answers its own
refusals in JSON (``{"message": ...}``): so does the dev server, with the test client's
:class:`eventual.testing.Rejected` the same."""
URL_TOO_LONG_BODY: dict[str, Any] = {"message": "Request-URI Too Long"}


def url_too_long(url: str) -> bool:
    """Whether a handshake's URL (``ws://host/path?query``, as the client wrote it) passes the quota."""
    return len(url) > URL_MAX_CHARS
