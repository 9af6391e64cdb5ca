"""The service's web page: files of the ``web/`` directory beside the entry module, at ``/``.

So a page and its sockets share one origin (``ws://${location.host}/__ws/<socket>``).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote

from eventual.local.http import Reply, response

_NOT_FOUND = response(404, b"Not found\n")


def web_dir_of(module_file: str | None) -> Path | None:
    """``web/`` beside the entry module's file, if there is one."""
    if not module_file:
        return None
    candidate = Path(module_file).resolve().parent / "web"
    return candidate if candidate.is_dir() else None


def static_response(web_dir: Path | None, url_path: str, method: str, fallback_index: str) -> Reply:
    """A file under ``web_dir`` (``/`` is ``index.html``), or ``fallback_index`` as text at ``/``.

    A path no file can have (a NUL byte, a name over the OS's limit) is a 404 like any other.
    """
    if method not in ("GET", "HEAD"):
        return response(405, b"Method not allowed\n", headers=[("Allow", "GET, HEAD")])
    relative = unquote(url_path).lstrip("/") or "index.html"
    file = None
    if web_dir is not None:
        try:
            candidate = (web_dir / relative).resolve()
            if candidate.is_relative_to(web_dir) and candidate.is_file():
                file = candidate
        except (ValueError, OSError):  # "embedded null byte", ENAMETOOLONG, ...
            return _NOT_FOUND
    if file is None:
        if relative == "index.html":
            return response(200, fallback_index.encode())
        return _NOT_FOUND
    try:
        body = file.read_bytes()
    except OSError:
        return _NOT_FOUND
    return response(200, body, content_type=content_type(file.name), headers=[("Cache-Control", "no-store")])


def content_type(file_name: str) -> str:
    """The ``Content-Type`` of a file served as is: UTF-8 for text."""
    guessed = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
    if guessed.startswith("text/") or guessed.endswith(("javascript", "json")):
        guessed += "; charset=utf-8"
    return guessed
