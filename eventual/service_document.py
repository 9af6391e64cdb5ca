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
