"""The service document: how a frontend finds a service's sockets at run time.

``GET /__eventual/service`` answers it, in the cloud (the service's HTTP API, through
:func:`handle`) and on the dev server alike, built by :func:`service_document` in both::

    {"service": "my-service", "stage": "default", "sockets": {"chat": "wss://.../prod"}}

Standard library only: this module ships in every function's asset and loads nothing else.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

PATH = "/__eventual/service"
"""Where the document is served (the cloud's HTTP API also answers it at ``/``)."""
LOCAL_STAGE = "local"
"""The stage the dev server's document names (no deployed stage may take it)."""
DOCUMENT_ENV = "EVENTUAL_SERVICE_DOCUMENT"
"""The document, as JSON, in the environment of the function that serves it."""
HEADERS = {
    "content-type": "application/json",
    # Public by design (the sockets' URLs), and read by pages served from anywhere.
    "access-control-allow-origin": "*",
    "cache-control": "max-age=60",
}


def service_document(service: str, stage: str, sockets: Mapping[str, str]) -> dict[str, Any]:
    """The document of ``stage`` of ``service`` whose sockets are at ``sockets`` (name -> ``wss://`` URL)."""
    return {"service": service, "stage": stage, "sockets": dict(sorted(sockets.items()))}


def handle(event: Mapping[str, Any], context: object) -> dict[str, Any]:
    """Lambda handler behind the HTTP API's ``GET`` routes: the document the construct wrote."""
    return {"statusCode": 200, "headers": HEADERS, "body": os.environ[DOCUMENT_ENV]}


def encode(document: Mapping[str, Any]) -> str:
    """The document as the function serves it: compact JSON."""
    return json.dumps(document, separators=(",", ":"))
