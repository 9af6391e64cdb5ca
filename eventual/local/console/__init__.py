"""The dev server's console in the browser, at ``http://localhost:3111/__eventual/``: the
service's sockets, every event live, the open connections and a client, served by the dev
server itself from this package (no CDN, no build step).

- :mod:`.describe`: the sockets, connections and event records as JSON-ready values;
- :mod:`.live`: the live feed, Server-Sent Events over h11;
- :mod:`.actions`: send and disconnect, as a handler does them;
- :mod:`.endpoint`: the paths, and who may reach them (this machine only);
- ``static/``: the page, its script and style, and the vendored Preact + htm (one file).

The events come from the server's feed (:mod:`eventual.local.feed`), the terminal's lines' one
source.
"""

from eventual.local.console.endpoint import PAGE_PATH, Console

__all__ = ["PAGE_PATH", "Console"]
