"""API Gateway's management API (``@connections``) through boto3: the cloud's, and the dev server's.

A :class:`ManagementClient` is what :class:`eventual.deployment.Deployment` makes for each socket
URL (one per URL, reused); boto3 is imported only then, so a cold start that never sends never
pays for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eventual.errors import ConnectionGone

if TYPE_CHECKING:
    from datetime import datetime

    from eventual.connections import ConnectionInfo


MAX_POOL_CONNECTIONS = 64


class ManagementClient:
    """``post``, ``disconnect`` and ``info`` for the connections of one WebSocket API stage."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._client = _boto3_client(endpoint_url)
        self._gone = self._client.exceptions.GoneException

    def post(self, connection_id: str, body: bytes) -> None:
        """Send bytes already encoded and checked by :func:`eventual.payload.checked_payload`."""
        try:
            self._client.post_to_connection(ConnectionId=connection_id, Data=body)
        except self._gone as error:
            raise ConnectionGone(connection_id) from error

    def disconnect(self, connection_id: str) -> None:
        try:
            self._client.delete_connection(ConnectionId=connection_id)
        except self._gone as error:
            raise ConnectionGone(connection_id) from error

    def info(self, connection_id: str) -> ConnectionInfo:
        try:
            response = self._client.get_connection(ConnectionId=connection_id)
        except self._gone as error:
            raise ConnectionGone(connection_id) from error
        return connection_info_of(connection_id, response)


def connection_info_of(connection_id: str, response: dict[str, Any]) -> ConnectionInfo:
    """boto3's ``get_connection`` answer (``ConnectedAt``/``LastActiveAt`` datetimes, ``Identity:
    {SourceIp, UserAgent}``), the cloud's and the dev server's alike, as eventual's JSON-ready
    :class:`eventual.connections.ConnectionInfo`: the one place the two shapes meet."""
    identity = response.get("Identity") or {}
    return {
        "connectionId": connection_id,
        "connectedAt": _epoch_ms(response["ConnectedAt"]),
        "lastActiveAt": _epoch_ms(response.get("LastActiveAt") or response["ConnectedAt"]),
        "sourceIp": str(identity.get("SourceIp", "")),
        "userAgent": str(identity.get("UserAgent", "")),
    }


def _epoch_ms(moment: datetime) -> int:
    if moment.tzinfo is None:  # botocore gives aware datetimes; a naive one is UTC, not local time
        from datetime import UTC

        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def _boto3_client(endpoint_url: str) -> Any:
    from urllib.parse import urlsplit

    import boto3
    from botocore.config import Config

    # Pooled connections for every post in flight (a broadcast's 16, a fan-out worker's 32): with
    # botocore's default of 10, the rest would open (TLS) and drop a connection per post.
    config = Config(retries={"mode": "standard"}, max_pool_connections=MAX_POOL_CONNECTIONS)
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
