"""The service document: how a frontend finds a service's sockets at run time.

``GET /__eventual/service`` answers it, in the cloud (the service's HTTP API, through
``eventual.runtime.handler.service_document``) and on the dev server alike, built by
:func:`service_document` in both::

    {"service": "my-service", "stage": "default", "sockets": {"chat": "wss://.../prod"}}

Standard library only: this module ships in every function's asset and loads nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

PATH = "/__eventual/service"
"""Where the document is served (the cloud's HTTP API also answers it at ``/``)."""
ASYNCAPI_PATH = "/__eventual/asyncapi.json"
"""Where the service's AsyncAPI document is served (:mod:`eventual.asyncapi`), locally and in the cloud."""
ASYNCAPI_FILE = "eventual-asyncapi.json"
"""The AsyncAPI document in the Lambda asset, written at synth with its sockets' URLs left to
fill (they exist once deployed): the HTTP API's function fills them from its service document."""
LOCAL_STAGE = "local"
"""The stage the dev server's document names (no deployed stage may take it)."""
HEADERS = {
    "content-type": "application/json",
    # Public by design (the sockets' URLs), and read by pages served from anywhere.
    "access-control-allow-origin": "*",
    "cache-control": "max-age=60",
}


def service_document(service: str, stage: str, sockets: Mapping[str, str]) -> dict[str, Any]:
    """The document of ``stage`` of ``service`` whose sockets are at ``sockets`` (name -> ``wss://`` URL)."""
    return {"service": service, "stage": stage, "sockets": dict(sorted(sockets.items()))}


def encode(document: Mapping[str, Any]) -> str:
    """The document as the function serves it: compact JSON."""
    return json.dumps(document, separators=(",", ":"))


def with_socket_urls(asyncapi: dict[str, Any], sockets: Mapping[str, str]) -> dict[str, Any]:
    """The AsyncAPI document with each socket's server and channel at its URL (``wss://host/path``):
    the server holds the scheme and host, the channel the path. Sockets without a URL keep theirs."""
    for name, url in sockets.items():
        scheme, _, rest = url.partition("://")
        host, slash, path = rest.partition("/")
        server = asyncapi.get("servers", {}).get(_key(name))
        channel = asyncapi.get("channels", {}).get(_key(name))
        if server is None or channel is None:
            continue
        server["protocol"], server["host"] = scheme, host
        channel["address"] = slash + path
    return asyncapi


def _key(name: str) -> str:
    """A socket's key in the AsyncAPI document: AsyncAPI keys take letters, digits, ``.``, ``-``, ``_``."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in name)


def asyncapi_text(service_document: str, asset_root: str) -> str | None:
    """The asset's AsyncAPI document (:data:`ASYNCAPI_FILE`) at the URLs of ``service_document``
    (the service document's JSON), as compact JSON; ``None`` if the asset holds none."""
    try:
        with open(f"{asset_root}/{ASYNCAPI_FILE}", encoding="utf-8") as file:
            template = file.read()
    except FileNotFoundError:
        return None
    sockets = json.loads(service_document).get("sockets", {})
    return encode(with_socket_urls(json.loads(template), sockets))
