"""Reaching connections: API Gateway's management API (``@connections``) through boto3.

One client per socket URL, created on first use and reused; boto3 is imported only then,
so a cold start that never sends never pays for it.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any
from urllib.parse import urlsplit

from eventual.errors import ConnectionGone, PayloadTooLarge, SocketNotDeployed
from eventual.runtime.payload import MAX_PAYLOAD_BYTES, payload_bytes

_lock = threading.Lock()
_clients: dict[str, ManagementClient] = {}
_urls_cache: tuple[str, dict[str, dict[str, str]]] = ("", {})


def socket_urls(name: str) -> dict[str, str]:
    """``{"wss": ..., "http": ...}`` for a socket, from ``EVENTUAL_SOCKET_URLS``."""
    global _urls_cache
    raw = os.environ.get("EVENTUAL_SOCKET_URLS", "")
    if raw != _urls_cache[0]:
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError as error:
            raise SocketNotDeployed(f"EVENTUAL_SOCKET_URLS is not valid JSON: {error}") from error
        _urls_cache = (raw, parsed)
    urls = _urls_cache[1].get(name)
    if not urls:
        raise SocketNotDeployed(
            f"socket {name!r} has no URL: EVENTUAL_SOCKET_URLS does not name it. Sockets are "
            "reachable inside their deployed service or under `eventual local`."
        )
    return urls


def management_client(name: str) -> ManagementClient:
    """The shared client for a socket's current management URL."""
    url = socket_urls(name)["http"]
    client = _clients.get(url)
    if client is None:
        with _lock:
            client = _clients.get(url) or ManagementClient(url)
            _clients[url] = client
    return client


class ManagementClient:
    """``send``, ``disconnect`` and ``info`` for the connections of one WebSocket API stage."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._client = _boto3_client(endpoint_url)
        self._gone = self._client.exceptions.GoneException

    def send(self, connection_id: str, data: Any) -> None:
        self.post(connection_id, checked_payload(data))

    def post(self, connection_id: str, body: bytes) -> None:
        """Send bytes already encoded and checked by :func:`checked_payload`."""
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=body)
        except self._gone as error:
            raise ConnectionGone(connection_id) from error

    def disconnect(self, connection_id: str) -> None:
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except self._gone as error:
            raise ConnectionGone(connection_id) from error

    def info(self, connection_id: str) -> dict[str, Any]:
        try:
            response = self._client.get_connection(ConnectionId=connection_id)
        except self._gone as error:
            raise ConnectionGone(connection_id) from error
        response.pop("ResponseMetadata", None)
        return dict(response)


def checked_payload(data: Any) -> bytes:
    """``data`` as bytes, refused before any call if over API Gateway's limit."""
    body = payload_bytes(data)
    if len(body) > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(
            f"message of {len(body)} bytes exceeds API Gateway's WebSocket limit of "
            f"{MAX_PAYLOAD_BYTES} bytes (128 KB)"
        )
    return body


def _boto3_client(endpoint_url: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(retries={"mode": "standard"})
    parts = urlsplit(endpoint_url)
    host = parts.hostname or ""
    if parts.scheme == "http":
        # The dev server: it checks no signature, and a developer may have no AWS profile.
        return boto3.client(
            "apigatewaymanagementapi",
            endpoint_url=endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="eventual-local",
            aws_secret_access_key="eventual-local",
            config=config,
        )
    # https://{api}.execute-api.{region}.amazonaws.com/{stage}: sign for the API's own region.
    labels = host.split(".")
    region = labels[2] if len(labels) > 3 and labels[1] == "execute-api" else None
    return boto3.client(
        "apigatewaymanagementapi", endpoint_url=endpoint_url, region_name=region, config=config
    )
