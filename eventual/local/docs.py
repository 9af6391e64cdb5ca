"""The live API docs at ``/__eventual/docs``: the service's AsyncAPI document
(``/__eventual/asyncapi.json``), rendered by the official ``@asyncapi/react-component``.

Its standalone bundle and stylesheet are vendored under ``docs/asyncapi-react/`` (with their
license and version; ``make vendor-docs`` copies them from the version ``package-lock.json`` pins),
so the page works offline and users need no Node.
"""

from __future__ import annotations

import html
from pathlib import Path

from eventual.local.http import Reply, response
from eventual.local.static import static_response

DOCS_PATH = "/__eventual/docs"
DOCS_DIR = Path(__file__).resolve().parent / "docs"
VENDORED = DOCS_DIR / "asyncapi-react"


def docs_response(path: str, method: str, service: str) -> Reply:
    """The page at ``/__eventual/docs``, the bundle's files below it."""
    if path in (DOCS_PATH, f"{DOCS_PATH}/"):
        if method not in ("GET", "HEAD"):
            return response(405, b"Method not allowed\n", headers=[("Allow", "GET, HEAD")])
        page = (
            (DOCS_DIR / "index.html").read_text(encoding="utf-8").replace("__TITLE__", html.escape(service))
        )
        return response(200, page.encode(), content_type="text/html; charset=utf-8")
    return static_response(VENDORED, path[len(DOCS_PATH) :], method, "")
