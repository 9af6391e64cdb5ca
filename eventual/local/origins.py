"""Only the developer's own pages reach the dev server (DNS rebinding, cross-origin requests).

API Gateway answers only the names of its API (its ``execute-api`` domain or a custom domain
mapped to it); here those are the loopback names and the ``--host`` given. A page on another
site can point its own DNS name at 127.0.0.1 ("DNS rebinding") and then read and drive the
server as same-origin: its requests carry that name in ``Host``, so they get 403. The management
API is IAM-signed in the cloud, which no browser page can do; here it is open, so a request that
carries a browser's ``Origin`` other than the server's own gets 403 too. WebSocket upgrades from
any origin are accepted, as API Gateway accepts them.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

_LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
_ANY = frozenset({"0.0.0.0", "::", ""})


class Origins:
    def __init__(self, host: str) -> None:
        bare = host.strip("[]").lower()
        self.names = _LOOPBACK | {bare}
        self.any_address = bare in _ANY
        """Listening on every address: this machine's own IP literals are its names too."""

    def host_allowed(self, host_header: str | None) -> bool:
        if host_header is None:
            return False
        name = _hostname(host_header)
        if name is None:
            return False
        if name in self.names:
            return True
        if self.any_address:  # a DNS rebinding attack needs a DNS name, never an IP literal
            try:
                ipaddress.ip_address(name)
            except ValueError:
                return False
            return True
        return False

    def origin_allowed(self, origin: str | None) -> bool:
        """No ``Origin`` (boto3, curl) or the server's own page's origin."""
        if origin is None:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and self.host_allowed(parts.netloc)


def _hostname(host_header: str) -> str | None:
    try:
        parts = urlsplit(f"//{host_header.strip()}")
        name = parts.hostname
        _ = parts.port  # raises on a port that is not a number
    except ValueError:
        return None
    return name.lower() if name else None
